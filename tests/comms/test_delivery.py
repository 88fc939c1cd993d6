"""The delivery engine against real loopback servers: claims, retries, failures, quarantine, sweeps."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from comms.models import Communication, Delivery, DeliveryAttempt, EndpointHealth, Stakeholder
from comms.outbox import delivery, sweeper
from comms.outbox.expansion import communication_expand
from comms.outbox.planning import SendOptions
from comms.transports import transport_for
from flows import incidents as incident_flow


@pytest.fixture
def people(customer):
    make = Stakeholder.objects.create
    return [
        make(customer=customer, name="IT", role="customer_it", audience="technical", language="nl",
             email="it@midsize.example"),
        make(customer=customer, name="Staff", role="affected_users", audience="end_user", language="nl",
             email="staff@midsize.example"),
        make(customer=customer, name="CFO", role="executives", audience="executive", language="en",
             email="cfo@midsize.example"),
    ]


def open_critical(customer, author):
    return incident_flow.open_incident(customer=customer, title="Server outage", category="server",
                                  severity="critical", message="We are investigating.", author=author)


def test_publishing_sends_each_stakeholder_one_mail_in_their_language(
    customer, people, account_manager, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_critical(customer, account_manager)
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp_server.messages}
    assert set(received) == {"it@midsize.example", "staff@midsize.example", "cfo@midsize.example"}
    number = incident.first_link.number
    assert all(number in message["Subject"] for message in received.values())
    assert received["cfo@midsize.example"]["Content-Language"] == "en"
    assert received["it@midsize.example"]["Content-Language"] == "nl"
    message_ids = [message["Message-ID"] for message in received.values()]
    assert len(set(message_ids)) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert set(Communication.objects.values_list("state", flat=True)) == {"done"}


def test_a_delivery_is_claimed_once(customer, people, account_manager, smtp_server):
    open_critical(customer, account_manager)
    communication = Communication.objects.get(audience="technical")
    [delivery_id] = communication_expand(communication.pk)
    transport = transport_for("email")
    assert delivery.deliver_one(delivery_id, transport) == "sent"
    assert delivery.deliver_one(delivery_id, transport) == "skipped"
    assert len(smtp_server.messages) == 1


def expanded(customer, account_manager, audience="technical"):
    open_critical(customer, account_manager)
    return communication_expand(Communication.objects.get(audience=audience).pk)


def test_transient_failure_is_retried_with_backoff_and_recorded(customer, people, account_manager, smtp_server):
    [delivery_id] = expanded(customer, account_manager)
    smtp_server.defer("it@midsize.example")
    assert delivery.deliver_batch([delivery_id]) == {"retry": 1}
    row = Delivery.objects.get(pk=delivery_id)
    assert row.state == "queued" and row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at - timezone.now() > timedelta(seconds=20)
    assert DeliveryAttempt.objects.get(delivery=row).outcome == "retry"
    # Not due yet: nothing happens. Once due, and the server accepts again, it is sent.
    assert delivery.deliver_batch([delivery_id]) == {"skipped": 1}
    smtp_server.script("it@midsize.example", "")
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert delivery.deliver_batch([delivery_id]) == {"sent": 1}
    assert [m.rcpt_tos for m in smtp_server.messages] == [["it@midsize.example"]]


def test_smtp_server_down_then_back(customer, people, account_manager, smtp_server):
    [delivery_id] = expanded(customer, account_manager)
    smtp_server.stop()
    assert delivery.deliver_batch([delivery_id]) == {"retry": 1}
    smtp_server.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert delivery.deliver_batch([delivery_id]) == {"sent": 1}
    assert len(smtp_server.messages) == 1


def test_permanent_failure_is_final_and_blocks_nothing_else(customer, people, account_manager, smtp_server):
    open_critical(customer, account_manager)
    ids = [i for c in Communication.objects.all() for i in communication_expand(c.pk)]
    smtp_server.reject("staff@midsize.example")
    outcomes = delivery.deliver_batch(ids)
    assert outcomes == {"sent": 2, "failed": 1}
    failed = Delivery.objects.get(state="failed")
    assert failed.address == "staff@midsize.example" and "550" in failed.last_error


def test_attempts_run_out(customer, people, account_manager, smtp_server):
    [delivery_id] = expanded(customer, account_manager)
    Delivery.objects.filter(pk=delivery_id).update(attempts=delivery.MAX_ATTEMPTS - 1)
    smtp_server.defer("it@midsize.example")
    assert delivery.deliver_batch([delivery_id]) == {"failed": 1}


def test_sweeper_requeues_a_dead_workers_delivery(customer, people, account_manager, smtp_server):
    [delivery_id] = expanded(customer, account_manager)
    Delivery.objects.filter(pk=delivery_id).update(state="sending", claimed_at=timezone.now())
    assert sweeper.sweep().deliveries == []  # the lease still runs
    with time_machine.travel(timezone.now() + delivery.lease() + timedelta(minutes=1)):
        sweeper.sweep()  # releases the lease; the delivery is queued again, due now
        assert Delivery.objects.get(pk=delivery_id).state == "queued"
        with time_machine.travel(timezone.now() + timedelta(minutes=1)):
            assert sweeper.sweep().deliveries == [delivery_id]
            assert delivery.deliver_batch([delivery_id]) == {"sent": 1}



def test_a_claim_older_than_half_the_lease_is_given_back_untried(customer, people, account_manager, smtp_server,
                                                                 settings):
    # With a zero lease every claim is "too old" before its first send: the case of a relay so
    # slow that the sweeper could soon hand the chunk's remaining deliveries to another worker.
    open_critical(customer, account_manager)
    ids = [i for c in Communication.objects.all() for i in communication_expand(c.pk)]
    settings.KALM_DELIVERY_LEASE_SECONDS = 0

    assert delivery.deliver_batch(ids) == {"released": 3}

    assert smtp_server.messages == []
    assert set(Delivery.objects.values_list("state", "attempts")) == {("queued", 0)}  # as if never claimed
    assert not DeliveryAttempt.objects.exists()  # no call was made, so no attempt is recorded
    settings.KALM_DELIVERY_LEASE_SECONDS = 300
    assert delivery.deliver_batch(ids) == {"sent": 3}
    assert set(Delivery.objects.values_list("state", "attempts")) == {("sent", 1)}
    assert len(smtp_server.messages) == 3

def test_sweeper_expands_what_the_commit_hook_missed(customer, people, account_manager):
    open_critical(customer, account_manager)  # on_commit never ran: the broker was "down"
    assert sweeper.sweep().communications == []  # within the grace period
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert len(sweeper.sweep().communications) == Communication.objects.count() == 3


def test_scheduled_communication_waits_for_its_time(customer, people, account_manager):
    send_at = timezone.now() + timedelta(hours=1)
    incident_flow.open_incident(customer=customer, title="Planned", category="other", severity="critical",
                           message="Heads-up.", author=account_manager, send=SendOptions(send_at=send_at))
    communication = Communication.objects.first()
    assert communication_expand(communication.pk) == []
    with time_machine.travel(send_at + timedelta(minutes=1)):
        assert communication.pk in sweeper.sweep().communications
        assert communication_expand(communication.pk) != []


def test_failing_webhook_is_quarantined_then_released(customer, account_manager, http_sink):
    url = http_sink.url("/busy")
    Stakeholder.objects.create(customer=customer, name="Hook", role="customer_it", audience="technical",
                               webhook_url=url, webhook_secret="s3cret")
    for _ in range(delivery.QUARANTINE_AFTER):
        Delivery.objects.all().delete()
        Communication.objects.all().delete()
        [delivery_id] = expanded(customer, account_manager)
        delivery.deliver_batch([delivery_id])
    health = EndpointHealth.objects.get(address=url)
    assert health.quarantined_at is not None and health.consecutive_failures == delivery.QUARANTINE_AFTER
    requests_before = len(http_sink.requests)
    Delivery.objects.all().delete()
    Communication.objects.all().delete()
    [delivery_id] = expanded(customer, account_manager)
    assert delivery.deliver_batch([delivery_id]) == {"failed": 1}
    assert len(http_sink.requests) == requests_before  # a quarantined endpoint is not called
    assert "quarantined" in Delivery.objects.get(pk=delivery_id).last_error
    assert delivery.endpoint_release(channel="webhook", address=url) is True
    assert EndpointHealth.objects.get(address=url).quarantined_at is None


def test_webhook_delivery_is_signed(customer, account_manager, http_sink):
    import hashlib
    import hmac

    url = http_sink.url("/hook")
    Stakeholder.objects.create(customer=customer, name="Hook", role="customer_it", audience="technical",
                               webhook_url=url, webhook_secret="s3cret")
    [delivery_id] = expanded(customer, account_manager)
    assert delivery.deliver_batch([delivery_id]) == {"sent": 1}
    request = http_sink.requests[-1]
    timestamp = request.headers["x-kalm-timestamp"]
    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-kalm-signature"] == f"sha256={expected}"


def fail_webhook_once(customer, account_manager) -> str:
    """Publish, expand and deliver one webhook message (the test's webhook answers 503); returns the outcome."""
    Delivery.objects.all().delete()
    Communication.objects.all().delete()
    [delivery_id] = expanded(customer, account_manager)
    [(outcome, _count)] = delivery.deliver_batch([delivery_id]).items()
    return outcome


def test_a_quarantine_mails_the_account_managers_once(
    customer, account_manager, other_account_manager, http_sink, smtp_server, django_capture_on_commit_callbacks
):
    account_manager.email = "anna@msp.example"
    account_manager.save()
    url = http_sink.url("/busy/T0/secret-path")
    http_sink.reply("/busy/T0/secret-path", 503, b"down")
    Stakeholder.objects.create(customer=customer, name="Hook", role="customer_it", audience="technical",
                               webhook_url=url)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [fail_webhook_once(customer, account_manager) for _ in range(delivery.QUARANTINE_AFTER - 1)]
    assert outcomes == ["retry"] * (delivery.QUARANTINE_AFTER - 1)
    assert smtp_server.messages == []  # failing, not yet quarantined: nobody is told

    with django_capture_on_commit_callbacks(execute=True):
        fail_webhook_once(customer, account_manager)  # the failure that quarantines the endpoint
        assert fail_webhook_once(customer, account_manager) == "failed"  # refused: quarantined
        assert fail_webhook_once(customer, account_manager) == "failed"

    [notice] = smtp_server.messages
    assert notice.rcpt_tos == ["anna@msp.example"]  # this customer's account manager, not another customer's
    assert "Endpoint quarantined" in notice.message["Subject"] and customer.name in notice.message["Subject"]
    body = notice.message.get_content()
    assert f"after {delivery.QUARANTINE_AFTER} failed deliveries" in body and "HTTP 503" in body
    assert "secret-path" not in notice.raw.decode()  # a webhook path works like a password: host only
    assert EndpointHealth.objects.get(address=url).quarantined_at is not None

    # Released and failing again: a new quarantine, so one new notice.
    delivery.endpoint_release(channel="webhook", address=url)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(delivery.QUARANTINE_AFTER + 1):
            fail_webhook_once(customer, account_manager)
    assert len(smtp_server.messages) == 2


def test_a_quarantine_that_rolls_back_mails_nobody(customer, account_manager, http_sink, smtp_server,
                                                   django_capture_on_commit_callbacks):
    from django.db import transaction

    account_manager.email = "anna@msp.example"
    account_manager.save()
    url = http_sink.url("/busy")
    Stakeholder.objects.create(customer=customer, name="Hook", role="customer_it", audience="technical",
                               webhook_url=url)
    EndpointHealth.objects.create(channel="webhook", address=url, consecutive_failures=delivery.QUARANTINE_AFTER - 1)

    def quarantine_then_fail() -> None:
        with transaction.atomic():
            fail_webhook_once(customer, account_manager)
            assert EndpointHealth.objects.get(address=url).quarantined_at is not None
            raise RuntimeError("the surrounding transaction fails")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        quarantine_then_fail()

    assert smtp_server.messages == []
    assert EndpointHealth.objects.get(address=url).quarantined_at is None


def test_the_quarantine_notice_is_in_the_site_language(customer, account_manager, http_sink, smtp_server, settings,
                                                        django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "nl"
    account_manager.email = "anna@msp.example"
    account_manager.save()
    url = http_sink.url("/busy")
    Stakeholder.objects.create(customer=customer, name="Hook", role="customer_it", audience="technical",
                               webhook_url=url)
    EndpointHealth.objects.create(channel="webhook", address=url, consecutive_failures=delivery.QUARANTINE_AFTER - 1)

    with django_capture_on_commit_callbacks(execute=True):
        fail_webhook_once(customer, account_manager)

    [notice] = smtp_server.messages
    assert notice.message["Subject"].startswith("Eindpunt in quarantaine: Webhook")
    assert "mislukte afleveringen op rij" in notice.message.get_content()
