"""Issue 11, finding 3, through the delivery engine and the console: a staff-entered endpoint
into the network reaches nothing, and what an endpoint answers never shows up as it was sent
(delivery page, attempts, log, CSV export, quarantine banner and notice) — only its status and
a short, sanitised reason.
"""

import csv
import importlib
import io

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from comms.models import Communication, Delivery, DeliveryAttempt, EndpointHealth, Stakeholder
from comms.outbox import delivery
from comms.outbox.expansion import communication_expand
from flows import incidents as incident_flow

SECRET_PAGE = (b"<html><h1>Instance metadata</h1>AccessKeyId=ASIA-SECRET-KEY "
               b"SecretAccessKey=wJalr-SECRET-VALUE root:x:0:0:root:/root:/bin/bash</html>")
SECRETS = ("SECRET", "metadata", "root:x", "AccessKeyId")


def deliver_once(customer, author) -> int:
    """Open an incident, expand its technical message and deliver it once; returns the delivery id."""
    Delivery.objects.all().delete()
    Communication.objects.all().delete()
    incident_flow.open_incident(customer=customer, title="Server outage", category="server", severity="critical",
                                message="We are investigating.", author=author)
    [delivery_id] = communication_expand(Communication.objects.get(audience="technical").pk)
    delivery.deliver_batch([delivery_id])
    return delivery_id


def test_a_stakeholder_webhook_into_the_network_reaches_nothing(customer, account_manager, http_sink, settings):
    # Entered before the entry check existed (or straight into the admin): the connection is refused.
    Stakeholder.objects.create(customer=customer, name="Hook", role="customer_it", audience="technical",
                               webhook_url=http_sink.url("/latest/meta-data/"))
    settings.KALM_OUTBOUND_ALLOW = []

    delivery_id = deliver_once(customer, account_manager)

    assert http_sink.requests == []
    row = Delivery.objects.get(pk=delivery_id)
    assert row.state == "failed" and "127.0.0.1 is a non-public address (loopback)" in row.last_error


@pytest.mark.parametrize("channel", ["webhook", "teams_webhook", "slack_webhook"])
def test_what_an_endpoint_answers_is_not_shown_anywhere(channel, client, customer, account_manager, http_sink,
                                                        smtp_server, django_capture_on_commit_callbacks):
    account_manager.email = "anna@msp.example"
    account_manager.save()
    url = http_sink.url("/page")
    http_sink.reply("/page", 500, SECRET_PAGE, {"Content-Type": "text/html"})
    Stakeholder.objects.create(customer=customer, name="Hook", role="customer_it", audience="technical",
                               **{f"{channel}_url": url})

    with django_capture_on_commit_callbacks(execute=True):
        delivery_ids = [deliver_once(customer, account_manager) for _ in range(delivery.QUARANTINE_AFTER)]

    assert len(http_sink.requests) == delivery.QUARANTINE_AFTER
    row = Delivery.objects.get(pk=delivery_ids[-1])
    stored = [row.last_error, *DeliveryAttempt.objects.values_list("error", flat=True),
              *EndpointHealth.objects.values_list("last_error", flat=True)]
    assert row.last_error.startswith("HTTP 500 Internal Server Error from http://127.0.0.1:")
    client.force_login(account_manager)
    pages = [client.get(reverse("comms:delivery", args=[row.pk])).text,
             client.get(reverse("comms:log")).text,
             client.get(reverse("incidents:dashboard")).text,  # the quarantine banner on every console page
             b"".join(client.get(reverse("comms:log_csv")).streaming_content).decode()]
    [notice] = smtp_server.messages
    for text in [*stored, *pages, notice.message.get_content()]:
        assert not any(secret in text for secret in SECRETS), text
    assert "HTTP 500 Internal Server Error" in pages[0] and "HTTP 500 Internal Server Error" in pages[3]
    exported = list(csv.reader(io.StringIO(pages[3])))
    assert exported[1][10].startswith("HTTP 500 Internal Server Error")


@pytest.mark.parametrize(("before", "after"), [
    ("HTTP 500 from https://hooks.example: <html>root:x:0:0 SECRET</html>", "HTTP 500 from https://hooks.example"),
    ("HTTP 404 from http://10.0.0.5:8080: SECRET\nline two", "HTTP 404 from http://10.0.0.5:8080"),
    ("HTTP 503 from https://hooks.example", "HTTP 503 from https://hooks.example"),
    ("HTTP 302 from https://a.example: the address redirects (to https://b.example); redirects are not followed, "
     "update the address", None),
    ("Could not reach http://10.0.0.5:22: illegal status line: bytearray(b'SSH-2.0-OpenSSH SECRET')",
     "Could not reach http://10.0.0.5:22"),
    ("Could not reach https://hooks.example: [Errno 111] Connection refused", None),
    ("Bad URL 'https://hooks.slack.com/services/T0/B0/SECRET': ...", "Bad URL"),
    ("HTTP 401 from the SMS API: Kalm's credentials were refused (check SMS_API_TOKEN); retrying", None),
    ("SMTP 550 no such user", None),
])
def test_errors_recorded_before_the_fix_keep_only_the_status_and_the_host(before, after, customer):
    scrub = importlib.import_module("comms.migrations.0006_scrub_reply_bodies").scrub
    communication = Communication.objects.create(customer=customer, kind="update", audience="technical",
                                                 language="nl", subject="s", body_text="b", body_html="",
                                                 short_text="b", send_at=timezone.now(), state="done")
    row = Delivery.objects.create(communication=communication, channel="webhook", address="https://hooks.example/x",
                                  state="failed", attempts=1, last_error=before, next_attempt_at=timezone.now())
    DeliveryAttempt.objects.create(delivery=row, number=1, started_at=timezone.now(), error=before)
    EndpointHealth.objects.create(channel="webhook", address=row.address, last_error=before)

    scrub(apps, None)  # as RunPython calls it (the current models are the migration's)

    expected = before if after is None else after
    assert Delivery.objects.get().last_error == expected
    assert DeliveryAttempt.objects.get().error == expected
    assert EndpointHealth.objects.get().last_error == expected
