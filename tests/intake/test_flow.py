"""Alerts open, update and close incidents, and what the customers' people receive (aiosmtpd).

Alertmanager payloads (version 4) are posted to the integration's address as Alertmanager
would; the acknowledgment and the later messages are read off the SMTP server.
"""

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cadence.tick import tick
from incidents.models import ComponentStatus, Incident, Status
from intake.integrations import integration_get_or_create, token_rotate
from intake.models import Alert, AlertState, IntakeRequest, MappingRule
from tests.intake.helpers import am_alert, am_payload, last_outcome, mails_to, post

pytestmark = pytest.mark.django_db

NL_ACK = "Wij zijn op de hoogte van een storing en onderzoeken die nu."
EN_ACK = "We are aware of a disruption and are investigating it now."
NL_BACK = "Onze monitoring laat zien dat de dienst weer werkt."
EN_BACK = "Our monitoring shows the service working again."
TECHNICAL = "(technical detail)"


def fire(client, integration, capture, *alerts, group='{}:{alertname="FileServerDown"}'):
    return post(client, integration, am_payload(*alerts, group=group), capture=capture)


def test_a_firing_alert_opens_the_incident_and_everyone_hears_it_in_their_language(
        client, alertmanager, cast, smtp_server, django_capture_on_commit_callbacks):
    alert = am_alert("FileServerDown", component="File server", summary="File server unreachable")

    response = fire(client, alertmanager, django_capture_on_commit_callbacks, alert)

    assert response.status_code == 202 and response.json() == {"alerts": 1, "accepted": True}
    assert last_outcome(alertmanager) == {"opened": 1}
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.status) == ("File server unreachable", "critical",
                                                                     "investigating")
    assert incident.first_link.number.startswith("MSM-")
    assert incident.affected.get().component == cast.parts["File server"]
    assert cast.parts["File server"].__class__.objects.get(pk=cast.parts["File server"].pk).status == (
        ComponentStatus.MAJOR_OUTAGE)
    mail, = mails_to(smtp_server, "it@midsize.example")
    assert "File server unreachable" in mail.subject and incident.first_link.number in mail.subject
    assert mail.language == "nl" and "Wij zijn op de hoogte van een incident bij MidSize" in mail.text
    assert "Bestandsserver" in mail.text  # the component, by its Dutch name
    assert TECHNICAL not in mail.text  # the alert's technical description stays on the console
    # The next update is promised from the contract's cadence, in the reader's zone.
    assert f"{incident.next_update_due_at.astimezone(ZoneInfo('Europe/Amsterdam')):%H:%M}" in mail.text
    cfo, = mails_to(smtp_server, "cfo@midsize.example")
    assert cfo.language == "en" and "has been affected by an incident: File server unreachable" in cfo.text
    # The first public text, Kalm's default wording in each reader's language, is on the status page.
    assert NL_ACK in client.get("/status/midsize/", headers={"accept-language": "nl"}).text
    assert EN_ACK in client.get("/status/midsize/?lang=en").text
    record = IntakeRequest.objects.get()
    assert (record.status_code, record.state, record.outcome) == (202, "done",
                                                                  f"opened 1 ({incident.first_link.number})")
    assert json.loads(record.body)["alerts"][0]["labels"]["alertname"] == "FileServerDown"


def test_a_retry_or_a_repeat_never_opens_a_second_incident(client, alertmanager, cast, smtp_server,
                                                           django_capture_on_commit_callbacks):
    alert = am_alert("FileServerDown", component="File server")
    for _ in range(3):
        response = fire(client, alertmanager, django_capture_on_commit_callbacks, alert)
    assert response.status_code == 202 and last_outcome(alertmanager) == {"repeated": 1}
    assert Incident.objects.count() == 1
    assert len(mails_to(smtp_server, "it@midsize.example")) == 1
    assert Alert.objects.get().times_received == 3


def test_related_alerts_of_one_group_share_the_incident(client, alertmanager, cast,
                                                         django_capture_on_commit_callbacks):
    first = am_alert("FileServerDown", component="File server", instance="fs01")
    second = am_alert("ERPDown", component="ERP", instance="erp01", severity="warning")
    fire(client, alertmanager, django_capture_on_commit_callbacks, first)
    fire(client, alertmanager, django_capture_on_commit_callbacks, first, second)
    assert last_outcome(alertmanager) == {"joined": 1, "repeated": 1}
    incident = Incident.objects.get()
    assert set(incident.alerts.values_list("title", flat=True)) == {"FileServerDown on fs01", "ERPDown on erp01"}


