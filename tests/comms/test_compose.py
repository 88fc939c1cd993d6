"""The composer: previews per audience from the same facts, edits, send now or later."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from comms.models import Communication, Stakeholder
from incidents.models import IncidentUpdate


@pytest.fixture
def people(customer):
    make = Stakeholder.objects.create
    make(customer=customer, name="IT", role="customer_it", audience="technical", language="nl",
         email="it@midsize.example")
    make(customer=customer, name="Staff", role="affected_users", audience="end_user", language="nl",
         email="staff@midsize.example")
    make(customer=customer, name="CFO", role="executives", audience="executive", language="en",
         email="cfo@midsize.example")


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


def facts(**extra):
    # The CFO reads English, the others Dutch: the composer asks for the message in both.
    return {"message": "Er wordt een reserveschijf geplaatst.", "message__en": "A spare disk is being fitted.",
            "status": "identified", "severity": "critical"} | extra


def test_preview_shows_one_draft_per_audience_and_writes_nothing(as_anna, people, incident):
    response = as_anna.post(reverse("comms:compose", args=[incident.pk]), facts(preview="1"))
    drafts = response.context["drafts"]
    assert {(d.plan.audience, d.plan.language) for d in drafts} == {
        ("technical", "nl"), ("end_user", "nl"), ("executive", "en")}
    assert all(d.body and d.subject for d in drafts)
    assert IncidentUpdate.objects.filter(incident=incident).count() == 1
    assert Communication.objects.filter(update__kind="update").count() == 0
    assert "IT" in response.text and "CFO" in response.text


def test_send_uses_the_edited_text_for_that_audience_only(as_anna, people, incident, customer):
    key = f"{customer.pk}-update-end_user-nl"
    response = as_anna.post(reverse("comms:compose", args=[incident.pk]), facts(
        send="1", **{f"subject-{key}": "Storing bestandsserver", f"body-{key}": "Wij vervangen een schijf."}))
    assert response.status_code == 302
    end_user = Communication.objects.get(kind="update", audience="end_user")
    technical = Communication.objects.get(kind="update", audience="technical")
    assert end_user.subject == "Storing bestandsserver" and "Wij vervangen een schijf." in end_user.body_text
    assert "Wij vervangen" not in technical.body_text
    incident.refresh_from_db()
    assert incident.status == "identified"


def test_an_emptied_draft_is_refused(as_anna, people, incident, customer):
    key = f"{customer.pk}-update-end_user-nl"
    response = as_anna.post(reverse("comms:compose", args=[incident.pk]), facts(
        send="1", **{f"subject-{key}": "Storing", f"body-{key}": "   "}))
    assert response.status_code == 422
    assert IncidentUpdate.objects.filter(incident=incident).count() == 1


def test_edited_text_is_sent_literally_not_evaluated(as_anna, people, incident, customer):
    key = f"{customer.pk}-update-end_user-nl"
    as_anna.post(reverse("comms:compose", args=[incident.pk]), facts(
        send="1", **{f"subject-{key}": "Storing", f"body-{key}": "Code {{ unclosed en {{ number }}"}))
    end_user = Communication.objects.get(kind="update", audience="end_user")
    assert "{{ unclosed en {{ number }}" in end_user.body_text


def test_schedule_for_later(as_anna, people, incident):
    later = timezone.localtime(timezone.now() + timedelta(hours=2), incident.first_link.customer.tzinfo)
    response = as_anna.post(reverse("comms:compose", args=[incident.pk]),
                            facts(send="1", send_at=later.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 302
    communication = Communication.objects.filter(kind="update").first()
    assert communication.state == "queued" and communication.send_at > timezone.now() + timedelta(hours=1)


def test_warnings_flag_jargon_for_end_users(as_anna, people, incident):
    response = as_anna.post(reverse("comms:compose", args=[incident.pk]),
                            facts(preview="1", message="The RAID array failed over; DNS is fine."))
    end_user = next(d for d in response.context["drafts"] if d.plan.audience == "end_user")
    assert any("RAID" in warning for warning in end_user.warnings)


def test_other_account_manager_cannot_compose(client, other_account_manager, incident):
    client.force_login(other_account_manager)
    assert client.get(reverse("comms:compose", args=[incident.pk])).status_code == 404
    response = client.post(reverse("comms:compose", args=[incident.pk]), facts(send="1"))
    assert response.status_code == 404 and IncidentUpdate.objects.filter(incident=incident).count() == 1


def test_the_time_the_preview_promises_is_the_time_posting_sets(as_anna, people, incident):
    """The preview said "by 20:00" and posting set 21:16: the preview now runs the real update and the
    send keeps the promise its texts state, even minutes later."""
    url = reverse("comms:compose", args=[incident.pk])
    start = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        preview = as_anna.post(url, facts(preview="1", status="monitoring"))
        promise = preview.context["promise"]
        # Monitoring: the longer of critical's 30 minutes and the monitoring cadence (120).
        assert promise == start + timedelta(minutes=120)
        shown = {f"{k}-{d.key}": v for d in preview.context["drafts"] for k, v in (("subject", d.subject),
                                                                                   ("body", d.body))}
        local = timezone.localtime(promise, incident.first_link.customer.tzinfo).strftime("%H:%M")
        assert all(local in d.body for d in preview.context["drafts"])
        traveller.shift(timedelta(minutes=3))
        response = as_anna.post(url, facts(send="1", status="monitoring", promise=promise.isoformat(), **shown))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.next_update_due_at == promise
    assert all(local in c.body_text for c in Communication.objects.filter(update__status="monitoring"))
