"""E-mail over the configured Django mailer (``MAILERS["default"]``), text + HTML.

Between ``open()`` and ``close()`` one SMTP connection carries the whole batch; a connection
the server dropped meanwhile (idle time-out, restart) is replaced once, transparently.
"""

import contextlib
import email.policy
import smtplib
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers, make_msgid
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.validators import validate_email

from comms.transports.base import OutgoingMessage, Transport, TransportError

# Failures of the server or of our own credentials, not of this message: retrying can work.
_SERVER_SIDE = (smtplib.SMTPAuthenticationError, smtplib.SMTPHeloError)
# Stand-ins for the two per-recipient headers in a message serialised once per batch.
_TO = "kalm-recipient@placeholder.invalid"
_MESSAGE_ID = "<kalm-message-id@placeholder.invalid>"


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
    body_text = f"{message.body_text}\n\n-- \n{message.footer_text}" if message.footer_text else message.body_text
    mail = EmailMultiAlternatives(subject=message.subject, body=body_text,
                                  from_email=settings.DEFAULT_FROM_EMAIL, to=[message.address], headers=headers)
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

    def open(self) -> None:
        # Connects lazily on the first send(), so an unreachable server fails that delivery
        # (transient, retried) instead of the whole batch.
        if self._batch is None:
            self._batch = mailers.default

    def close(self) -> None:
        self._serialised.clear()
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
        if isinstance(self._batch, SmtpBackend) and message.address.isascii():
            # Composing a MIME message costs milliseconds; the recipients of one Communication
            # differ only in To and Message-ID, so compose once and fill those two in.
            raw = self._serialised_once(message).replace(_TO.encode(), message.address.encode())
            raw = raw.replace(_MESSAGE_ID.encode(), message_id.encode())
            sender = self._batch.prep_address(settings.DEFAULT_FROM_EMAIL)
            self._batch.connection.sendmail(sender, [self._batch.prep_address(message.address)], raw)
        else:
            self._batch.send_messages([build_email(message, message_id)])

    def _serialised_once(self, message: OutgoingMessage) -> bytes:
        key = (message.subject, message.body_text, message.body_html, tuple(sorted(message.metadata.items())),
               tuple(sorted(message.headers.items())), message.footer_text, message.footer_html,
               tuple((a.filename, a.mimetype, hash(a.content)) for a in message.attachments))
        if key not in self._serialised:
            mail = build_email(replace(message, address=_TO), _MESSAGE_ID)
            self._serialised[key] = mail.message(policy=email.policy.SMTP).as_bytes()
        return self._serialised[key]

