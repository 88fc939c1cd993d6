"""The generic webhook: one signed JSON document per message (format in docs/webhooks.md).

The signature covers the timestamp and the exact body bytes, so a receiver can check both
that the message came from Kalm and that it is fresh (replay protection).
"""

import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.utils import timezone

from comms.transports.base import OutgoingMessage
from comms.transports.http import HttpTransport, json_body, printable
from core.markdown import markdown_to_plain

EVENT = "kalm.message"
USER_AGENT = "Kalm-Webhook/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Kalm-Signature value: HMAC-SHA256 over ``b"<timestamp>." + body``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_payload(message: OutgoingMessage, sent_at: datetime) -> dict[str, Any]:
    facts = message.metadata
    return {
        "event": EVENT,
        "id": message.delivery_id,
        "message_id": message.message_id,
        "kind": facts.get("kind", ""),
        "audience": facts.get("audience", ""),
        "language": facts.get("language", ""),
        "incident": {
            "number": facts.get("incident_number", ""),
            "title": facts.get("incident_title", ""),
            "status": facts.get("status", ""),
            "severity": facts.get("severity", ""),
            "status_page_url": facts.get("status_page_url", ""),
        },
        "customer": facts.get("customer", ""),
        "subject": message.subject,
        "text": markdown_to_plain(message.body_text),
        "markdown": message.body_text,
        "html": message.body_html,
        "sent_at": sent_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def request_headers(message: OutgoingMessage, timestamp: int, body: bytes) -> dict[str, str]:
    headers = {
        "User-Agent": USER_AGENT,
        "X-Kalm-Delivery": str(message.delivery_id),  # the same on every retry: receivers dedupe on it
        "X-Kalm-Timestamp": str(timestamp),
    }
    if message.secret:
        headers["X-Kalm-Signature"] = sign(message.secret, timestamp, body)
    return headers


class WebhookTransport(HttpTransport):
    channel = "webhook"

    def send(self, message: OutgoingMessage) -> str:
        now = timezone.now()  # one instant for the body's sent_at and the signed timestamp
        timestamp = int(now.timestamp())
        body = json_body(event_payload(message, now.replace(microsecond=0)))
        reply = self.http.post(message.address, body=body, headers=request_headers(message, timestamp, body),
                               public_only=message.public_endpoint_only)
        # Shown as the provider reference on the delivery page: the receiver's words, so only printable ones.
        return printable(reply.headers.get("x-request-id", ""), 200)
