"""The "Earlier updates" section of a delivery that took over deferred messages (comms.outbox.coalescing).

A delivery that superseded deferred ones lists their public messages — what a person
wrote, with its time (HH:MM in the customer's time zone) — under a heading in the
message's language (``[layout] earlier_updates`` of default_templates/<lang>.toml), so
merging never loses words. Only such deliveries (``earlier_update_ids`` set) pay for it:
the entries are read once per batch and cached with the batch's facts.
"""

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html, format_html_join

from comms.messages.rendering import layout_phrase
from comms.models import Delivery
from core.markdown import render_markdown
from incidents.models import IncidentUpdate

HTML_MARKER = "<!--kalm:earlier-updates-->"  # after the body in comms/email/message.html


@dataclass(frozen=True)
class EarlierUpdate:
    at: datetime
    message: str


@dataclass(frozen=True)
class Texts:
    body_text: str
    body_html: str
    short_text: str


EntryCache = MutableMapping[int, EarlierUpdate | None]


def message_texts(delivery: Delivery, cache: EntryCache) -> Texts:
    """The communication's texts for this delivery, with the earlier updates it carries appended."""
    communication = delivery.communication
    texts = Texts(communication.body_text, communication.body_html, communication.short_text)
    entries = _entries(delivery.earlier_update_ids or [], cache)
    if not entries:
        return texts
    heading = layout_phrase(communication.language, "earlier_updates")
    times = [timezone.localtime(entry.at, communication.customer.tzinfo).strftime("%H:%M") for entry in entries]
    return Texts(
        body_text=_text(texts.body_text, heading, times, entries),
        body_html=_html(texts.body_html, heading, times, entries),
        short_text=f"{texts.short_text} ({heading}: {', '.join(times)})",
    )


def _entries(update_ids: list[int], cache: EntryCache) -> list[EarlierUpdate]:
    """Public, non-empty messages of these timeline entries, oldest first."""
    missing = [pk for pk in update_ids if pk not in cache]
    if missing:
        found = IncidentUpdate.objects.filter(pk__in=missing, is_internal=False).exclude(message="")
        rows = {pk: EarlierUpdate(at, message) for pk, at, message in found.values_list("pk", "created_at", "message")}
        for pk in missing:
            cache[pk] = rows.get(pk)
    return sorted((entry for pk in update_ids if (entry := cache[pk]) is not None), key=lambda entry: entry.at)


def _text(body: str, heading: str, times: list[str], entries: list[EarlierUpdate]) -> str:
    lines = "\n\n".join(f"{time} — {entry.message.strip()}" for time, entry in zip(times, entries, strict=True))
    return f"{body}\n\n{heading}\n\n{lines}"


def _html(body: str, heading: str, times: list[str], entries: list[EarlierUpdate]) -> str:
    items = format_html_join(
        "", '<p style="margin:12px 0 0 0; color:#6b7280; font-size:13px;"><strong>{}</strong></p>{}',
        ((time, render_markdown(entry.message)) for time, entry in zip(times, entries, strict=True)),
    )
    section = format_html(
        '<div class="kalm-earlier-updates" style="margin-top:24px; padding-top:8px; border-top:1px solid #e5e7eb;">'
        '<h3 style="margin:8px 0 0 0; font-size:15px;">{}</h3>{}</div>', heading, items,
    )
    if HTML_MARKER in body:
        return body.replace(HTML_MARKER, section + HTML_MARKER, 1)
    head, marker, tail = body.rpartition("</body>")  # a message rendered before the marker existed
    return f"{head}{section}{marker}{tail}" if marker else body + section
