"""How Kalm writes moments and durations for a reader: in their time zone and language.

Messages, the console, status pages, feeds and PDFs all call these, so an e-mail and the
PDF never disagree about "16 or 17 minutes" and a Dutch reader sees "6 december 2026"
where an English one sees "6 December 2026" and a German one "6. Dezember 2026".

Styles (``STYLES``): ``datetime`` and ``date`` for prose and pages; ``short`` (day and
month with the time) for tables and timelines; ``weekday`` for due times a few days out;
``time``; ``month`` for history headings; ``numeric`` is the compact date of message
bodies ("31-05-2025 09:30" in Dutch). Use them inside ``translation.override(language)``
or a request whose language is active: month and day names come from Django's catalogs.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.db.models import TextChoices
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

FALLBACK_LANGUAGE = "en"

# Django's "b" is the lower-case month abbreviation ("dec"), right for Dutch; "M" title-cases
# it ("Dec", "Dez"), right for English and German nouns.
STYLES: dict[str, dict[str, str]] = {
    "en": {"datetime": "j F Y, H:i", "date": "j F Y", "short": "j M, H:i", "weekday": "D j M, H:i",
           "time": "H:i", "month": "F Y", "day": "j M", "numeric": "j M Y H:i", "seconds": "j M Y, H:i:s"},
    "nl": {"datetime": "j F Y, H:i", "date": "j F Y", "short": "j b, H:i", "weekday": "D j b, H:i",
           "time": "H:i", "month": "F Y", "day": "j b", "numeric": "d-m-Y H:i", "seconds": "j b Y, H:i:s"},
    "de": {"datetime": "j. F Y, H:i", "date": "j. F Y", "short": "j.n., H:i", "weekday": "D, j.n., H:i",
           "time": "H:i", "month": "F Y", "day": "j.n.", "numeric": "d.m.Y H:i", "seconds": "j.n.Y, H:i:s"},
}


def label(choices: type[TextChoices], value: str) -> str:
    """The translated label of ``value`` (in the active language), or the value if unknown."""
    return str(dict(choices.choices).get(value, value))


def active_language() -> str:
    """The active language reduced to one Kalm writes in (en, nl, de)."""
    language = (get_language() or FALLBACK_LANGUAGE)[:2]
    return language if language in STYLES else FALLBACK_LANGUAGE


def format_moment(value: datetime | date | None, style: str = "datetime", *, tz: tzinfo | None = None,
                  language: str | None = None, with_zone: bool = False) -> str:
    """``value`` in ``tz`` (default: the current time zone) written in ``style``; "" for no value.

    ``with_zone`` adds the zone's abbreviation ("CET"), which matters wherever the reader
    may be in another zone than the customer: messages, feeds, the public page.
    """
    if value is None:
        return ""
    styles = STYLES.get(language or active_language(), STYLES[FALLBACK_LANGUAGE])
    if not isinstance(value, datetime):  # a date: nothing to convert
        return date_format(value, styles.get(style, style))
    local = timezone.localtime(value, tz) if timezone.is_aware(value) else value
    text = date_format(local, styles.get(style, style))
    if with_zone and timezone.is_aware(local):
        text = f"{text} {local.tzname()}"
    return text


def day_label(day: date, language: str | None = None) -> str:
    """ "6 Dec", "6 dec", "6.12.": the "day" style without date_format's cost (uptime bars: 90 per component)."""
    language = language or active_language()
    if language == "de":
        return f"{day.day}.{day.month}."
    month = str(MONTHS_3[day.month])
    return f"{day.day} {month if language == 'nl' else month.title()}"


def whole_minutes(delta: timedelta) -> int:
    """The minutes every duration Kalm prints is based on: rounded down, never negative.

    One rule for e-mails, pages and the PDF, so 16 min 40 s reads "16 minutes" everywhere.
    """
    return max(0, int(delta.total_seconds() // 60))


def duration_long(delta: timedelta | None) -> str:
    """ "4 hours, 15 minutes", "2 days, 3 hours", "less than a minute"; "—" for no value."""
    if delta is None:
        return "—"
    minutes = whole_minutes(delta)
    if minutes < 1:
        return _("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        ngettext("%(count)d day", "%(count)d days", days) % {"count": days} if days else "",
        ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours} if hours else "",
        ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes} if minutes else "",
    ]
    return ", ".join([part for part in parts if part][:2])


def duration_short(delta: timedelta) -> str:
    """ "<1 min", "12 min", "2 h 5 min", "3 d 4 h": for tables, countdowns and tooltips."""
    minutes = whole_minutes(delta)
    if minutes < 1:
        return _("<1 min")
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if not minutes:
            return _("%(hours)d h") % {"hours": hours}
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


@dataclass(frozen=True)
class Clock:
    """Writes the moments of one message or document: in the customer's zone, in one language.

    Use inside ``translation.override(language)`` so month names come out translated.
    """

    tz: tzinfo
    now: datetime
    language: str

    def local(self, value: datetime) -> datetime:
        return timezone.localtime(value, self.tz)

    def date_time(self, value: datetime | None) -> str:
        return format_moment(value, "numeric", tz=self.tz, language=self.language)

    def clock_time(self, value: datetime | None) -> str:
        return format_moment(value, "time", tz=self.tz, language=self.language)

    def moment(self, value: datetime | None) -> str:
        """ "HH:MM" when ``value`` is today in the customer's zone, else date and time.

        Across a DST change "02:20" is ambiguous next to the zone name of *now*, so the
        zone is named then.
        """
        if value is None:
            return ""
        same_day = self.local(value).date() == self.local(self.now).date()
        text = self.clock_time(value) if same_day else self.date_time(value)
        if self.local(value).utcoffset() != self.local(self.now).utcoffset():
            text = f"{text} {self.local(value).tzname()}"
        return text

    def zone_name(self) -> str:
        return self.local(self.now).tzname() or str(self.tz)

    def duration(self, start: datetime, end: datetime) -> str:
        return duration_long(end - start)
