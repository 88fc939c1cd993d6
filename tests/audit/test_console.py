"""The console's audit trail: managers only (account managers get 404, as for anything they may
not see), filtered by customer, incident, event and dates, paged newest first, times in the
console's zone; the CSV export of the filtered list; links from the incident and contract pages.
Nothing on these pages writes."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from audit import services as audit
from audit.models import Action, AuditEvent
from flows import incidents as incident_flow
from tests.audit.conftest import IP

pytestmark = pytest.mark.django_db

URL = "/console/audit/"
CSV_URL = "/console/audit/export.csv"


@pytest.fixture
def as_maria(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def history(incident, other_customer, manager):
    """The fixture incident's opening (MidSize), a contract change for Northwind and a failed sign-in."""
    audit.record(action=Action.CONTRACT_CHANGED, actor=manager, actor_ip=IP, customer=other_customer,
                 target=other_customer, before={"cadence_low_minutes": 240}, after={"cadence_low_minutes": 480})
    audit.record(action=Action.LOGIN_FAILED, actor_username="mallory", actor_ip="203.0.113.66",
                 object_repr="mallory", detail="password")
    return incident


def rows(response) -> list[str]:
    return [event.action for event in response.context["page"]]


class TestAccess:
    def test_manager_sees_the_trail_newest_first(self, as_maria, history):
        response = as_maria.get(URL)
        assert response.status_code == 200
        assert rows(response) == [Action.LOGIN_FAILED, Action.CONTRACT_CHANGED, Action.INCIDENT_OPENED]
        assert "mallory" in response.text and "203.0.113.66" in response.text
        assert "cadence_low_minutes" in response.text and "240" in response.text and "480" in response.text

    @pytest.mark.parametrize("url", [URL, CSV_URL])
    def test_account_manager_gets_404(self, client, account_manager, history, url):
        client.force_login(account_manager)
        assert client.get(url).status_code == 404

    def test_anonymous_is_sent_to_login(self, client, db):
        response = client.get(URL)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_nothing_but_reading(self, as_maria, history, method):
        assert getattr(as_maria, method)(URL).status_code == 405
        assert getattr(as_maria, method)(CSV_URL).status_code == 405
        assert AuditEvent.objects.count() == 3

    def test_the_nav_and_the_pages_link_it_for_managers_only(self, client, as_maria, account_manager, history,
                                                              customer):
        number = history.first_link.number
        assert f'href="{URL}"' in as_maria.get(reverse("incidents:dashboard")).text
        assert f'href="{URL}?incident={number}"' in as_maria.get(reverse("incidents:detail", args=[history.pk])).text
        assert f'href="{URL}?customer=midsize"' in as_maria.get(reverse("incidents:contract", args=["midsize"])).text
        client.force_login(account_manager)
        assert URL not in client.get(reverse("incidents:dashboard")).text
        assert URL not in client.get(reverse("incidents:detail", args=[history.pk])).text
        assert URL not in client.get(reverse("incidents:contract", args=["midsize"])).text


