"""Fixtures for transport and delivery tests: real servers on loopback, and message builders.

- ``smtp_server`` and ``http_sink`` (real SMTP and HTTP servers on loopback) live in
  tests/conftest.py: the status page and report tests use them too.
- ``refused_url``: an http URL where nothing listens (connection refused).
- ``make_message``: builds an ``OutgoingMessage`` with realistic defaults; override any field.
- ``sms_outbox``: the console SMS provider's record, emptied for the test.
"""

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from comms.transports.base import OutgoingMessage
from comms.transports.sms import ConsoleSmsProvider, SentSms
from tests.comms.servers import LOOPBACK, free_port

MESSAGE_ID = "<kalm.7.42.0123456789abcdef@kalm.localhost>"
STATUS_PAGE_URL = "https://status.msp.example/status/midsize/"

DEFAULT_METADATA = {
    "incident_number": "MSM-2025-0531-001",
    "incident_title": "Fileserver onbereikbaar",
    "kind": "acknowledgment",
    "audience": "operational",
    "language": "en",
    "customer": "MidSize Manufacturing BV",
    "status": "investigating",
    "severity": "critical",
    "status_page_url": STATUS_PAGE_URL,
}

DEFAULT_ADDRESSES = {
    "email": "jan.de.vries@midsize.example",
    "sms": "+31612345678",
    # .invalid never resolves (RFC 2606): a test that forgets to point at http_sink fails fast.
    "teams": "https://teams.midsize.invalid/webhook",
    "slack": "https://hooks.slack.invalid/services/T0/B0/x",
    "webhook": "https://hooks.midsize.invalid/kalm",
}

MessageBuilder = Callable[..., OutgoingMessage]


@pytest.fixture
def refused_url(settings) -> str:
    """An http URL on loopback where nothing listens: every request gets "connection refused".

    Loopback is in ``KALM_OUTBOUND_ALLOW`` for it, as for ``http_sink``.
    """
    settings.KALM_OUTBOUND_ALLOW = [*settings.KALM_OUTBOUND_ALLOW, LOOPBACK]
    return f"http://{LOOPBACK}:{free_port()}/hook"


@pytest.fixture
def make_message() -> MessageBuilder:
    """``make_message(channel="email", **fields)`` → an ``OutgoingMessage`` for that channel.

    ``metadata={...}`` is merged into ``DEFAULT_METADATA``; every other keyword replaces a field.
    """

    def build(channel: str = "email", *, metadata: dict[str, str] | None = None, **fields: Any) -> OutgoingMessage:
        message = OutgoingMessage(
            delivery_id=42,
            channel=channel,
            address=DEFAULT_ADDRESSES[channel],
            subject="File server unavailable – we are on it",
            body_text="The file server is down. We are investigating; next update at 10:30.",
            body_html="<p>The file server is down. We are investigating; next update at <b>10:30</b>.</p>",
            short_text="File server down, we are investigating. Next update 10:30.",
            message_id=MESSAGE_ID,
            metadata={**DEFAULT_METADATA, **(metadata or {})},
        )
        return replace(message, **fields)

    return build


@pytest.fixture
def sms_outbox(settings) -> Iterator[list[SentSms]]:
    """Selects the console SMS provider; yields what it sent during the test (emptied before and after)."""
    settings.KALM_SMS_PROVIDER = "console"
    ConsoleSmsProvider.outbox.clear()
    yield ConsoleSmsProvider.outbox
    ConsoleSmsProvider.outbox.clear()
