"""Regulatory clocks: when they start, their deadlines, filing; and the "Mark filed" form and dashboard section."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from flows import incidents as incident_flow
from incidents import regulatory
from incidents.models import Customer, RegulatoryClock

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
HOUR = timedelta(hours=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def open_incident(customer, author, **overrides):
    arguments = {"customer": customer, "title": "Mailbox breach", "category": "security", "severity": "high",
                 "message": "We are investigating unusual mailbox access.", "author": author} | overrides
    return incident_flow.open_incident(**arguments)


@pytest.fixture
def breach(clock, customer, account_manager):
    return open_incident(customer, account_manager, personal_data_involved=True)


def clocks_of(incident) -> dict[str, tuple[datetime, datetime]]:
    return {c.regime: (c.started_at, c.deadline_at) for c in RegulatoryClock.objects.filter(incident=incident)}


class TestStart:
    def test_personal_data_at_opening_starts_gdpr_72_hours(self, breach):
        assert clocks_of(breach) == {"gdpr": (T0, T0 + 72 * HOUR)}

    def test_no_personal_data_no_clock(self, clock, customer, account_manager):
        assert clocks_of(open_incident(customer, account_manager)) == {}

    def test_flag_set_by_an_update_starts_the_clock_at_that_moment(self, clock, customer, account_manager):
        incident = open_incident(customer, account_manager)
        clock.move_to(T0 + 2 * HOUR)
        update = incident_flow.post_update(incident=incident, author=account_manager, is_internal=True,
                                               message="Mailbox export found.", personal_data_involved=True)
        assert update.facts_changed == ["personal_data_involved"]
        assert clocks_of(incident) == {"gdpr": (T0 + 2 * HOUR, T0 + 74 * HOUR)}

    def test_nis2_entities_get_its_three_deadlines_too(self, clock, customer, account_manager):
        Customer.objects.filter(pk=customer.pk).update(nis2_applies=True)
        incident = open_incident(customer, account_manager, personal_data_involved=True)
        assert clocks_of(incident) == {
            "gdpr": (T0, T0 + 72 * HOUR),
            "nis2_early": (T0, T0 + 24 * HOUR),
            "nis2_notification": (T0, T0 + 72 * HOUR),
            "nis2_final": (T0, T0 + timedelta(days=30)),
        }

    def test_starting_again_keeps_the_first_awareness(self, breach, clock):
        clock.move_to(T0 + 5 * HOUR)
        regulatory.regulatory_clocks_start(incident=breach, at=T0 + 5 * HOUR)
        assert clocks_of(breach) == {"gdpr": (T0, T0 + 72 * HOUR)}

    def test_fraction_elapsed(self, breach):
        gdpr = breach.regulatory_clocks.get()
        assert gdpr.fraction_elapsed(T0 + 36 * HOUR) == pytest.approx(0.5)
        assert gdpr.fraction_elapsed(T0 - HOUR) == 0.0


class TestFiling:
    def test_filing_stops_the_clock_and_records_who_when_and_the_reference(self, breach, clock, account_manager):
        gdpr = breach.regulatory_clocks.get()
        clock.move_to(T0 + 10 * HOUR)
        regulatory.regulatory_clock_file(clock=gdpr, author=account_manager, reference="  AP-2026-0042 ")
        gdpr.refresh_from_db()
        assert (gdpr.filed_at, gdpr.filed_by, gdpr.reference) == (T0 + 10 * HOUR, account_manager, "AP-2026-0042")
        assert regulatory.running_clocks([breach]) == []

    def test_filing_twice_is_refused_and_keeps_the_first_filing(self, breach, clock, account_manager, manager):
        gdpr = breach.regulatory_clocks.get()
        regulatory.regulatory_clock_file(clock=gdpr, author=account_manager)
        clock.move_to(T0 + HOUR)
        with pytest.raises(ValidationError) as error:
            regulatory.regulatory_clock_file(clock=gdpr, author=manager, reference="again")
        assert "clock" in error.value.message_dict
        gdpr.refresh_from_db()
        assert (gdpr.filed_at, gdpr.filed_by, gdpr.reference) == (T0, account_manager, "")

    def test_running_clocks_soonest_first(self, clock, customer, account_manager):
        Customer.objects.filter(pk=customer.pk).update(nis2_applies=True)
        incident = open_incident(customer, account_manager, personal_data_involved=True)
        early = incident.regulatory_clocks.get(regime="nis2_early")
        regulatory.regulatory_clock_file(clock=early, author=account_manager)
        running = [c.regime for c in regulatory.running_clocks([incident])]
        assert running[0] in {"gdpr", "nis2_notification"} and running[-1] == "nis2_final"
        assert "nis2_early" not in running and len(running) == 3


# --- console: "Mark filed" on the incident page, clocks on the dashboard -----------------


def file_url(clock_pk: int) -> str:
    return reverse("incidents:clock_file", args=[clock_pk])


class TestMarkFiledForm:
    def test_anonymous_is_sent_to_login_and_nothing_is_filed(self, client, breach):
        gdpr = breach.regulatory_clocks.get()
        response = client.post(file_url(gdpr.pk), {"reference": "x"})
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        gdpr.refresh_from_db()
        assert gdpr.filed_at is None

    def test_other_account_manager_gets_404_and_nothing_is_filed(self, client, breach, other_account_manager):
        gdpr = breach.regulatory_clocks.get()
        client.force_login(other_account_manager)
        assert client.post(file_url(gdpr.pk), {"reference": "x"}).status_code == 404
        gdpr.refresh_from_db()
        assert gdpr.filed_at is None

    @pytest.mark.parametrize("persona", ["account_manager", "manager"])
    def test_assigned_account_manager_and_manager_can_file(self, client, breach, persona, request):
        user = request.getfixturevalue(persona)
        client.force_login(user)
        gdpr = breach.regulatory_clocks.get()
        response = client.post(file_url(gdpr.pk), {"reference": "AP-1"})
        assert response.status_code == 302 and response.url == reverse("incidents:detail", args=[breach.pk])
        gdpr.refresh_from_db()
        assert (gdpr.filed_at, gdpr.filed_by, gdpr.reference) == (T0, user, "AP-1")

    def test_incident_page_shows_the_countdown_in_the_customers_zone(self, client, breach, account_manager, clock):
        client.force_login(account_manager)
        clock.move_to(T0 + HOUR)
        page = client.get(reverse("incidents:detail", args=[breach.pk])).text
        assert "GDPR breach notification" in page
        assert "Thu 26 Nov, 10:00 CET" in page  # 09:00 UTC + 72 h, shown in Amsterdam
        assert "in 2 d 23 h" in page and "Mark filed" in page

    def test_htmx_filing_returns_the_live_partial_showing_it_filed(self, client, breach, account_manager):
        client.force_login(account_manager)
        gdpr = breach.regulatory_clocks.get()
        response = client.post(file_url(gdpr.pk), {"reference": "AP-7"}, **HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="incident-live"' in response.text
        assert "AP-7" in response.text and "Mark filed" not in response.text

    def test_filing_twice_is_422_with_the_reason_and_keeps_the_first(self, client, breach, account_manager, clock):
        client.force_login(account_manager)
        gdpr = breach.regulatory_clocks.get()
        client.post(file_url(gdpr.pk), {"reference": "AP-1"})
        clock.move_to(T0 + HOUR)
        response = client.post(file_url(gdpr.pk), {"reference": "AP-2"}, **HTMX)
        assert response.status_code == 422 and "already marked as filed" in response.text
        gdpr.refresh_from_db()
        assert (gdpr.filed_at, gdpr.reference) == (T0, "AP-1")

    def test_too_long_reference_is_422_naming_the_field(self, client, breach, account_manager):
        client.force_login(account_manager)
        gdpr = breach.regulatory_clocks.get()
        response = client.post(file_url(gdpr.pk), {"reference": "x" * 201})
        assert response.status_code == 422
        assert f'id="id_clock{gdpr.pk}_reference"' in response.text
        assert "at most 200 characters" in response.text
        gdpr.refresh_from_db()
        assert gdpr.filed_at is None


class TestDashboardClocks:
    def test_running_clock_with_deadline_remaining_and_percentage(self, client, breach, account_manager, clock):
        client.force_login(account_manager)
        clock.move_to(T0 + 36 * HOUR)
        page = client.get(reverse("incidents:dashboard")).text
        assert "Regulatory clocks" in page and breach.first_link.number in page
        assert "Thu 26 Nov, 10:00 CET" in page and "in 36 h" in page
        assert 'value="50"' in page and 'class="critical"' not in page

    def test_red_past_90_percent(self, client, breach, account_manager, clock):
        client.force_login(account_manager)
        clock.move_to(T0 + 65 * HOUR)  # 90.3 % of 72 h
        page = client.get(reverse("incidents:dashboard"), **HTMX).text
        assert '<tr class="critical">' in page and "90%" in page

    def test_filed_and_foreign_clocks_are_not_shown(self, client, breach, account_manager, other_account_manager):
        client.force_login(other_account_manager)
        assert "Regulatory clocks" not in client.get(reverse("incidents:dashboard")).text
        regulatory.regulatory_clock_file(clock=breach.regulatory_clocks.get(), author=account_manager)
        client.force_login(account_manager)
        assert "Regulatory clocks" not in client.get(reverse("incidents:dashboard")).text
