"""The one interface every channel implements.

A transport turns an ``OutgoingMessage`` into a real e-mail, chat post, webhook call or
SMS. It raises ``TransportError(permanent=True)`` for what retrying cannot fix (a refused
address, a 404/410 webhook, a 4xx other than 429) and ``permanent=False`` for what might
(time-outs, 5xx, 429, a refused connection). The delivery engine decides what happens next.
"""

import re
from dataclasses import dataclass, field

# Characters that quoted-printable, base64url and header folding all leave as they are.
PERSONAL_ALPHABET = re.compile(r"[A-Za-z0-9_:-]+")


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: int
    channel: str
    address: str
    subject: str
    body_text: str
    body_html: str
    short_text: str
    message_id: str  # stable per delivery: a retry carries the same one
    # Facts a structured channel (webhook, chat card) may show. Keys: incident_number,
    # incident_title, kind, audience, language, customer, status, severity, status_page_url.
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    secret: str = ""  # webhook signing secret, when the recipient has one
    # Per-recipient lines under the body (a subscriber's "manage or unsubscribe" link) and
    # files to attach; e-mail uses them, the other channels ignore them.
    footer_text: str = ""
    footer_html: str = ""
    attachments: tuple["Attachment", ...] = ()
    # The one per-recipient string inside ``headers`` and the footers (a subscriber's link
    # token). E-mail composes one message per Communication with a stand-in of the same
    # length and swaps this in per recipient, so it must be PERSONAL_ALPHABET only.
    personal: str = ""
    # The address came from the public (a status page subscriber's webhook): connect only
    # when it resolves to public IP addresses, checked at connection time (DNS rebinding).
    public_endpoint_only: bool = False


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class MessageExtras:
    """What an app adds to one delivery's message (see ``settings.KALM_DELIVERY_EXTRAS``)."""

    headers: dict[str, str] = field(default_factory=dict)
    footer_text: str = ""
    footer_html: str = ""
    attachments: tuple[Attachment, ...] = ()
    personal: str = ""  # see OutgoingMessage.personal


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport:
    channel: str = ""

    def send(self, message: OutgoingMessage) -> str:
        """Send one message; return the provider's id for it (or "")."""
        raise NotImplementedError

    def open(self) -> None:
        """Prepare for a batch (e.g. one SMTP connection for many messages)."""

    def close(self) -> None:
        """End a batch."""
