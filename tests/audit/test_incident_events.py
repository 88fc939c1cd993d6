"""The incident lifecycle in the audit trail: who (the author; nobody for the tick), when, from
where (the client address of the console or API request), what (before → after of the facts
and components that changed), recorded by flows.incidents in the change's own transaction."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from audit.models import Action, AuditEvent
from cadence import tick
from comms.models import Stakeholder
from flows import incidents as incident_flow
from incidents.models import Customer, Incident
from tests.audit.conftest import IP, actions, only

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def open_form(customer, **extra):
    return {"customer": customer.pk, "title": "Mail is down", "category": "email", "severity": "high",
            "status": "investigating", "detected_by": "msp", "message": "We are on it."} | extra


def test_open_update_resolve_and_reopen_in_the_console(from_ip, account_manager, customer, file_server):
    client = from_ip
    client.force_login(account_manager)
    before = timezone.now()
    client.post(reverse("incidents:open"), open_form(customer, **{f"component_{file_server.pk}": "major_outage"}))
    incident = Incident.objects.get()
    opened = only(Action.INCIDENT_OPENED)
    assert (opened.actor, opened.actor_username, opened.actor_ip) == (account_manager, "anna", IP)
    assert before <= opened.at <= timezone.now()
    assert (opened.customer, opened.incident) == (customer, incident)
    assert opened.object_type == "incidents.incident" and opened.object_id == str(incident.pk)
    assert opened.object_repr == f"{incident.first_link.number} Mail is down"
    assert opened.before == {}
    assert opened.after["title"] == "Mail is down" and opened.after["status"] == "investigating"
    assert opened.after["components"] == {"File server": "major_outage"}
    assert opened.detail == "We are on it."

    url = reverse("incidents:post_update", args=[incident.pk])
    client.post(url, {"message": "Disk found.", "status": "identified", "severity": "critical"})
    updated = only(Action.INCIDENT_UPDATED)
    assert updated.before == {"status": "investigating", "severity": "high"}
    assert updated.after == {"status": "identified", "severity": "critical"}
    assert (updated.actor, updated.actor_ip, updated.detail) == (account_manager, IP, "Disk found.")

    client.post(url, {"message": "All back.", "status": "resolved", "severity": "critical"})
    resolved = only(Action.INCIDENT_RESOLVED)
    assert resolved.before == {"status": "identified", "components": {"File server": "major_outage"}}
    assert resolved.after == {"status": "resolved", "components": {"File server": "operational"}}

    client.post(reverse("incidents:reopen", args=[incident.pk]), {"message": "Down again."})
    reopened = only(Action.INCIDENT_REOPENED)
    assert reopened.before["status"] == "resolved" and reopened.after["status"] == "investigating"
    assert reopened.actor == account_manager and reopened.incident == incident


def test_a_change_that_fails_records_nothing(from_ip, account_manager, incident):
    from_ip.force_login(account_manager)
    response = from_ip.post(reverse("incidents:post_update", args=[incident.pk]),
                            {"message": "", "status": "resolved", "severity": "critical"})
    assert response.status_code == 422
    assert actions() == [Action.INCIDENT_OPENED]  # the fixture's opening only


def test_customer_added_postponed_and_acknowledged(from_ip, manager, customer, other_customer, time_machine):
    time_machine.move_to(T0, tick=False)
    Customer.objects.filter(pk=customer.pk).update(ack_requires_approval=True)
    incident = incident_flow.open_incident(customer=Customer.objects.get(pk=customer.pk), title="VPN down",
                                           category="network", severity="critical", message="Looking.",
                                           author=manager)
    from_ip.force_login(manager)
    from_ip.post(reverse("incidents:acknowledge", args=[incident.pk]))
    acknowledged = only(Action.INCIDENT_ACKNOWLEDGED)
    assert acknowledged.before == {"acknowledged_at": None}
    assert acknowledged.after == {"acknowledged_at": T0.isoformat()}
    assert (acknowledged.actor, acknowledged.actor_ip) == (manager, IP)

    from_ip.post(reverse("incidents:extend_due", args=[incident.pk]),
                 {"until": "2026-11-23T11:15", "reason": "Vendor engineer arrives at 11:00."})
    postponed = only(Action.INCIDENT_POSTPONED)
    assert postponed.before == {"next_update_due_at": (T0 + timedelta(minutes=30)).isoformat()}
    assert postponed.after == {"next_update_due_at": datetime(2026, 11, 23, 10, 15, tzinfo=UTC).isoformat()}
    assert postponed.detail == "Vendor engineer arrives at 11:00."

    from_ip.post(reverse("incidents:add_customer", args=[incident.pk]),
                 {"customer": other_customer.pk, "title__en": "VPN down"})
    added = only(Action.INCIDENT_CUSTOMER_ADDED)
    assert added.customer == other_customer and added.incident == incident
    assert added.before == {"customers": ["MidSize Manufacturing BV"]}
    assert added.after == {"customers": ["MidSize Manufacturing BV", "Northwind Ltd"]}


def test_the_ticks_holding_update_has_no_actor_and_no_address(customer, account_manager, time_machine,
                                                              django_capture_on_commit_callbacks):
    time_machine.move_to(T0, tick=False)
    incident = incident_flow.open_incident(customer=customer, title="Mail down", category="email",
                                           severity="critical", message="Looking.", author=account_manager)
    time_machine.move_to(T0 + timedelta(minutes=31), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        tick.tick()
    holding = only(Action.INCIDENT_HOLDING)
    assert (holding.actor, holding.actor_username, holding.actor_ip) == (None, "", None)
    assert holding.incident == incident and holding.customer == customer and holding.detail


def test_the_summary_is_recorded_with_its_author(from_ip, account_manager, incident):
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    from_ip.force_login(account_manager)
    response = from_ip.post(reverse("reports:send_summary", args=[incident.pk]), {"message": "What happened."})
    assert response.status_code == 302
    summary = only(Action.INCIDENT_SUMMARY)
    assert (summary.actor, summary.actor_ip, summary.detail) == (account_manager, IP, "What happened.")


def test_through_the_api_the_tokens_user_and_the_clients_address(client, account_manager, customer):
    token = ApiToken.issue(user=account_manager)[1]
    response = client.post("/api/v1/incidents", {"customer": "midsize", "title": "Mail ligt eruit", "category": "email",
                                                 "severity": "high", "message": "We onderzoeken het."},
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"},
                           REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201
    opened = only(Action.INCIDENT_OPENED)
    assert (opened.actor, opened.actor_ip, opened.customer) == (account_manager, "203.0.113.9", customer)


def test_maintenance_scheduled_and_started_from_the_console_and_completed_by_the_tick(
        from_ip, account_manager, customer, file_server, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(T0, tick=False)
    from_ip.force_login(account_manager)
    from_ip.post(reverse("incidents:maintenance_new"),
                 {"customer": customer.pk, "title": "Firewall firmware", "components": [file_server.pk],
                  "starts_at": "2026-12-05T22:00", "ends_at": "2026-12-06T01:00"})
    scheduled = only(Action.MAINTENANCE_SCHEDULED)
    assert (scheduled.actor, scheduled.actor_ip, scheduled.customer) == (account_manager, IP, customer)
    assert scheduled.after["title"] == "Firewall firmware" and scheduled.after["components"]
    maintenance = customer.maintenances.get()
    from_ip.post(reverse("incidents:maintenance_action", args=[maintenance.pk, "start"]))
    started = only(Action.MAINTENANCE_STARTED)
    assert started.before == {"status": "scheduled"} and started.after == {"status": "in_progress"}
    assert started.actor == account_manager
    time_machine.move_to(datetime(2026, 12, 6, 1, 1, tzinfo=UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        tick.tick()
    completed = only(Action.MAINTENANCE_COMPLETED)
    assert completed.actor is None and completed.after == {"status": "completed"}


def test_a_composer_preview_leaves_no_event(from_ip, account_manager, customer, incident):
    """The composer previews by running the real update in a rolled-back transaction."""
    Stakeholder.objects.create(customer=customer, name="IT", role="customer_it", audience="technical",
                               email="it@midsize.example")
    from_ip.force_login(account_manager)
    count = AuditEvent.objects.count()
    response = from_ip.post(reverse("comms:compose", args=[incident.pk]),
                            {"message": "Preview only.", "status": "identified", "severity": "critical",
                             "preview": "1"})
    assert response.status_code == 200 and response.context["drafts"]
    assert AuditEvent.objects.count() == count
