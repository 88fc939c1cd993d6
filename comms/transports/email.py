"""E-mail over the configured Django mailer (``MAILERS["default"]``), text + HTML.

Between ``open()`` and ``close()`` one SMTP connection carries the whole batch; a connection
the server dropped meanwhile (idle time-out, restart) is replaced once, transparently.
"""

import contextlib
import email.policy
import functools
import re
import smtplib
from dataclasses import replace
from email.headerregistry import HeaderRegistry, UnstructuredHeader

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers, make_msgid
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.validators import validate_email

from comms.transports.base import PERSONAL_ALPHABET, OutgoingMessage, Transport, TransportError
from core.markdown import markdown_to_plain

# Failures of the server or of our own credentials, not of this message: retrying can work.
_SERVER_SIDE = (smtplib.SMTPAuthenticationError, smtplib.SMTPHeloError)
# Stand-ins for the two per-recipient headers in a message serialised once per batch.
_TO = "kalm-recipient@placeholder.invalid"
# RFC 5322 dot-atom local part and an ASCII host name: nothing to quote, encode or refuse.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                            r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_MESSAGE_ID = "<kalm-message-id@placeholder.invalid>"


class _UnfoldedHeader(UnstructuredHeader):
    """A header written on one line as given, never folded or turned into encoded-words.

    For List-Unsubscribe: its value is ``<URL>``, and a URL longer than a header line has no
    place to fold, so the email package would otherwise write it as RFC 2047 encoded-words,
    which mail clients do not decode in this header (RFC 2369 wants the bare URL).
    """

    def fold(self, *, policy) -> str:
        if not str(self).isascii() or len(self) > 900:  # not a plain URL: the ordinary, encoded form
            return super().fold(policy=policy)
        return f"{self.name}: {self}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _UnfoldedHeader)


class _KalmEmail(EmailMultiAlternatives):
    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(header_factory=_HEADERS))


def build_email(message: OutgoingMessage, message_id: str) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": message_id,
        # RFC 3834: tells auto-responders (out-of-office) not to answer.
        "Auto-Submitted": "auto-generated",
    }
    if number := message.metadata.get("incident_number"):
        headers["X-Kalm-Incident"] = number
    if language := message.metadata.get("language"):
        headers["Content-Language"] = language
    headers.update(message.headers)  # e.g. List-Unsubscribe from the subscriber pipeline
    plain = markdown_to_plain(message.body_text)  # the text part reads as text, not as Markdown source
    body_text = f"{plain}\n\n-- \n{message.footer_text}" if message.footer_text else plain
    # Messages invite a reply ("reply to this message"): it must reach the MSP's people.
    mail = _KalmEmail(subject=message.subject, body=body_text, from_email=settings.DEFAULT_FROM_EMAIL,
                      to=[message.address], headers=headers, reply_to=[settings.KALM_REPLY_TO])
    if message.body_html:
        mail.attach_alternative(_with_html_footer(message.body_html, message.footer_html), "text/html")
    for attachment in message.attachments:
        mail.attach(attachment.filename, attachment.content, attachment.mimetype)
    return mail


def _with_html_footer(body_html: str, footer_html: str) -> str:
    """The footer goes inside ``<body>`` when the rendered message has one."""
    if not footer_html:
        return body_html
    footer = f'<hr><div class="kalm-footer">{footer_html}</div>'
    head, marker, tail = body_html.rpartition("</body>")
    return f"{head}{footer}{marker}{tail}" if marker else body_html + footer


def _refused(error: smtplib.SMTPRecipientsRefused) -> TransportError:
    # smtplib raises this for any refused RCPT, "451 try later" as much as "550 no such user".
    codes = [code for code, _reply in error.recipients.values()]
    detail = "; ".join(f"{address}: {code} {reply.decode(errors='replace')}"
                       for address, (code, reply) in error.recipients.items())
    return TransportError(f"Recipient refused: {detail}", permanent=any(code >= 500 for code in codes))


