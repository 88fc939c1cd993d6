"""Development mail viewer: with no EMAIL_HOST, e-mail is written to files under var/mail;
this page shows the newest of them so a newcomer can read what Kalm sent. DEBUG only."""

import email
import email.policy
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.access import staff_required

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


@require_GET
@staff_required
def mailbox(request: HttpRequest) -> HttpResponse:
    directory = mail_directory()
    if not settings.DEBUG or directory is None:
        raise Http404("The mail viewer exists only in debug mode with file-based e-mail.")
    sent_mail = newest_messages(directory) if directory.exists() else []
    return render(request, "comms/mailbox.html", {"sent_mail": sent_mail, "directory": directory})
