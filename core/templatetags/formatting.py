"""Kalm's template filters, built in (no ``{% load %}``): ``when``, ``duration``, ``age``, ``markdown``."""

from datetime import date, datetime, timedelta

from django import template
from django.utils.html import avoid_wrapping
from django.utils.safestring import SafeString

from core.formatting import duration_long, duration_short, format_moment
from core.markdown import render_markdown

register = template.Library()


@register.filter(expects_localtime=True)
def when(value: datetime | date | None, style: str = "datetime") -> str:
    """``style`` from core.formatting.STYLES; add ``_tz`` for the zone's abbreviation ("short_tz")."""
    if not isinstance(value, datetime | date):
        return ""
    return format_moment(value, style.removesuffix("_tz"), with_zone=style.endswith("_tz"))


@register.filter
def duration(value: timedelta | None, style: str = "long") -> str:
    if value is None:
        return "—"
    return duration_short(value) if style == "short" else duration_long(value)


@register.filter
def age(value: datetime | None, now: datetime) -> str:
    """How long before ``now`` ``value`` was, compact ("2 h 5 min"), as the countdowns beside it, kept
    on one line in a narrow column; Django's ``timesince`` was a tenth of the dashboard's rendering time."""
    if not isinstance(value, datetime):
        return ""
    return avoid_wrapping(duration_short(max(now - value, timedelta(0))))


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """Render user-written Markdown as sanitised HTML."""
    return render_markdown(text)


@register.filter
def severity_short(value: str) -> str:
    """A severity label cut for a pill: "Critical" rather than "Critical – everything is down"."""
    return str(value).split(" – ")[0]