def test_all_alerts_clear_then_monitoring_then_resolved_after_the_quiet_period(
        client, alertmanager, cast, smtp_server, django_capture_on_commit_callbacks):
    alertmanager.resolution, alertmanager.quiet_minutes = "auto", 15
    alertmanager.save()
    alert = am_alert("FileServerDown", component="File server", summary="File server unreachable")
    fire(client, alertmanager, django_capture_on_commit_callbacks, alert)
    incident = Incident.objects.get()

    fire(client, alertmanager, django_capture_on_commit_callbacks, {**alert, "status": "resolved"})

    assert last_outcome(alertmanager) == {"cleared": 1, "recovered": 1}
    incident.refresh_from_db()
    assert incident.status == Status.MONITORING
    assert cast.parts["File server"].__class__.objects.get(pk=cast.parts["File server"].pk).status == "operational"
    back = mails_to(smtp_server, "iedereen@midsize.example")[-1]
    assert back.language == "nl" and NL_BACK in back.text and EN_BACK not in back.text
    with django_capture_on_commit_callbacks(execute=True):
        tick(timezone.now() + timedelta(minutes=14))
    incident.refresh_from_db()
    assert incident.status == Status.MONITORING  # not quiet long enough yet
    with django_capture_on_commit_callbacks(execute=True):
        report = tick(timezone.now() + timedelta(minutes=16))
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED and report.done["alert_resolve"] == 1
    assert "De storing is opgelost" in mails_to(smtp_server, "iedereen@midsize.example")[-1].text


def test_the_propose_policy_leaves_resolving_to_a_person(client, alertmanager, cast,
                                                          django_capture_on_commit_callbacks):
    alert = am_alert("FileServerDown")
    fire(client, alertmanager, django_capture_on_commit_callbacks, alert)
    fire(client, alertmanager, django_capture_on_commit_callbacks, {**alert, "status": "resolved"})
    with django_capture_on_commit_callbacks(execute=True):
        tick(timezone.now() + timedelta(hours=2))
    assert Incident.objects.get().status == Status.MONITORING


def test_a_refire_while_monitoring_investigates_again_and_after_resolution_reopens(
        client, alertmanager, cast, smtp_server, django_capture_on_commit_callbacks):
    alert = am_alert("FileServerDown", component="File server")
    fire(client, alertmanager, django_capture_on_commit_callbacks, alert)
    fire(client, alertmanager, django_capture_on_commit_callbacks, {**alert, "status": "resolved"})

    fire(client, alertmanager, django_capture_on_commit_callbacks, alert)

    assert last_outcome(alertmanager) == {"recurred": 1}
    incident = Incident.objects.get()
    assert incident.status == Status.INVESTIGATING
    assert cast.parts["File server"].__class__.objects.get(pk=cast.parts["File server"].pk).status != "operational"
    assert "Onze monitoring laat de storing opnieuw zien" in mails_to(smtp_server, "iedereen@midsize.example")[-1].text

    fire(client, alertmanager, django_capture_on_commit_callbacks, {**alert, "status": "resolved"})
    incident.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        from flows import incidents as incident_flow
        incident_flow.post_update(incident=incident, author=None, status="resolved", message="Opgelost.")
    fire(client, alertmanager, django_capture_on_commit_callbacks, alert)
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING and incident.reopen_count == 1
    assert Incident.objects.count() == 1


def test_a_rule_sends_shared_infrastructure_alerts_to_several_customers_as_one_incident(
        client, alertmanager, cast, smtp_server, django_capture_on_commit_callbacks):
    rule = MappingRule.objects.create(integration=alertmanager, match={"cluster": "shared-storage"},
                                      components=["File server", "File share"], severity="high")
    rule.customers.set([cast.midsize, cast.northwind, cast.bergmann])
    alert = am_alert("StorageDown", cluster="shared-storage", severity="critical", summary="Storage cluster down")

    fire(client, alertmanager, django_capture_on_commit_callbacks, alert)

    incident = Incident.objects.get()
    numbers = sorted(incident.customer_links.values_list("number", flat=True))
    assert [n[:3] for n in numbers] == ["BPG", "MSM", "NWL"]
    assert alertmanager.requests.get().outcome == f"opened 1 ({', '.join(numbers)})"
    assert incident.severity == "high"  # the rule's severity wins over the alert's
    assert {a.component.name for a in incident.affected.select_related("component")} == {"Bestandsserver",
                                                                                          "File share"}
    for address, number, language in (("it@bergmann.example", "BPG", "de"), ("it@northwind.example", "NWL", "en"),
                                      ("it@midsize.example", "MSM", "nl")):
        mail, = mails_to(smtp_server, address)
        assert mail.language == language and f"#{number}-" in mail.subject and "Storage cluster down" in mail.subject


