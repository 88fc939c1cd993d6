from datetime import date
from functools import lru_cache

from django import template
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from incidents.models import ComponentStatus
from statuspage.uptime import UptimeBar, operational_day_text

register = template.Library()


@register.simple_tag
def uptime_days(uptime: UptimeBar) -> SafeString:
    """The bar's ``<li>`` per day: colour by class, the day in words as tooltip and for screen readers.

    A tag rather than a template loop: a page renders 90 of these per component. Rendered once per
    language and kept on the bar, which every variant and document of one publish shares.
    """
    language = translation.get_language()
    if language not in uptime.rendered:
        uptime.rendered[language] = mark_safe("".join(  # noqa: S308 - every value escaped in _day_item
            _quiet_day(day.date, language) if not day.durations else _day_item(day.status, day.text)
            for day in uptime.days))
    return uptime.rendered[language]


@register.simple_tag
def uptime_block(uptime: UptimeBar, name: str) -> SafeString:
    """A component's uptime bar with its label and legend. Python rather than the template's three
    ``blocktranslate`` per component: they were most of the time a page's live region took (issue 14)."""
    days = len(uptime.days)
    label = ngettext("%(name)s, the last day", "%(name)s, day by day over the last %(days)s days", days)
    legend = ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": days}
    percent = gettext("%(percent)s %% uptime") % {"percent": uptime.percent_label}
    return format_html(
        '<div class="uptime">\n      <ol class="uptime-bar" aria-label="{}">{}</ol>\n      <p class="uptime-legend">'
        '<span>{}</span> <span class="uptime-percent">{}</span> <span>{}</span></p>\n    </div>',
        label % {"name": name, "days": days}, uptime_days(uptime), legend, percent, gettext("Today"))


@register.simple_tag
def status_badge(status: str, label: str) -> SafeString:
    """A status with its coloured dot: a tag rather than an include, as every component of every
    page and language has one (issue 14)."""
    return format_html('<span class="status status-{}"><span class="dot" aria-hidden="true"></span>{}</span>',
                       status, label)


def _day_item(status: str, text: str) -> str:
    text = escape(text)
    return f'<li class="day day-{escape(status)}" title="{text}"><span class="visually-hidden">{text}</span></li>'


@lru_cache(maxsize=4096)
def _quiet_day(day: date, language: str) -> str:
    """An operational day: the same item in every bar of every page (``language`` is the active one)."""
    return _day_item(ComponentStatus.OPERATIONAL.value, operational_day_text(day, language))