def smtp_error(error: Exception) -> TransportError:
    """Map an exception from sending to a permanent or transient ``TransportError``."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _refused(error)
    if isinstance(error, smtplib.SMTPResponseException) and not isinstance(error, _SERVER_SIDE):
        reply = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return TransportError(f"SMTP {error.smtp_code} {reply}", permanent=error.smtp_code >= 500)
    if isinstance(error, ValueError):  # Django's address/header checks
        return TransportError(f"Invalid message: {error}", permanent=True)
    # Disconnects, refused connections, time-outs, TLS and other socket errors.
    return TransportError(f"SMTP unavailable: {type(error).__name__}: {error}", permanent=False)


class EmailTransport(Transport):
    channel = "email"

    def __init__(self) -> None:
        self._batch: BaseEmailBackend | None = None  # the mailer holding the connection, inside a batch
        self._serialised: dict[tuple, bytes] = {}  # one Communication's message, built once per batch
        self._sender: str | None = None  # the envelope sender, parsed once per batch (~0.3 ms a parse)

    def open(self) -> None:
        # Connects lazily on the first send(), so an unreachable server fails that delivery
        # (transient, retried) instead of the whole batch.
        if self._batch is None:
            self._batch = mailers.default

    def close(self) -> None:
        self._serialised.clear()
        self._sender = None
        if self._batch is not None:
            batch, self._batch = self._batch, None
            with contextlib.suppress(OSError):  # QUIT on a dead connection: nothing left to clean up
                batch.close()

    def send(self, message: OutgoingMessage) -> str:
        try:
            validate_email(message.address)
        except ValidationError:
            raise TransportError(f"Invalid e-mail address: {message.address!r}", permanent=True) from None
        message_id = message.message_id or make_msgid(domain=settings.KALM_MAIL_DOMAIN)
        try:
            self._deliver(message, message_id)
        except (OSError, ValueError) as error:  # smtplib.SMTPException is an OSError
            raise smtp_error(error) from error
        return message_id

    def _deliver(self, message: OutgoingMessage, message_id: str) -> None:
        if self._batch is None:
            mailers.default.send_messages([build_email(message, message_id)])  # connects, sends, disconnects
            return
        reused = getattr(self._batch, "connection", None) is not None
        try:
            self._send_in_batch(message, message_id)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            # The held connection died between messages (idle time-out, server restart).
            # smtplib notices at MAIL FROM, before any of the message went out, so one retry
            # on a fresh connection is safe; in the rare drop after DATA the stable
            # Message-ID lets the receiving side recognise the duplicate.
            self.close()
            self.open()
            self._send_in_batch(message, message_id)

    def _send_in_batch(self, message: OutgoingMessage, message_id: str) -> None:
        assert self._batch is not None
        # Open first: send_messages() closes a connection it had to open itself, which would
        # turn the batch into one connection per message.
        self._batch.open()
        raw = self._composed(message, message_id) if isinstance(self._batch, SmtpBackend) else None
        if raw is None:
            self._batch.send_messages([build_email(message, message_id)])
            return
        if self._sender is None:
            self._sender = self._batch.prep_address(settings.DEFAULT_FROM_EMAIL)
        self._batch.connection.sendmail(self._sender, [self._recipient(message.address)], raw)

    def _recipient(self, address: str) -> str:
        """The envelope address: a plain dot-atom address as it is (what ``prep_address`` returns for it,
        without parsing a header per message, a fifth of a send's CPU), anything else through it."""
        if _PLAIN_ADDRESS.fullmatch(address):
            return address
        assert self._batch is not None
        return self._batch.prep_address(address)

    def _composed(self, message: OutgoingMessage, message_id: str) -> bytes | None:
        """The message's bytes from the Communication's shared composition; None when it must be built alone.

        Composing a MIME message costs milliseconds; the recipients of one Communication
        differ only in To, Message-ID and (for subscribers) their personal link token, so
        compose once with stand-ins and fill those in.
        """
        if not message.address.isascii():
            return None
        stand_in = _stand_in(len(message.personal)) if message.personal else ""
        if message.personal and (stand_in is None or not PERSONAL_ALPHABET.fullmatch(message.personal)):
            return None
        shared = _impersonal(message, stand_in) if stand_in else message
        raw = self._serialised_once(shared).replace(_TO.encode(), message.address.encode())
        raw = raw.replace(_MESSAGE_ID.encode(), message_id.encode())
        if stand_in:
            raw, swapped = _swap_personal(raw, stand_in, message.personal)
            if swapped != _occurrences(shared, stand_in):
                return None  # a part was encoded where the stand-in cannot be found (base64): build it alone
        return raw

    def _serialised_once(self, message: OutgoingMessage) -> bytes:
        key = (message.subject, message.body_text, message.body_html, tuple(sorted(message.metadata.items())),
               tuple(sorted(message.headers.items())), message.footer_text, message.footer_html,
               tuple((a.filename, a.mimetype, hash(a.content)) for a in message.attachments))
        if key not in self._serialised:
            mail = build_email(replace(message, address=_TO), _MESSAGE_ID)
            self._serialised[key] = mail.message(policy=email.policy.SMTP).as_bytes()
        return self._serialised[key]


_STAND_IN_PREFIX = "kalmpersonalstandin"


def _stand_in(length: int) -> str | None:
    """A placeholder as long as the personal token, so quoted-printable breaks lines at the same places."""
    if length < len(_STAND_IN_PREFIX) + 4:
        return None
    return _STAND_IN_PREFIX + "Q" * (length - len(_STAND_IN_PREFIX))


def _impersonal(message: OutgoingMessage, stand_in: str) -> OutgoingMessage:
    def swap(text: str) -> str:
        return text.replace(message.personal, stand_in)

    return replace(message, headers={name: swap(value) for name, value in message.headers.items()},
                   footer_text=swap(message.footer_text), footer_html=swap(message.footer_html), personal=stand_in)


def _occurrences(message: OutgoingMessage, stand_in: str) -> int:
    return (sum(value.count(stand_in) for value in message.headers.values())
            + message.footer_text.count(stand_in) + message.footer_html.count(stand_in))


@functools.lru_cache(maxsize=8)
def _stand_in_pattern(stand_in: str) -> re.Pattern[bytes]:
    # A quoted-printable soft line break ("=" CRLF) may fall anywhere inside the stand-in.
    return re.compile(b"(?:=\r\n)?".join(re.escape(char.encode()) for char in stand_in))


def _swap_personal(raw: bytes, stand_in: str, personal: str) -> tuple[bytes, int]:
    """Replace every (possibly soft-broken) stand-in by the personal token, keeping the line breaks."""
    token = personal.encode()

    def fill(match: re.Match[bytes]) -> bytes:
        pieces, taken = match.group().split(b"=\r\n"), 0
        out = []
        for piece in pieces:
            out.append(token[taken:taken + len(piece)])
            taken += len(piece)
        return b"=\r\n".join(out)

    return _stand_in_pattern(stand_in).subn(fill, raw)