def test_flap_damping_counts_an_alert_only_once_it_has_fired_long_enough(
        client, alertmanager, cast, django_capture_on_commit_callbacks):
    alertmanager.flap_seconds = 120
    alertmanager.save()
    blip = am_alert("Blip", instance="a")
    fire(client, alertmanager, django_capture_on_commit_callbacks, blip, group="blip")
    fire(client, alertmanager, django_capture_on_commit_callbacks, {**blip, "status": "resolved"}, group="blip")
    assert Alert.objects.get().state == AlertState.IGNORED

    steady = am_alert("Steady", instance="b")
    fire(client, alertmanager, django_capture_on_commit_callbacks, steady, group="steady")
    assert last_outcome(alertmanager) == {"waiting": 1} and not Incident.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        tick(timezone.now() + timedelta(seconds=60))
    assert not Incident.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        report = tick(timezone.now() + timedelta(seconds=121))
    assert report.done["alert_counts"] == 1
    assert Incident.objects.get().title == "Steady on b"


def test_draft_waits_in_the_inbox_and_goes_out_at_the_acknowledgment_target_telling_the_managers(
        client, cast, account_manager, smtp_server, django_capture_on_commit_callbacks):
    account_manager.email = "anna@msp.example"
    account_manager.save()
    integration = integration_get_or_create(customer=cast.midsize, kind="alertmanager", policy="draft")
    fire(client, integration, django_capture_on_commit_callbacks, am_alert("FileServerDown"))
    assert Alert.objects.get().state == AlertState.INBOX and not Incident.objects.exists()
    assert not mails_to(smtp_server, "it@midsize.example")

    target = cast.midsize.ack_target_minutes
    with django_capture_on_commit_callbacks(execute=True):
        tick(timezone.now() + timedelta(minutes=target - 1))
    assert not Incident.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        tick(timezone.now() + timedelta(minutes=target, seconds=1))
    incident = Incident.objects.get()
    assert incident.first_link.number in mails_to(smtp_server, "it@midsize.example")[0].subject
    notice, = mails_to(smtp_server, "anna@msp.example")
    assert incident.first_link.number in notice.subject and f"{target} minutes" in notice.text


def test_bad_input_is_a_4xx_naming_the_problem_and_stores_no_alert(client, alertmanager, cast):
    assert post(client, alertmanager, b"{not json").json()["field"] == "body"
    response = post(client, alertmanager, {"alerts": [{"status": "exploded", "labels": {}}]})
    assert response.status_code == 400 and response.json()["field"].startswith("alerts[0]")
    response = post(client, alertmanager, am_payload(am_alert("X", starts=timezone.now().replace(year=2400))))
    assert response.status_code == 400 and "startsAt" in response.json()["field"]
    assert not Alert.objects.exists() and not Incident.objects.exists()
    assert list(IntakeRequest.objects.values_list("status_code", flat=True)) == [400, 400, 400]
    assert client.post("/intake/not-a-token/", "{}", content_type="application/json").status_code == 404
    assert client.get(f"/intake/{alertmanager.token}/").status_code == 405
    huge = b'{"alerts": [], "pad": "' + b"x" * 1_100_000 + b'"}'
    assert post(client, alertmanager, huge).status_code == 413


def test_nul_and_control_characters_are_cleaned_not_stored(client, alertmanager, cast,
                                                           django_capture_on_commit_callbacks):
    alert = am_alert("Down", summary="File\x00server\x1b[31m down")
    assert fire(client, alertmanager, django_capture_on_commit_callbacks, alert).status_code == 202
    assert Incident.objects.get().title == "File server [31m down"
    assert "\x00" not in IntakeRequest.objects.get().body


def test_bearer_token_and_rotation(client, alertmanager, cast, django_capture_on_commit_callbacks):
    payload = json.dumps(am_payload(am_alert("Down")))
    response = client.post("/intake/", payload, content_type="application/json",
                           headers={"Authorization": f"Bearer {alertmanager.token}"})
    assert response.status_code == 202
    assert client.post("/intake/", payload, content_type="application/json").status_code == 401
    old = alertmanager.token
    token_rotate(alertmanager)
    assert client.post(f"/intake/{old}/", payload, content_type="application/json").status_code == 202
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert client.post(f"/intake/{old}/", payload, content_type="application/json").status_code == 404
        assert client.post(f"/intake/{alertmanager.token}/", payload,
                           content_type="application/json").status_code == 202


def test_a_storm_opens_no_more_incidents_than_groups(client, alertmanager, cast, smtp_server,
                                                     django_capture_on_commit_callbacks):
    for i in range(200):
        alert = am_alert(f"Host{i}Down", instance=f"h{i}", fingerprint=f"{i:016x}")
        fire(client, alertmanager, django_capture_on_commit_callbacks, alert, group=f"group-{i % 4}")
    assert Incident.objects.count() == 4
    assert Alert.objects.filter(state=AlertState.OPEN).count() == 200
    assert len(mails_to(smtp_server, "it@midsize.example")) == 4