class TestFilters:
    def test_by_customer_includes_its_incidents_events(self, as_maria, history, other_customer):
        assert rows(as_maria.get(URL, {"customer": "midsize"})) == [Action.INCIDENT_OPENED]
        assert rows(as_maria.get(URL, {"customer": "northwind"})) == [Action.CONTRACT_CHANGED]
        incident_flow.add_customer(incident=history, customer=other_customer, author=None,
                                   translations={"en": {"title": "Server outage"}})
        assert rows(as_maria.get(URL, {"customer": "northwind"}))[:2] == [Action.INCIDENT_CUSTOMER_ADDED,
                                                                           Action.CONTRACT_CHANGED]
        assert Action.INCIDENT_OPENED in rows(as_maria.get(URL, {"customer": "northwind"}))  # a shared incident

    def test_by_incident_number_event_and_dates(self, as_maria, history):
        number = history.first_link.number
        response = as_maria.get(URL, {"incident": number})
        assert rows(response) == [Action.INCIDENT_OPENED] and "Back to the incident" in response.text
        assert rows(as_maria.get(URL, {"action": Action.LOGIN_FAILED})) == [Action.LOGIN_FAILED]
        today = datetime.now(ZoneInfo(settings.KALM_DEFAULT_TIME_ZONE)).date()  # the days the filter reads
        assert len(rows(as_maria.get(URL, {"since": today - timedelta(days=1), "until": today}))) == 3
        assert rows(as_maria.get(URL, {"since": today + timedelta(days=2)})) == []
        assert rows(as_maria.get(URL, {"until": today - timedelta(days=2)})) == []

    def test_bad_filters_are_reported(self, as_maria, history):
        response = as_maria.get(URL, {"incident": "NOPE-1", "since": "yesterday"})
        assert response.status_code == 200
        assert "incident" in response.context["form"].errors and "since" in response.context["form"].errors

    def test_absurd_dates_and_control_characters_are_reported_not_500(self, as_maria, history):
        response = as_maria.get(URL, {"since": "0001-01-01", "until": "9999-12-31", "incident": "MSM\x00-1"})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) == {"since", "until", "incident"}
        assert "between 2000 and 2099" in errors["until"][0]
        assert len(rows(response)) == len(rows(as_maria.get(URL))), "a bad filter narrows nothing"

    def test_dates_are_typed_as_the_consoles_language_writes_them(self, as_maria, history):
        dutch = as_maria.get(URL, {"since": "01-01-2026", "until": "31-12-2099"}, headers={"Accept-Language": "nl"})
        assert not dutch.context["form"].errors and len(rows(dutch)) == 3
        assert 'placeholder="dd-mm-jjjj"' in dutch.text and 'type="date"' not in dutch.text
        german = as_maria.get(URL, {"since": "2026-13-01"}, headers={"Accept-Language": "de"})
        assert german.context["form"].errors["since"] == [
            "Geben Sie das Datum als TT.MM.JJJJ ein, zum Beispiel 31.05.2025."]

    def test_pages_of_fifty_newest_first_and_htmx_partial(self, as_maria, manager, db):
        for number in range(60):
            audit.record(action=Action.LOGIN, actor=manager, detail=str(number))
        first = as_maria.get(URL)
        assert [event.detail for event in first.context["page"]][:2] == ["59", "58"]
        assert len(first.context["page"]) == 50 and f"?older={first.context['page'].older}" in first.text
        second = as_maria.get(URL, {"older": first.context["page"].older}, headers={"HX-Request": "true"})
        assert len(second.context["page"]) == 10 and "<html" not in second.text

    def test_times_in_the_consoles_zone(self, as_maria, manager, time_machine, settings):
        time_machine.move_to(datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC), tick=False)
        audit.record(action=Action.LOGIN, actor=manager)
        page = as_maria.get(URL).text
        assert "23 Nov 2026, 10:00:05" in page and "Europe/Amsterdam" in page  # CET in November

    def test_moments_in_before_and_after_are_shown_in_the_consoles_zone(self, as_maria, manager, customer):
        starts = datetime(2026, 12, 17, 21, 0, tzinfo=UTC)
        audit.record(action=Action.MAINTENANCE_SCHEDULED, actor=manager, customer=customer,
                     before={"starts_at": starts}, after={"starts_at": starts + timedelta(hours=1)},
                     object_repr="Firmware-update firewall")
        page = as_maria.get(URL).text
        assert "2026-12-17T21:00:00+00:00" not in page, "not the stored ISO text"
        assert "17 December 2026, 22:00 CET" in page and "17 December 2026, 23:00 CET" in page
        dutch = as_maria.get(URL, headers={"Accept-Language": "nl"}).text
        assert "17 december 2026, 22:00 CET" in dutch, "in the reader's language"


class TestCsv:
    def test_the_filtered_list_as_csv(self, as_maria, history):
        response = as_maria.get(CSV_URL, {"customer": "northwind"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"].startswith('attachment; filename="kalm-audit-')
        table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert table[0] == ["time", "actor", "actor_ip", "action", "customer", "incident", "object_type",
                            "object_id", "object", "before", "after", "detail"]
        [row] = table[1:]
        assert row[1:6] == ["maria", IP, "contract.changed", "northwind", ""]
        assert row[8] == "Northwind Ltd"
        assert row[9] == '{"cadence_low_minutes": 240}' and row[10] == '{"cadence_low_minutes": 480}'
        assert datetime.fromisoformat(row[0]).tzinfo is not None

    def test_incident_numbers_and_formula_cells(self, as_maria, history, manager):
        audit.record(action=Action.LOGIN_FAILED, actor_username="=HYPERLINK(1)", detail="password")
        table = list(csv.reader(io.StringIO(b"".join(as_maria.get(CSV_URL).streaming_content).decode())))
        assert table[1][1] == "'=HYPERLINK(1)"  # never read as a formula
        opened = next(row for row in table if row[3] == "incident.opened")
        assert opened[5] == history.first_link.number and opened[4] == "midsize"
