"""Planned maintenance: the services (schedule, start, complete, cancel) and the console pages."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from flows import incidents as incident_flow
from flows import maintenance as maintenance_flow
from incidents.models import Component, Maintenance
from tests.factories import ComponentFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def events(monkeypatch):
    """Every change flows.maintenance tells the people and the page about."""
    seen: list[str] = []
    tell = maintenance_flow._tell

    def recording(maintenance, event):
        seen.append(event)
        return tell(maintenance, event)

    monkeypatch.setattr(maintenance_flow, "_tell", recording)
    return seen


@pytest.fixture
def vpn(customer):
    return ComponentFactory(customer=customer, name="VPN", group="Network", position=3)


def schedule(customer, components, /, *, starts_at=T0 + 8 * DAY, hours=2, author=None, **overrides):
    arguments = {"customer": customer, "title": "Firewall firmware", "components": components,
                 "starts_at": starts_at, "ends_at": starts_at + hours * HOUR, "author": author}
    return maintenance_flow.schedule(**(arguments | overrides))


@pytest.fixture
def window(clock, customer, vpn, file_server, account_manager):
    maintenance, _warnings = schedule(customer, [vpn, file_server], author=account_manager)
    return maintenance


def status_of(component) -> str:
    return Component.objects.get(pk=component.pk).status


class TestSchedule:
    def test_a_week_ahead_is_scheduled_without_warnings(self, clock, customer, vpn, account_manager, events):
        maintenance, warnings = schedule(customer, [vpn], author=account_manager,
                                         expected_impact=" VPN drops for 5 minutes. ")
        assert warnings == []
        assert (maintenance.status, maintenance.created_by) == ("scheduled", account_manager)
        assert maintenance.expected_impact == "VPN drops for 5 minutes."
        assert list(maintenance.components.all()) == [vpn]
        assert events == ["scheduled"]

    def test_less_than_seven_days_ahead_is_scheduled_with_a_warning(self, clock, customer, vpn):
        maintenance, warnings = schedule(customer, [vpn], starts_at=T0 + 2 * DAY)
        assert maintenance.pk is not None
        assert len(warnings) == 1 and "7 days" in warnings[0]

    @pytest.mark.parametrize("overrides,field", [
        ({"title": "  "}, "title"),
        ({"ends_at": T0 + 8 * DAY}, "ends_at"),            # ends when it starts
        ({"starts_at": T0 - HOUR}, "starts_at"),           # in the past
        ({"components": []}, "components"),
    ])
    def test_invalid_windows_write_nothing(self, clock, customer, vpn, overrides, field, events):
        with pytest.raises(ValidationError) as error:
            schedule(customer, [vpn], **overrides)
        assert field in error.value.message_dict
        assert Maintenance.objects.count() == 0 and events == []

    def test_components_of_another_customer_are_refused(self, clock, customer, other_customer):
        foreign = ComponentFactory(customer=other_customer, name="Mail")
        with pytest.raises(ValidationError) as error:
            schedule(customer, [foreign])
        assert "components" in error.value.message_dict
        assert Maintenance.objects.count() == 0


class TestLifecycle:
    def test_start_puts_components_under_maintenance(self, window, vpn, clock, events):
        clock.move_to(T0 + 8 * DAY)
        assert maintenance_flow.start(maintenance=window) is True
        window.refresh_from_db()
        assert (window.status, window.started_at) == ("in_progress", T0 + 8 * DAY)
        assert status_of(vpn) == "under_maintenance"
        assert events[-1] == "started"

    def test_an_open_incident_keeps_its_worse_status(self, window, incident, vpn, file_server):
        # The incident (conftest) gives the file server a major outage; the VPN is not affected.
        maintenance_flow.start(maintenance=window)
        assert (status_of(file_server), status_of(vpn)) == ("major_outage", "under_maintenance")

    def test_complete_gives_the_components_back(self, window, incident, vpn, file_server, clock, events):
        maintenance_flow.start(maintenance=window)
        clock.move_to(T0 + HOUR)
        assert maintenance_flow.complete(maintenance=window) is True
        window.refresh_from_db()
        assert (window.status, window.completed_at) == ("completed", T0 + HOUR)
        assert (status_of(file_server), status_of(vpn)) == ("major_outage", "operational")
        assert events[-2:] == ["started", "completed"]

    def test_start_and_complete_are_idempotent(self, events, window, clock):
        assert maintenance_flow.start(maintenance=window) is True
        clock.move_to(T0 + HOUR)
        assert maintenance_flow.start(maintenance=window) is False
        window.refresh_from_db()
        assert window.started_at == T0
        assert maintenance_flow.complete(maintenance=window) is True
        assert maintenance_flow.complete(maintenance=window) is False
        assert events == ["scheduled", "started", "completed"]

    def test_a_scheduled_window_cannot_be_completed(self, window, vpn):
        assert maintenance_flow.complete(maintenance=window) is False
        window.refresh_from_db()
        assert window.status == "scheduled" and status_of(vpn) == "operational"

    def test_only_a_scheduled_window_can_be_cancelled(self, window, customer, vpn, events):
        assert maintenance_flow.cancel(maintenance=window) is True
        assert maintenance_flow.cancel(maintenance=window) is False
        window.refresh_from_db()
        assert window.status == "cancelled"
        started, _warnings = schedule(customer, [vpn])
        maintenance_flow.start(maintenance=started)
        assert maintenance_flow.cancel(maintenance=started) is False
        started.refresh_from_db()
        assert started.status == "in_progress"
        assert events.count("cancelled") == 1


# --- console --------------------------------------------------------------------------


def form_data(customer, components, /, **overrides):
    data = {"customer": customer.pk, "title": "Firewall firmware", "components": [c.pk for c in components],
            "starts_at": "2026-12-05T22:00", "ends_at": "2026-12-06T01:00",
            "expected_impact": "Internet drops twice.", "customer_action": "Save your work."}
    return data | overrides


def action_url(maintenance, action):
    return reverse("incidents:maintenance_action", args=[maintenance.pk, action])


class TestPermissions:
    def test_anonymous_is_sent_to_login(self, client, window):
        for url in [reverse("incidents:maintenance_list"), reverse("incidents:maintenance_new"),
                    reverse("incidents:maintenance_detail", args=[window.pk])]:
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(reverse("login"))
        assert client.post(action_url(window, "start")).status_code == 302
        window.refresh_from_db()
        assert window.status == "scheduled"

    def test_other_account_manager_sees_nothing_and_changes_nothing(self, client, window, other_account_manager):
        client.force_login(other_account_manager)
        assert window.title not in client.get(reverse("incidents:maintenance_list")).text
        assert client.get(reverse("incidents:maintenance_detail", args=[window.pk])).status_code == 404
        assert client.post(action_url(window, "cancel")).status_code == 404
        window.refresh_from_db()
        assert window.status == "scheduled"

    @pytest.mark.parametrize("persona", ["account_manager", "manager"])
    def test_assigned_account_manager_and_manager_see_and_act(self, client, window, persona, request):
        client.force_login(request.getfixturevalue(persona))
        assert window.title in client.get(reverse("incidents:maintenance_list")).text
        assert client.get(reverse("incidents:maintenance_detail", args=[window.pk])).status_code == 200
        response = client.post(action_url(window, "start"))
        assert response.status_code == 302
        window.refresh_from_db()
        assert window.status == "in_progress"

    def test_the_form_offers_only_the_users_customers(self, client, account_manager, customer, other_customer):
        client.force_login(account_manager)
        page = client.get(reverse("incidents:maintenance_new")).text
        assert customer.name in page and other_customer.name not in page


class TestScheduleForm:
    @pytest.fixture
    def as_anna(self, client, account_manager, clock):
        client.force_login(account_manager)
        return client

    def test_schedule_reads_times_in_the_customers_zone(self, as_anna, customer, vpn):
        response = as_anna.post(reverse("incidents:maintenance_new"), form_data(customer, [vpn]))
        maintenance = Maintenance.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("incidents:maintenance_detail", args=[maintenance.pk])
        # 22:00 on 5 December in Amsterdam is 21:00 UTC.
        assert maintenance.starts_at == datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
        assert list(maintenance.components.all()) == [vpn]
        page = as_anna.get(response.url).text
        assert "Sat 5 Dec, 22:00" in page and "Maintenance scheduled." in page
        assert "7 days" not in page

    def test_short_notice_warning_is_shown_as_a_message(self, as_anna, customer, vpn):
        response = as_anna.post(reverse("incidents:maintenance_new"),
                                form_data(customer, [vpn], starts_at="2026-11-25T22:00", ends_at="2026-11-25T23:00"),
                                follow=True)
        assert Maintenance.objects.count() == 1
        assert "Announced less than 7 days ahead" in response.text

    @pytest.mark.parametrize("field,overrides", [
        ("title", {"title": ""}),
        ("starts_at", {"starts_at": "next tuesday"}),
        ("starts_at", {"starts_at": "2026-11-20T10:00", "ends_at": "2026-11-20T11:00"}),  # in the past (service)
        ("ends_at", {"ends_at": "2026-12-05T21:00"}),                                     # before the start (service)
        ("components", {"components": []}),
        ("customer", {"customer": "999999"}),
    ])
    def test_bad_input_is_422_naming_the_field_and_writes_nothing(self, as_anna, customer, vpn, field, overrides):
        response = as_anna.post(reverse("incidents:maintenance_new"), form_data(customer, [vpn], **overrides))
        assert response.status_code == 422
        assert field in response.context["form"].errors
        assert Maintenance.objects.count() == 0

    def test_another_customers_components_cannot_be_chosen(self, as_anna, customer, other_customer):
        foreign = ComponentFactory(customer=other_customer, name="Mail")
        response = as_anna.post(reverse("incidents:maintenance_new"), form_data(customer, [foreign]))
        assert response.status_code == 422 and "components" in response.context["form"].errors
        assert Maintenance.objects.count() == 0

    def test_a_customer_not_theirs_is_refused(self, client, other_account_manager, customer, vpn, clock):
        client.force_login(other_account_manager)
        response = client.post(reverse("incidents:maintenance_new"), form_data(customer, [vpn]))
        assert response.status_code == 422 and "customer" in response.context["form"].errors
        assert Maintenance.objects.count() == 0

    def test_htmx_component_checkboxes_for_the_chosen_customer_only(self, as_anna, customer, other_customer, vpn):
        response = as_anna.get(reverse("incidents:maintenance_component_fields"), {"customer": customer.pk}, **HTMX)
        assert f'value="{vpn.pk}"' in response.text and "<html" not in response.text
        for value in [other_customer.pk, "abc", ""]:
            response = as_anna.get(reverse("incidents:maintenance_component_fields"), {"customer": value}, **HTMX)
            assert response.status_code == 200 and 'name="components"' not in response.text

    def test_no_javascript_customer_pick_shows_components_without_scheduling(self, as_anna, customer, vpn):
        page = as_anna.get(reverse("incidents:maintenance_new")).text
        assert "<noscript>" in page and 'name="pick_customer"' in page
        response = as_anna.post(reverse("incidents:maintenance_new"), {"customer": customer.pk, "pick_customer": "1"})
        assert response.status_code == 200 and f'value="{vpn.pk}"' in response.text
        assert Maintenance.objects.count() == 0

    def test_htmx_error_swaps_the_form_with_422(self, as_anna, customer, vpn):
        response = as_anna.post(reverse("incidents:maintenance_new"), form_data(customer, [vpn], title=""), **HTMX)
        assert response.status_code == 422
        assert "<html" not in response.text and 'id="maintenance-form"' in response.text
        assert "This field is required." in response.text

    def test_htmx_success_redirects_the_browser_to_the_window(self, as_anna, customer, vpn):
        response = as_anna.post(reverse("incidents:maintenance_new"), form_data(customer, [vpn]), **HTMX)
        maintenance = Maintenance.objects.get()
        assert response.headers["HX-Redirect"] == reverse("incidents:maintenance_detail", args=[maintenance.pk])


class TestDetailActions:
    @pytest.fixture
    def as_anna(self, client, account_manager):
        client.force_login(account_manager)
        return client

    def test_start_then_complete_without_javascript(self, as_anna, window, vpn):
        as_anna.post(action_url(window, "start"))
        assert status_of(vpn) == "under_maintenance"
        page = as_anna.get(reverse("incidents:maintenance_detail", args=[window.pk])).text
        assert "Complete" in page and "Start now" not in page
        as_anna.post(action_url(window, "complete"))
        window.refresh_from_db()
        assert window.status == "completed" and status_of(vpn) == "operational"

    def test_htmx_action_returns_the_live_partial(self, as_anna, window):
        response = as_anna.post(action_url(window, "cancel"), **HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="maintenance-live"' in response.text
        assert "Cancelled" in response.text

    def test_an_action_the_status_does_not_allow_is_422(self, as_anna, window):
        response = as_anna.post(action_url(window, "complete"), **HTMX)
        assert response.status_code == 422 and "Only a window in progress can be completed." in response.text
        window.refresh_from_db()
        assert window.status == "scheduled"

    def test_unknown_action_is_404(self, as_anna, window):
        assert as_anna.post(action_url(window, "explode")).status_code == 404

    def test_actions_need_post(self, as_anna, window):
        assert as_anna.get(action_url(window, "start")).status_code == 405
        window.refresh_from_db()
        assert window.status == "scheduled"


class TestListsAndDashboard:
    def test_list_groups_in_progress_upcoming_and_recent(self, client, account_manager, clock, customer, vpn):
        running, _w = schedule(customer, [vpn], starts_at=T0 + HOUR, title="Running")
        upcoming, _w = schedule(customer, [vpn], starts_at=T0 + 20 * DAY, title="Far ahead")
        cancelled, _w = schedule(customer, [vpn], starts_at=T0 + 2 * DAY, title="Called off")
        maintenance_flow.start(maintenance=running)
        maintenance_flow.cancel(maintenance=cancelled)
        client.force_login(account_manager)
        page = client.get(reverse("incidents:maintenance_list")).text
        in_progress, rest = page.split('id="upcoming-heading"')
        upcoming_part, recent_part = rest.split('id="recent-heading"')
        assert "Running" in in_progress and "Far ahead" in upcoming_part and "Called off" in recent_part

    def test_dashboard_shows_the_next_14_days_and_in_progress(self, client, account_manager, clock, customer, vpn):
        schedule(customer, [vpn], starts_at=T0 + 10 * DAY, title="Within two weeks")
        schedule(customer, [vpn], starts_at=T0 + 20 * DAY, title="Too far ahead")
        running, _w = schedule(customer, [vpn], starts_at=T0 + HOUR, title="Running now")
        maintenance_flow.start(maintenance=running)
        client.force_login(account_manager)
        page = client.get(reverse("incidents:dashboard")).text
        assert "Upcoming maintenance" in page
        assert "Within two weeks" in page and "Running now" in page and "Too far ahead" not in page


class TestDetailShowsWhatTheWindowCovers:
    """A window's page lists its components by name; an incident's outage is not shown as its doing."""

    @pytest.fixture
    def broken(self, window, file_server, account_manager):

        incident_flow.open_incident(customer=window.customer, title="File server down", category="server",
                               severity="critical", message="Looking into it.", author=account_manager,
                               component_statuses={file_server: "major_outage"})
        return window

    def page(self, client, user, window) -> str:
        client.force_login(user)
        return client.get(reverse("incidents:maintenance_detail", args=[window.pk])).text

    def test_covered_components_without_live_incident_statuses(self, client, account_manager, broken):
        page = self.page(client, account_manager, broken)
        covered = page.split('class="plain components covered"', 1)[1].split("</ul>", 1)[0]
        assert "VPN" in covered and "File server" in covered
        assert "Major outage" not in covered and "Operational" not in covered and "dot" not in covered

    def test_a_disturbed_component_is_shown_apart_as_current_status(self, client, account_manager, broken):
        page = self.page(client, account_manager, broken)
        current = page.split('class="current-status"', 1)[1].split("</div>", 1)[0]
        assert "Current status" in current and "File server — Major outage" in current
        assert "VPN" not in current  # operational: nothing to say

    def test_nothing_disturbed_no_current_status(self, client, account_manager, window):
        assert 'class="current-status"' not in self.page(client, account_manager, window)
