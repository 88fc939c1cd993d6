"""Checklists per phase: the shipped templates by category × severity, done on the incident page
(internal timeline entry), reminders through the tick (claimed once, also by concurrent ticks),
the PDF report's text, and who may change the rota and the templates."""

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from cadence import tick
from cadence.models import CadenceEvent
from flows import incidents as incident_flow
from playbook import services
from playbook.defaults import defaults_load
from playbook.models import ChecklistItem, ChecklistTemplate, RotaShift
from reports import rendering

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def shipped_templates(db):
    defaults_load()


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def open_incident(customer, author, severity="critical", category="server"):
    return incident_flow.open_incident(customer=customer, title="Fileserver down", category=category,
                                       severity=severity, message="We are investigating.", author=author)


def item(incident, key):
    return ChecklistItem.objects.get(incident=incident, template__key=key)


def test_the_checklist_fits_category_and_severity(customer, account_manager):
    critical = open_incident(customer, account_manager)
    keys = set(ChecklistItem.objects.filter(incident=critical).values_list("template__key", flat=True))
    assert {"cls-criteria", "cls-team", "con-stop", "bc-workaround", "res-confirm", "pi-review"} <= keys
    assert "cls-personal-data" not in keys and "con-evidence" not in keys
    security = open_incident(customer, account_manager, severity="high", category="security")
    keys = set(ChecklistItem.objects.filter(incident=security).values_list("template__key", flat=True))
    assert {"cls-personal-data", "con-evidence"} <= keys and "cls-team" not in keys
    first = item(critical, "cls-criteria")
    assert first.due_at == critical.detected_at + timedelta(minutes=10)
    assert first.texts["de"].startswith("Incident anhand der Kriterien")
    assert item(critical, "pi-review").due_at is None  # counts from the resolution
    assert services.checklist_start(critical) == 0  # once per incident


