"""The generic webhook against a real HTTP server on loopback, verified as docs/webhooks.md says."""

import hashlib
import hmac
import time
from datetime import datetime

import pytest

from comms.transports import TransportError, transport_for
from comms.transports import http as http_module
from comms.transports.email import EmailTransport
from comms.transports.slack import SlackTransport
from comms.transports.sms import SmsTransport
from comms.transports.teams import TeamsTransport
from comms.transports.webhook import WebhookTransport
from tests.comms.conftest import MESSAGE_ID, STATUS_PAGE_URL

SECRET = "whsec-test-5b7f"


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float, tolerance: int = 300) -> bool:
    """The receiver's check, exactly as docs/webhooks.md shows it."""
    timestamp = headers.get("x-kalm-timestamp", "")
    signature = headers.get("x-kalm-signature", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, f"sha256={expected}")


def _send(sink, make_message, path="/hook", **fields):
    return WebhookTransport().send(make_message("webhook", address=sink.url(path), **fields))


def test_signature_verifies_with_the_documented_recipe(http_sink, make_message):
    _send(http_sink, make_message, secret=SECRET)

    [request] = http_sink.requests
    assert request.headers["x-kalm-signature"].startswith("sha256=")
    assert verify(SECRET, request.headers, request.body, now=time.time())


def test_signature_fails_for_a_changed_body_a_wrong_secret_or_a_stale_timestamp(http_sink, make_message):
    _send(http_sink, make_message, secret=SECRET)

    [request] = http_sink.requests
    assert not verify(SECRET, request.headers, request.body.replace(b"investigating", b"resolved"), now=time.time())
    assert not verify("another-secret", request.headers, request.body, now=time.time())
    assert not verify(SECRET, request.headers, request.body, now=time.time() + 301)


def test_headers(http_sink, make_message):
    before = int(time.time())
    _send(http_sink, make_message, secret=SECRET)

    headers = http_sink.requests[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Kalm-Webhook/1"
    assert headers["x-kalm-delivery"] == "42"
    assert before <= int(headers["x-kalm-timestamp"]) <= int(time.time())


def test_no_signature_header_without_a_secret(http_sink, make_message):
    _send(http_sink, make_message, secret="")

    headers = http_sink.requests[0].headers
    assert "x-kalm-signature" not in headers
    assert "x-kalm-timestamp" in headers


def test_payload(http_sink, make_message):
    message = make_message("webhook", address=http_sink.url("/hook"), subject="Storing – ë ß",
                           body_html="<p>html</p>")
    WebhookTransport().send(message)

    payload = http_sink.json()
    sent_at = payload.pop("sent_at")
    assert payload == {
        "event": "kalm.message",
        "id": 42,
        "message_id": MESSAGE_ID,
        "kind": "acknowledgment",
        "audience": "operational",
        "language": "en",
        "incident": {"number": "MSM-2025-0531-001", "title": "Fileserver onbereikbaar", "status": "investigating",
                     "severity": "critical", "status_page_url": STATUS_PAGE_URL},
        "customer": "MidSize Manufacturing BV",
        "subject": "Storing – ë ß",
        "text": message.body_text,  # plain already: nothing to strip
        "markdown": message.body_text,
        "html": "<p>html</p>",
    }
    assert sent_at.endswith("Z")
    sent = datetime.fromisoformat(sent_at)
    assert int(sent.timestamp()) == int(http_sink.requests[0].headers["x-kalm-timestamp"])


def test_provider_id_is_the_request_id_header(http_sink, make_message):
    http_sink.reply("/tracked", 202, b"", {"X-Request-Id": "req-9f8e"})

    assert _send(http_sink, make_message, "/tracked") == "req-9f8e"
    assert _send(http_sink, make_message, "/hook") == ""


def test_any_2xx_is_success_whatever_the_body(http_sink, make_message):
    http_sink.reply("/nocontent", 204, b"")
    http_sink.reply("/odd", 200, b"<html>not json</html>")

    _send(http_sink, make_message, "/nocontent")
    _send(http_sink, make_message, "/odd")

    assert len(http_sink.requests) == 2


def test_redirect_is_permanent_and_not_followed(http_sink, make_message):
    with pytest.raises(TransportError, match="HTTP 302 .* redirects") as caught:
        _send(http_sink, make_message, "/redirect")

    assert caught.value.permanent is True
    assert "not followed" in str(caught.value)
    assert [request.path for request in http_sink.requests] == ["/redirect"]


@pytest.mark.parametrize(("status", "permanent"), [
    (400, True), (401, True), (403, True), (404, True), (410, True), (422, True),
    (429, False), (500, False), (502, False), (503, False),
])
def test_status_mapping(http_sink, make_message, status, permanent):
    http_sink.reply("/scripted", status, b"nope")

    with pytest.raises(TransportError) as caught:
        _send(http_sink, make_message, "/scripted")

    assert caught.value.permanent is permanent


def test_timeout_is_transient(http_sink, make_message, monkeypatch):
    monkeypatch.setattr(http_module, "TOTAL_TIMEOUT", 0.2)
    http_sink.reply("/slow", 200, b"ok", delay=1.0)

    started = time.monotonic()
    with pytest.raises(TransportError, match="Timed out") as caught:
        _send(http_sink, make_message, "/slow")

    assert caught.value.permanent is False
    assert time.monotonic() - started < 0.9


def test_errors_never_show_the_secret_path_of_a_webhook_url(http_sink, make_message):
    with pytest.raises(TransportError) as caught:
        _send(http_sink, make_message, "/gone")

    assert f"127.0.0.1:{http_sink.port}" in str(caught.value)
    assert "/gone" not in str(caught.value)


def test_connection_refused_is_transient(refused_url, make_message):
    with pytest.raises(TransportError) as caught:
        WebhookTransport().send(make_message("webhook", address=refused_url))

    assert caught.value.permanent is False


@pytest.mark.parametrize("address", ["ftp://hooks.midsize.example/x", "hooks.midsize.example/x", ""])
def test_not_an_http_url_is_permanent(make_message, address):
    with pytest.raises(TransportError) as caught:
        WebhookTransport().send(make_message("webhook", address=address))

    assert caught.value.permanent is True


# --- the registry -------------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "transport_class"), [
    ("email", EmailTransport), ("teams", TeamsTransport), ("slack", SlackTransport),
    ("webhook", WebhookTransport), ("sms", SmsTransport),
])
def test_transport_for_every_channel(channel, transport_class):
    transport = transport_for(channel)

    assert type(transport) is transport_class
    assert transport.channel == channel


def test_transport_for_an_unknown_channel_is_permanent():
    with pytest.raises(TransportError) as caught:
        transport_for("pigeon")

    assert caught.value.permanent is True
