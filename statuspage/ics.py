"""The maintenance calendar (``maintenance.ics``), written by hand to RFC 5545.

CRLF line endings, lines folded at 75 octets (never inside a UTF-8 character), TEXT
values escaped (backslash, semicolon, comma, newline), times in UTC ``Z`` form. One
VEVENT per window with a stable UID; cancelled windows stay in the feed as
``STATUS:CANCELLED`` so subscribed calendars remove them. ``DTSTAMP`` is the window's last
change rather than the time of the request, so the same facts give the same bytes.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from incidents.models import Customer
from statuspage.links import page_url
from statuspage.maintenance import MaintenanceState, ending_since, maintenance_states

HISTORY = timedelta(days=90)  # past windows kept in the calendar
LINE_OCTETS = 75


def calendar_disposition(slug: str) -> str:
    """The calendar's Content-Disposition, the same from the store and the computed view."""
    return f'inline; filename="{slug}-maintenance.ics"'


def calendar_windows(customer: Customer, *, now: datetime,
                     every_window: list[MaintenanceState] | None = None) -> list[MaintenanceState]:
    """What the calendar lists: windows of the last HISTORY and after, soonest first. ``every_window``:
    all of the customer's windows, when the caller has read them (no query then)."""
    since = now - HISTORY
    windows = (maintenance_states(customer, now=now, since=since) if every_window is None
               else ending_since(every_window, since))
    return sorted(windows, key=lambda m: (m.scheduled_for, m.id))


def maintenance_calendar(windows: list[MaintenanceState], *, name: str, slug: str, query: str = "") -> str:
    """The calendar of the page ``name``/``slug``; ``query`` ("?token=…" for a private page, "lang=…"
    for a chosen language) is added to each event's link. Call inside the page's language."""
    title = _("%(name)s – planned maintenance") % {"name": name}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kalm//Status page maintenance//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape(title)}",
        f"X-WR-CALNAME:{escape(title)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for window in windows:
        lines += _event(slug, window, query)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _event(slug: str, window: MaintenanceState, query: str) -> list[str]:
    host = urlsplit(settings.SITE_URL).hostname or "kalm.invalid"
    url = page_url(slug, query=f"{query}#maintenance-{window.id}")
    summary = _("Maintenance: %(title)s") % {"title": window.title}  # not inside an f-string: xgettext finds it
    return [
        "BEGIN:VEVENT",
        f"UID:maintenance-{window.id}@{host}",
        f"DTSTAMP:{utc(window.updated_at)}",
        f"CREATED:{utc(window.created_at)}",
        f"LAST-MODIFIED:{utc(window.updated_at)}",
        f"DTSTART:{utc(window.scheduled_for)}",
        f"DTEND:{utc(window.scheduled_until)}",
        f"SUMMARY:{escape(summary)}",
        f"DESCRIPTION:{escape(_description(window, url))}",
        f"URL:{url}",
        "TRANSP:TRANSPARENT",
        f"STATUS:{'CANCELLED' if window.cancelled else 'CONFIRMED'}",
        "END:VEVENT",
    ]


def _description(window: MaintenanceState, url: str) -> str:
    parts = []
    if window.expected_impact:
        parts.append(str(window.expected_impact))
    if window.customer_action:
        parts.append(_("What you need to do: %(action)s") % {"action": window.customer_action})
    if window.components:
        parts.append(_("Affected: %(names)s") % {"names": ", ".join(str(c.name) for c in window.components)})
    parts.append(url)
    return "\n\n".join(parts)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """An RFC 5545 TEXT value: backslash first, then ; and , and every kind of line break as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line to at most 75 octets per physical line (continuations start with a space)."""
    data = line.encode()
    chunks, limit = [], LINE_OCTETS
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:  # never split a UTF-8 sequence
            cut -= 1
        chunks.append(data[:cut])
        data, limit = data[cut:], LINE_OCTETS - 1
    chunks.append(data)
    return "\r\n ".join(chunk.decode() for chunk in chunks)
