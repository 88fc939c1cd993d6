"""A drill run end to end (issue 15, seed 004): started from the console, updated by its participants,
driven by the cadence tick, then checked from every receiving end — the SMTP server, the HTTP
receiver for webhooks, the SMS provider, the delivery log, the published status page snapshot,
its JSON, feeds, calendar and badge, and the API — for one thing: nothing left the MSP, and every
message says it is a drill in its reader's language."""

from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.test import Client

from api.models import ApiToken
from cadence import tick
from comms.models import Delivery, MessageKind
from flows import incidents as incident_flow
from flows.drill_scenarios import MIDSIZE_OUTAGE
from incidents.models import Component, Incident
from statuspage import api, snapshots
from statuspage.snapshot_store import page_directory
from tests.drills.conftest import DESK, T0, minutes

pytestmark = pytest.mark.django_db

PUBLIC_DOCUMENTS = ["", *(f"api/v2/{name}" for name in api.ENDPOINTS), "history.rss", "history.atom",
                    "maintenance.ics", "badge.svg"]


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def drill(client, customer, account_manager, manager, directory, clock, commit, smtp_server, sms_outbox,
          snapshots):
    """The account manager starts seed 000's scenario from the console; the team then plays it:
    the tick reminds and holds, they post the cause late, then the resolution."""
    client.force_login(account_manager)
    with commit():
        response = client.post("/console/drills/", {"customer": customer.slug, "scenario": MIDSIZE_OUTAGE.slug})
    assert response.status_code == 302
    incident = Incident.objects.get(is_drill=True)
    assert response["Location"] == f"/console/incidents/{incident.pk}/"
    for at in (21, 31, 46):  # reminder 10 min before due, holding update when due, manager escalation when late
        clock.move_to(minutes(at))
        with commit():
            tick.tick()
    clock.move_to(minutes(50))
    with commit():
        incident_flow.post_update(incident=incident, author=account_manager, status="identified",
                                  message=MIDSIZE_OUTAGE.script[0].message["nl"])
    clock.move_to(minutes(75))
    with commit():
        incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                  message=MIDSIZE_OUTAGE.script[2].message["nl"])
    incident.refresh_from_db()
    return incident


def test_every_delivery_went_to_the_internal_desk_by_email_only(drill, directory, http_sink, sms_outbox):
    deliveries = list(Delivery.objects.select_related("communication", "stakeholder"))
    kinds = {delivery.communication.kind for delivery in deliveries}
    assert {MessageKind.ACKNOWLEDGMENT, MessageKind.HOLDING, MessageKind.UPDATE, MessageKind.RESOLUTION} <= kinds
    assert {(d.stakeholder.role, d.channel, d.address, d.state) for d in deliveries} == {
        ("internal_msp", "email", DESK, "sent")}
    customers_people = [person.pk for person in (directory["it"], directory["executives"])] + [
        directory["subscriber"].stakeholder_id, directory["webhook_subscriber"].stakeholder_id]
    assert not Delivery.objects.filter(stakeholder__in=customers_people).exists()
    assert http_sink.requests == []  # neither the desk's webhook nor the customer's nor the subscriber's
    assert sms_outbox == []


def test_the_desk_reads_oefening_and_staff_notices_say_drill(drill, smtp_server, account_manager, manager):
    staff = {account_manager.email, manager.email}
    to_desk = [mail for mail in smtp_server.messages if mail.rcpt_tos == [DESK]]
    notices = [mail for mail in smtp_server.messages if mail.rcpt_tos != [DESK]]
    assert {address for mail in smtp_server.messages for address in mail.rcpt_tos} <= {DESK, *staff}
    assert len(to_desk) == Delivery.objects.count() >= 4
    for mail in to_desk:
        assert mail.message["Subject"].startswith("OEFENING: "), mail.message["Subject"]
        assert body(mail.message).splitlines()[0] == "OEFENING"
        html = mail.message.get_body(preferencelist=("html",)).get_content()
        assert ">OEFENING</p>" in html
    # Every notice to staff is marked too: the cadence's and the playbook's (roles, checklist items),
    # each in its reader's language (the site language here: English).
    subjects = [mail.message["Subject"] for mail in notices]
    assert subjects and all(subject.startswith("DRILL: ") for subject in subjects), subjects
    assert any("Update due" in subject for subject in subjects), subjects  # the tick's reminder


def test_nothing_public_mentions_the_drill(drill, customer, account_manager, commit, client, settings):
    number = drill.first_link.number
    secrets = [number, *MIDSIZE_OUTAGE.title.values(), MIDSIZE_OUTAGE.opening["nl"][:40],
               MIDSIZE_OUTAGE.script[2].message["en"][:40]]
    customer.refresh_from_db()
    snapshots.publish(customer)
    stored = [path for path in page_directory(customer.slug).rglob("*") if path.is_file()]
    assert len(stored) > 20  # every document in every language variant
    for path in stored:
        text = path.read_bytes().decode(errors="replace")
        assert not any(secret in text for secret in secrets), path
    anonymous = Client()
    for document in PUBLIC_DOCUMENTS:
        for language in ("nl", "en", "de"):
            response = anonymous.get(f"/status/{customer.slug}/{document}", {"lang": language})
            assert response.status_code == 200, document
            assert not any(secret.encode() in response.content for secret in secrets), (document, language)
    assert set(Component.objects.filter(customer=customer).values_list("status", flat=True)) == {"operational"}
    # ... and the API's incident list and detail (what integrations read) do not know it either.
    headers = {"Authorization": f"Bearer {ApiToken.issue(user=account_manager, scope='read')[1]}"}
    listed = anonymous.get("/api/v1/incidents", headers=headers).json()
    assert listed["count"] == 0 and listed["items"] == []
    assert anonymous.get(f"/api/v1/incidents/{number}", headers=headers).status_code == 404

    # The same page does show a real incident: the filter hides drills, not everything.
    with commit():
        real = incident_flow.open_incident(customer=customer, title="Echte storing: VPN", category="network",
                                           severity="high", message="We onderzoeken het.", author=account_manager)
    page = anonymous.get(f"/status/{customer.slug}/", {"lang": "nl"}).content.decode()
    feed = anonymous.get(f"/status/{customer.slug}/history.rss").content.decode()
    assert "Echte storing: VPN" in page and "Echte storing: VPN" in feed
    assert real.first_link.number in anonymous.get("/api/v1/incidents", headers=headers).content.decode()
    assert number not in page


def test_the_incident_page_shows_the_drill_badge_and_script(drill, client):
    page = client.get(f"/console/incidents/{drill.pk}/", headers={"Accept-Language": "nl"}).content.decode()
    assert 'class="badge drill"' in page
    assert MIDSIZE_OUTAGE.script[1].message["nl"] in page  # the suggestion not yet posted
    due = (T0 + timedelta(minutes=MIDSIZE_OUTAGE.script[1].minutes)).astimezone(drill.customers.get().tzinfo)
    assert due.strftime("%H:%M") in page  # 12:00 Amsterdam: the scenario's offset from the start