def test_ticking_an_item_off_writes_an_internal_timeline_entry(customer, account_manager, client):
    incident = open_incident(customer, account_manager)
    first = item(incident, "cls-criteria")
    client.force_login(account_manager)
    url = reverse("playbook:item_done", args=[first.pk])
    response = client.post(url, {"present": "1", "done": "1", "phase": "classification"})
    assert response.status_code == 302 and response["Location"].endswith("?phase=classification#playbook")
    first.refresh_from_db()
    assert first.done_at is not None and first.done_by == account_manager
    entry = incident.updates.get(kind="note")
    assert entry.is_internal
    assert "Toets het incident aan de criteria" in entry.message  # written in the incident's language (nl)
    assert "Incident anhand der Kriterien" in entry.translations["de"]["message"]
    page = client.get(reverse("incidents:detail", args=[incident.pk]) + "?phase=classification").content.decode()
    assert "Check the incident against the criticality criteria" in page
    # htmx: the live part comes back; unticking reopens the item, also in the timeline.
    response = client.post(url, {"present": "1", "phase": "classification"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="incident-live"' in response.content.decode()
    first.refresh_from_db()
    assert first.done_at is None
    assert incident.updates.filter(kind="note", is_internal=True).count() == 2
    assert client.post(url, {"present": "1", "done": "yes"}).status_code == 422


def test_a_due_item_reminds_its_owner_then_the_lead_once_each(customer, account_manager, manager, clock,
                                                              smtp_server, django_capture_on_commit_callbacks):
    incident = open_incident(customer, account_manager)
    services.role_assign(incident=incident, role="incident_lead", user=manager, assigned_by=account_manager)
    services.role_assign(incident=incident, role="technical_lead", user=account_manager,
                         assigned_by=account_manager)
    for key in ("cls-criteria", "cls-impact", "cls-team", "cls-acknowledge"):
        services.checklist_item_set_done(item=item(incident, key), user=manager, done=True)

    def run(minutes):
        clock.move_to(T0 + timedelta(minutes=minutes))
        with django_capture_on_commit_callbacks(execute=True):
            return tick.tick()

    assert not run(29).done["checklist_due"]
    assert run(30).done["checklist_due"] == 1  # con-stop: the technical lead's (Anna)
    assert not run(31).done["checklist_due"]
    due = [m for m in smtp_server.messages if "Checklist item due" in m.message["Subject"]]
    assert [m.rcpt_tos for m in due] == [["anna@msp.example"]]
    assert "Take first containment measures" in due[0].message.get_content()
    assert run(45).done["checklist_late"] == 1  # 15 minutes later (KALM_ROLE_ACK_MINUTES): the lead
    late = [m for m in smtp_server.messages if "Checklist item overdue" in m.message["Subject"]]
    assert [m.rcpt_tos for m in late] == [[manager.email]]
    assert not run(46).done["checklist_late"]
    stop = item(incident, "con-stop")
    assert CadenceEvent.objects.filter(subject=f"checklist:{stop.pk}").count() == 2  # due, late: once each
    # Items nobody owns (scribe, customer contact unfilled) remind the incident lead; a done one nobody.
    services.checklist_item_set_done(item=item(incident, "dia-evidence"), user=manager, done=True)
    assert run(61).done["checklist_due"] == 1  # bc-priorities; not dia-evidence, done
    assert not CadenceEvent.objects.filter(subject=f"checklist:{item(incident, 'dia-evidence').pk}").exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so ticks cannot race")
@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_the_same_moment_remind_once(customer, account_manager, clock):
    incidents = [open_incident(customer, account_manager) for _ in range(3)]
    for incident in incidents:  # reminders need someone to remind: the lead
        services.role_assign(incident=incident, role="incident_lead", user=account_manager,
                             assigned_by=account_manager)
    due_now = ChecklistItem.objects.filter(incident__in=incidents, due_at__lte=T0 + timedelta(minutes=16)).count()
    clock.move_to(T0 + timedelta(minutes=16))
    barrier = threading.Barrier(2)

    def tick_in_a_thread(_):
        try:
            barrier.wait(timeout=10)
            return tick.tick()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(tick_in_a_thread, range(2)))
    assert sum(report.done["checklist_due"] for report in reports) == due_now > 0
    assert not any(report.failed for report in reports)
    assert CadenceEvent.objects.filter(key="checklist_due").count() == due_now


def test_the_pdf_report_lists_roles_and_done_items(other_customer, other_account_manager):
    incident = open_incident(other_customer, other_account_manager)
    other_account_manager.first_name, other_account_manager.last_name = "Otto", "Lead"
    other_account_manager.save()
    services.role_assign(incident=incident, role="incident_lead", user=other_account_manager,
                         assigned_by=other_account_manager)
    services.checklist_item_set_done(item=item(incident, "con-stop"), user=other_account_manager, done=True)
    html = rendering.build_html(incident, other_customer, version=1)
    pdf = rendering.make_pdf(html).pdf
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    text = " ".join(text.decode().split())
    assert "Response team and checklist" in text
    assert "Incident lead: Otto Lead" in text
    assert "Take first containment measures so the damage does not spread" in text
    assert "Check the incident against the criticality criteria" not in text  # not done


def test_rota_and_templates_managers_edit_account_managers_read(customer, other_customer, account_manager,
                                                                other_account_manager, manager, client):
    RotaShift.objects.create(customer=other_customer, user=other_account_manager, starts_at=datetime.now(UTC),
                             ends_at=datetime.now(UTC) + timedelta(hours=2))
    client.force_login(account_manager)
    page = client.get(reverse("playbook:rota"))
    assert page.status_code == 200 and "Northwind" not in page.content.decode()  # not Anna's customer
    form = {"customer": customer.pk, "user": account_manager.pk, "starts_at": "10/03/2026 09:00",
            "ends_at": "10/03/2026 17:00"}
    assert client.post(reverse("playbook:rota"), form).status_code == 403
    assert client.get(reverse("playbook:templates")).status_code == 200
    assert client.get(reverse("playbook:template_new")).status_code == 403
    client.force_login(manager)
    assert "Northwind" in client.get(reverse("playbook:rota")).content.decode()
    bad = client.post(reverse("playbook:rota"), {**form, "ends_at": "10/03/2026 08:00"})
    assert bad.status_code == 422 and "must end after it starts" in bad.content.decode()
    assert client.post(reverse("playbook:rota"), form).status_code == 302
    shift = RotaShift.objects.get(customer=customer)
    assert shift.starts_at == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
    template = ChecklistTemplate.objects.get(key="cls-criteria")
    data = {"phase": "classification", "category": "", "severity": "", "owner_role": "incident_lead",
            "due_minutes": "5", "position": "0", "text_en": "Classify", "text_nl": "Classificeer",
            "text_de": "Klassifizieren", "is_active": "on"}
    assert client.post(reverse("playbook:template_edit", args=[template.pk]), data).status_code == 302
    template.refresh_from_db()
    assert (template.text_de, template.due_minutes) == ("Klassifizieren", 5)
    assert client.post(reverse("playbook:template_edit", args=[template.pk]),
                       {**data, "text_en": "bad\x07"}).status_code == 422
    assert client.post(reverse("playbook:template_new"), {**data, "key": "x"}).status_code == 302
    assert ChecklistTemplate.objects.filter(text_en="Classify").count() == 2
