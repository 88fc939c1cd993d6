"""Posting an update or postponing the next one says what happened, with and without htmx."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from comms.models import Stakeholder
from flows import incidents as incident_flow

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def opened(time_machine, customer, file_server, account_manager):
    time_machine.move_to(T0, tick=False)
    for name, role, audience in [("IT", "customer_it", "technical"), ("CEO", "executives", "executive"),
                                 ("Ops", "management", "operational")]:
        Stakeholder.objects.create(customer=customer, name=name, role=role, audience=audience, language="nl",
                                   email=f"{name.lower()}@midsize.example")
    return incident_flow.open_incident(customer=customer, title="Mail down", category="email", severity="critical",
                                  message="We are looking into it.", author=account_manager,
                                  component_statuses={file_server: "major_outage"})


def post_update(client, incident, *, htmx: bool, **data):
    form = {"status": incident.status, "severity": incident.severity, "message": "Disk replaced."} | data
    return client.post(reverse("incidents:post_update", args=[incident.pk]), form, **(HTMX if htmx else {}))


def messages_region(html: str) -> str:
    return html.split('id="messages"', 1)[1].split("</div>", 1)[0]


def expected_recipients(incident) -> int:
    from comms.models import Communication

    update = incident.updates.order_by("-created_at", "-pk").first()
    return len({i for c in Communication.objects.filter(update=update) for i in c.recipient_ids})


class TestUpdatePosted:
    def test_htmx_answer_carries_the_confirmation_out_of_band(self, as_anna, opened):
        response = post_update(as_anna, opened, htmx=True)
        assert response.status_code == 200
        count = expected_recipients(opened)
        assert count > 0
        html = response.text
        assert 'id="incident-live"' in html  # the swap itself
        assert 'id="messages"' in html and 'hx-swap-oob="true"' in html
        assert f"Update posted: sent to {count} recipients." in messages_region(html)
        # Shown once: the next page does not repeat it.
        assert "Update posted" not in as_anna.get(reverse("incidents:detail", args=[opened.pk])).text

    def test_without_javascript_the_next_page_shows_it(self, as_anna, opened):
        response = post_update(as_anna, opened, htmx=False)
        assert response.status_code == 302
        page = as_anna.get(response["Location"]).text
        assert f"Update posted: sent to {expected_recipients(opened)} recipients." in messages_region(page)

    def test_an_internal_note_says_it_stayed_internal(self, as_anna, opened):
        response = post_update(as_anna, opened, htmx=True, message="Vendor called back.", is_internal="on")
        assert "Internal note added to the timeline." in messages_region(response.text)

    def test_nobody_to_tell_is_said_too(self, as_anna, opened):
        Stakeholder.objects.all().delete()
        response = post_update(as_anna, opened, htmx=True)
        assert "no stakeholder is set to receive it" in messages_region(response.text)

    def test_a_rejected_update_has_no_confirmation(self, as_anna, opened):
        response = post_update(as_anna, opened, htmx=True, message="", status="resolved")
        assert response.status_code == 422
        assert "Update posted" not in response.text


class TestPostponed:
    def test_htmx_postpone_names_the_new_time(self, as_anna, opened):
        response = as_anna.post(reverse("incidents:extend_due", args=[opened.pk]),
                                {"until": "2026-11-23T11:15", "reason": "Vendor arrives at 11:00."}, **HTMX)
        assert response.status_code == 200
        assert "Next update postponed to 11:15 CET." in messages_region(response.text)

    def test_postponed_to_another_day_names_the_date(self, as_anna, opened):
        response = as_anna.post(reverse("incidents:extend_due", args=[opened.pk]),
                                {"until": "2026-11-24T08:00", "reason": "Parts arrive tomorrow."})
        page = as_anna.get(response["Location"]).text
        assert "Next update postponed to 24/11/2026 08:00 CET." in messages_region(page)


def test_polls_of_other_pages_leave_messages_for_the_console(as_anna, opened, client):
    """The status page's htmx polls never read (or eat) console messages."""
    response = as_anna.get(reverse("statuspage:page", args=["midsize"]), HTTP_HX_REQUEST="true")
    assert 'id="messages"' not in response.text


def test_starting_maintenance_in_place_confirms_it(as_anna, customer, file_server, time_machine):
    from datetime import timedelta

    from incidents.maintenance import maintenance_schedule

    time_machine.move_to(T0, tick=False)
    window, _warnings = maintenance_schedule(customer=customer, title="Firmware", components=[file_server],
                                             starts_at=T0 + timedelta(days=8), ends_at=T0 + timedelta(days=8, hours=2),
                                             author=None)
    response = as_anna.post(reverse("incidents:maintenance_action", args=[window.pk, "start"]), **HTMX)
    assert response.status_code == 200
    assert "Maintenance started" in messages_region(response.text)
