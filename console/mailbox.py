"""The development mail files: where they are (file-based e-mail only) and the newest of them, parsed."""

import email
import email.policy
from pathlib import Path

from django.conf import settings

SHOWN = 50


def mail_directory() -> Path | None:
    mailer = settings.MAILERS.get("default", {})
    if not mailer.get("BACKEND", "").endswith("filebased.EmailBackend"):
        return None
    return Path(mailer.get("OPTIONS", {}).get("file_path", ""))


def newest_messages(directory: Path, limit: int = SHOWN) -> list[dict]:
    """Parse the newest files; each file may hold several messages separated by dashed lines."""
    files = sorted(directory.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True)
    messages: list[dict] = []
    for path in files:
        for raw in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if raw.strip():
                messages.append(_summary(raw))
        if len(messages) >= limit:
            break
    return messages[:limit]


def _summary(raw: str) -> dict:
    message = email.message_from_string(raw.strip(), policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    return {"subject": message["Subject"], "to": message["To"], "date": message["Date"],
            "language": message["Content-Language"], "text": text_part.get_content() if text_part else ""}
