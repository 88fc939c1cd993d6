"""Subscribers receive public updates through the communications pipeline: routing, the
communication log, a real SMTP server and a real HTTP server on loopback.

Celery runs inline; ``commit()`` runs the on-commit callbacks (expand → deliver) as the
request that posted the update would.
"""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from comms.models import Delivery, Stakeholder
from comms.outbox.delivery import outgoing_message
from flows import incidents as incident_flow
from flows.maintenance import schedule as maintenance_schedule
from statuspage import subscriptions
from statuspage.models import Subscription
from statuspage.subscription_mail import subscriber_extras
from tests.factories import ComponentFactory
from tests.statuspage.helpers import number, open_incident

pytestmark = pytest.mark.django_db

SITE = "https://status.msp.example"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE
    settings.KALM_COALESCE_MINUTES = 0  # several messages to one subscriber within a test
    # The webhook sink listens on loopback (http_sink lists it in KALM_OUTBOUND_ALLOW); subscribers may use it.
    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def subscriber(customer, address, *, language="en", components=(), confirmed=True, channel="email",
               contact_email=""):
    subscription = subscriptions.subscribe(customer=customer, channel=channel, address=address, language=language,
                                           components=list(components), contact_email=contact_email)
    return subscriptions.confirm(subscription=subscription) if confirmed else subscription


def delivered_to(subscription) -> list[Delivery]:
    return list(Delivery.objects.filter(stakeholder=subscription.stakeholder_id).select_related("communication"))


def post_update(incident, author, commit, *, message="The disk is replaced; we are restoring data.", **kwargs):
    with commit():
        return incident_flow.post_update(incident=incident, author=author, message=message, **kwargs)


def test_only_confirmed_subscribers_get_public_updates_and_never_internal_notes(customer, account_manager, erp,
                                                                               commit):
    confirmed = subscriber(customer, "confirmed@example.com")
    pending = subscriber(customer, "pending@example.com", confirmed=False)
    with commit():
        incident = open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})
    post_update(incident, account_manager, commit, message="Internal: vendor ticket 4711 opened.", is_internal=True)

    assert delivered_to(pending) == []
    [ack] = delivered_to(confirmed)
    assert ack.state == "sent" and ack.communication.kind == "acknowledgment"
    assert ack.communication.audience == "end_user"

    post_update(incident, account_manager, commit)
    kinds = [d.communication.kind for d in delivered_to(confirmed)]
    assert kinds == ["acknowledgment", "update"]  # the note produced nothing
    assert all("4711" not in d.communication.body_text for d in delivered_to(confirmed))


def test_component_choice_limits_incident_messages(customer, account_manager, file_server, erp, commit):
    erp_only = subscriber(customer, "erp@example.com", components=[erp])
    files_only = subscriber(customer, "files@example.com", components=[file_server])
    everything = subscriber(customer, "all@example.com")
    with commit():
        open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})

    assert [d.communication.kind for d in delivered_to(erp_only)] == ["acknowledgment"]
    assert delivered_to(files_only) == []  # the incident touches only ERP
    assert [d.communication.kind for d in delivered_to(everything)] == ["acknowledgment"]


def test_scheduled_maintenance_reaches_the_subscribers_of_its_components(customer, account_manager, file_server,
                                                                         erp, commit):
    files_only = subscriber(customer, "files@example.com", components=[file_server])
    erp_only = subscriber(customer, "erp@example.com", components=[erp])
    start = timezone.now() + timedelta(days=2)
    with commit():
        maintenance_schedule(customer=customer, title="Firmware update", starts_at=start,
                             ends_at=start + timedelta(hours=2), components=[file_server], author=account_manager)

    assert [d.communication.kind for d in delivered_to(files_only)] == ["maintenance_announcement"]
    assert delivered_to(erp_only) == []


def test_each_subscriber_reads_their_own_language(customer, account_manager, erp, commit):
    german = subscriber(customer, "anna@example.de", language="de")
    with commit():
        open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})

    [delivery] = delivered_to(german)
    assert delivery.communication.language == "de"
    assert outgoing_message(delivery).footer_text.startswith("Sie erhalten diese Nachricht")


