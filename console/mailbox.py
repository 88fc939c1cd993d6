"""The development mail files: where they are (file-based e-mail only) and the newest of them, parsed.

Each reader sees only what was sent to people they may see: an account manager the mail to
their customers' stakeholders and to themselves, a manager everything. A message goes to
several people only when every one of them may be seen, since it shows their addresses.
"""

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from comms.selectors import stakeholder_addresses_for_user
from incidents.selectors import user_is_manager

SHOWN = 50
Readable = Callable[[EmailMessage], bool]


def mail_directory() -> Path | None:
    mailer = settings.MAILERS.get("default", {})
    if not mailer.get("BACKEND", "").endswith("filebased.EmailBackend"):
        return None
    return Path(mailer.get("OPTIONS", {}).get("file_path", ""))


def readable_by(user: AbstractBaseUser) -> Readable:
    """Whether ``user`` may read a message: a manager every one, others those to their people only."""
    if user_is_manager(user):
        return lambda message: True
    allowed = stakeholder_addresses_for_user(user) | ({user.email.lower()} if user.email else set())

    def readable(message: EmailMessage) -> bool:
        recipients = {address.lower() for _name, address in
                      getaddresses(message.get_all("To", []) + message.get_all("Cc", [])) if address}
        return bool(recipients) and recipients <= allowed

    return readable


def newest_messages(directory: Path, readable: Readable, limit: int = SHOWN) -> list[dict]:
    """Parse the newest files; each file may hold several messages separated by dashed lines.
    Only ``readable`` messages count towards ``limit``."""
    files = sorted(directory.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True)
    messages: list[dict] = []
    for path in files:
        for raw in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if raw.strip():
                message = email.message_from_string(raw.strip(), policy=email.policy.default)
                if readable(message):
                    messages.append(_summary(message))
        if len(messages) >= limit:
            break
    return messages[:limit]


def _summary(message: EmailMessage) -> dict:
    text_part = message.get_body(preferencelist=("plain",))
    return {"subject": message["Subject"], "to": message["To"], "date": message["Date"],
            "language": message["Content-Language"], "text": text_part.get_content() if text_part else ""}
