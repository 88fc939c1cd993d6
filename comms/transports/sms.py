"""SMS: the message's short text, kept within a few segments, through a pluggable provider.

``KALM_SMS_PROVIDER`` picks the provider: "console" logs and records (development, tests),
"http" posts to a JSON API at ``SMS_API_URL`` with a Bearer token. The API refusing that
token (401/403) is our configuration's fault, not the recipient's: such a delivery stays
queued for retries, and the error log says what to fix.
"""

import contextlib
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings

from comms.transports.base import OutgoingMessage, Transport, TransportError
from comms.transports.http import HttpReply, JsonPoster, PosterSession, json_body
from comms.transports.outbound import Allowed
from comms.transports.slack import cut_at_word

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# --- segments -----------------------------------------------------------------------------

# GSM 03.38 default alphabet (without the escape code) and its extension table, whose
# characters are sent as escape + char and so take two of the 160 septets.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM_SINGLE, GSM_PART = 160, 153  # a multipart message spends 7 septets per part on its header
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm(text: str) -> bool:
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def _costs(text: str) -> tuple[list[int], int, int]:
    """Per-character cost in the encoding the text needs, with that encoding's limits."""
    if is_gsm(text):
        return [2 if char in GSM_EXTENSION else 1 for char in text], GSM_SINGLE, GSM_PART
    # UCS-2 on the wire is UTF-16: a character outside the BMP (most emoji) takes two units.
    return [len(char.encode("utf-16-le")) // 2 for char in text], UCS2_SINGLE, UCS2_PART


def sms_segments(text: str) -> int:
    """How many SMS parts ``text`` is billed as (0 for empty text)."""
    if not text:
        return 0
    costs, single, part = _costs(text)
    if sum(costs) <= single:
        return 1
    # Phones never split an escape sequence or a surrogate pair across parts.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return segments


def _with_ellipsis(text: str) -> str:
    # "…" is not in the GSM alphabet: adding it to GSM text would switch the whole message to
    # UCS-2 and cut its capacity from 153 to 67 characters per part, so GSM text gets "...".
    return text.rstrip() + ("..." if is_gsm(text) else "…")


def _longest_fitting_prefix(text: str, max_segments: int) -> int:
    low, high = 0, len(text)  # invariant: text[:low] + ellipsis fits
    while low < high:
        middle = (low + high + 1) // 2
        if sms_segments(_with_ellipsis(text[:middle])) <= max_segments:
            low = middle
        else:
            high = middle - 1
    return low


def fit_sms(text: str, max_segments: int = 3) -> str:
    """``text`` unchanged if it fits in ``max_segments`` parts, else cut at a word boundary with an ellipsis."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if sms_segments(text) <= max_segments:
        return text
    return _with_ellipsis(cut_at_word(text, _longest_fitting_prefix(text, max_segments)))


# --- providers ----------------------------------------------------------------------------


class SmsProvider:
    """Sends one text to one E.164 number; returns the provider's message id (or "")."""

    def send(self, *, to: str, text: str) -> str:
        raise NotImplementedError

    def open(self) -> None:
        """Prepare for a batch."""

    def close(self) -> None:
        """End a batch."""


@dataclass(frozen=True)
class SentSms:
    id: str
    to: str
    text: str


class ConsoleSmsProvider(SmsProvider):
    """Logs each SMS and keeps it in ``ConsoleSmsProvider.outbox`` (like Django's mail.outbox)."""

    outbox: ClassVar[list[SentSms]] = []  # shared across instances: transport_for() makes a new one per use
    _ids: ClassVar[Iterator[int]] = itertools.count(1)

    def send(self, *, to: str, text: str) -> str:
        sms = SentSms(id=f"console-{next(self._ids)}", to=to, text=text)
        logger.info("SMS to %s : %s", to, text)
        self.outbox.append(sms)
        return sms.id


CREDENTIAL_STATUSES = (401, 403)  # the API does not accept SMS_API_TOKEN (or the account behind it)


class SmsApiPoster(JsonPoster):
    """JSON poster for the SMS API: a refused credential is transient, unlike other 4xx replies.

    The operator configures ``SMS_API_URL`` next to ``KALM_OUTBOUND_ALLOW``, so its host counts as
    allowed (an SMS gateway inside the network works without listing it); staff cannot change it.
    """

    def allowed(self, *, public_only: bool) -> Allowed:
        return super().allowed(public_only=public_only).with_host(urlsplit(settings.SMS_API_URL).hostname or "")

    @staticmethod
    def _exchange(client, url: str, body: bytes, headers: dict[str, str]) -> HttpReply:
        reply = JsonPoster._exchange(client, url, body, headers)
        if reply.status in CREDENTIAL_STATUSES:
            # Raised before the generic status check, which would call any 4xx permanent and
            # fail every SMS for good while an operator fixes a token.
            logger.error("SMS API refused Kalm's credentials (HTTP %s): check SMS_API_TOKEN and the provider "
                         "account; SMS deliveries are retried until then", reply.status)
            raise TransportError(f"HTTP {reply.status} from the SMS API: Kalm's credentials were refused "
                                 "(check SMS_API_TOKEN); retrying", permanent=False)
        return reply


class HttpSmsProvider(PosterSession, SmsProvider):
    """POST ``{"to", "from", "text"}`` to ``SMS_API_URL``; the reply is ``{"id": ...}``."""

    def __init__(self) -> None:
        self.http = SmsApiPoster()

    def send(self, *, to: str, text: str) -> str:
        if not settings.SMS_API_URL:
            # Not the recipient's fault: stay retryable so messages go out once ops sets it.
            raise TransportError("SMS_API_URL is not set", permanent=False)
        headers = {"Authorization": f"Bearer {settings.SMS_API_TOKEN}"} if settings.SMS_API_TOKEN else {}
        body = json_body({"to": to, "from": settings.SMS_SENDER, "text": text})
        reply = self.http.post(settings.SMS_API_URL, body=body, headers=headers)
        data = reply.json()
        if not isinstance(data, dict) or "id" not in data:
            # Accepted (2xx) but no id: raising would make the engine send the SMS again.
            logger.warning("SMS API accepted the message without an id (HTTP %s, %s bytes)", reply.status,
                           len(reply.body))
            return ""
        return str(data["id"])


PROVIDERS: dict[str, type[SmsProvider]] = {"console": ConsoleSmsProvider, "http": HttpSmsProvider}


def provider_from_settings() -> SmsProvider:
    try:
        return PROVIDERS[settings.KALM_SMS_PROVIDER]()
    except KeyError:
        raise TransportError(f"Unknown KALM_SMS_PROVIDER {settings.KALM_SMS_PROVIDER!r}; "
                             f"use one of {', '.join(PROVIDERS)}", permanent=False) from None


# --- transport ----------------------------------------------------------------------------


def normalize_number(address: str) -> str:
    """The E.164 number in ``address`` (spaces and dashes allowed), or a permanent error."""
    number = re.sub(r"[\s-]", "", address)
    if not E164.match(number):
        raise TransportError(f"Not an international (E.164) phone number: {address!r}", permanent=True)
    return number


class SmsTransport(Transport):
    channel = "sms"

    def __init__(self) -> None:
        self._provider: SmsProvider | None = None

    @property
    def provider(self) -> SmsProvider:
        # Chosen on first use, so a bad setting fails a delivery (visible in the log), not the import.
        if self._provider is None:
            self._provider = provider_from_settings()
        return self._provider

    def open(self) -> None:
        with contextlib.suppress(TransportError):  # a bad setting is reported per delivery by send()
            self.provider.open()

    def close(self) -> None:
        if self._provider is not None:
            self._provider.close()

    def send(self, message: OutgoingMessage) -> str:
        number = normalize_number(message.address)
        text = (message.short_text or message.subject).strip()
        if not text:
            raise TransportError("Nothing to send: the message has no short text or subject", permanent=True)
        return self.provider.send(to=number, text=fit_sms(text))