def test_update_mail_has_one_click_unsubscribe_that_works_without_csrf(customer, account_manager, erp, commit,
                                                                     smtp_server):
    subscription = subscriber(customer, "piet@example.com")
    with commit():
        incident = open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})

    [mail] = smtp_server.messages
    headers = mail.message
    assert mail.rcpt_tos == ["piet@example.com"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{SITE}/status/midsize/subscriptions/") and url.endswith("/unsubscribe/")
    text = mail.message.get_body(("plain",)).get_content()
    assert url in text and "/status/midsize/subscriptions/" in text  # footer: unsubscribe and manage links

    response = Client(enforce_csrf_checks=True).post(url.removeprefix(SITE), "List-Unsubscribe=One-Click",
                                                     content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.state == "unsubscribed" and not subscription.stakeholder.is_active

    post_update(incident, account_manager, commit)
    assert len(smtp_server.messages) == 1  # nothing more after unsubscribing


def test_msp_stakeholders_get_no_unsubscribe_header(customer, account_manager, erp, commit, smtp_server):
    Stakeholder.objects.create(customer=customer, name="Jan", role="affected_users", audience="end_user",
                               language="en", email="jan@midsize.example")
    with commit():
        open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})

    [mail] = smtp_server.messages
    assert "List-Unsubscribe" not in mail.message


def test_two_customers_sharing_an_incident_each_see_only_their_own(customer, other_customer, account_manager, erp,
                                                                   commit, smtp_server):
    northwind_mail = ComponentFactory(customer=other_customer, name="Mail", group="")
    ours = subscriber(customer, "ours@example.com")
    theirs = subscriber(other_customer, "theirs@example.com")
    with commit():
        incident = open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})
        incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                                       component_statuses={northwind_mail: "major_outage"})
    post_update(incident, account_manager, commit)

    ours_number, theirs_number = number(incident, customer), number(incident, other_customer)
    by_address = {}
    for mail in smtp_server.messages:
        by_address.setdefault(mail.rcpt_tos[0], []).append(mail.raw.decode(errors="replace"))
    assert len(by_address["ours@example.com"]) == len(by_address["theirs@example.com"]) == 2
    for raw in by_address["ours@example.com"]:
        assert ours_number in raw and theirs_number not in raw and "Northwind" not in raw
    for raw in by_address["theirs@example.com"]:
        assert theirs_number in raw and ours_number not in raw and "MidSize" not in raw
        assert "/status/northwind/subscriptions/" in raw and "/status/midsize/" not in raw
    assert {d.communication.customer_id for d in delivered_to(ours)} == {customer.pk}
    assert {d.communication.customer_id for d in delivered_to(theirs)} == {other_customer.pk}


def test_webhook_subscriber_receives_the_signed_json(customer, account_manager, erp, commit, http_sink):
    subscription = subscriber(customer, http_sink.url("/kalm"), channel="webhook", contact_email="ops@example.com")
    with commit():
        incident = open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})

    [request] = http_sink.requests
    secret = subscription.stakeholder.webhook_secret
    expected = hmac.new(secret.encode(), request.headers["x-kalm-timestamp"].encode() + b"." + request.body,
                        hashlib.sha256).hexdigest()
    assert request.headers["x-kalm-signature"] == f"sha256={expected}"
    payload = json.loads(request.body)
    assert payload["incident"]["number"] == number(incident) and payload["audience"] == "end_user"
    assert Subscription.objects.get().stakeholder.email == ""  # a webhook subscriber gets no e-mail


def test_a_subscriber_webhook_on_a_private_address_is_refused_at_delivery(customer, account_manager, erp, commit,
                                                                           http_sink, settings):
    # Signed up while the check was off (or the name resolved publicly then): when delivering,
    # the address is checked again at connection time, so nothing reaches the internal host.
    subscriber(customer, http_sink.url("/kalm"), channel="webhook", contact_email="ops@example.com")
    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = False
    with commit():
        open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})

    assert http_sink.requests == []
    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.state == "failed" and "127.0.0.1 is a non-public address (loopback)" in delivery.last_error


def test_extras_provider_reads_nothing_from_the_database(customer, account_manager, erp, commit,
                                                         django_assert_num_queries):
    subscriber(customer, "piet@example.com")
    with commit():
        open_incident(customer, account_manager, component_statuses={erp: "partial_outage"})
    delivery = Delivery.objects.select_related("communication__customer", "stakeholder").get()

    with django_assert_num_queries(0):
        extras = subscriber_extras(delivery)

    assert extras.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/status/midsize/subscriptions/" in extras.footer_html
