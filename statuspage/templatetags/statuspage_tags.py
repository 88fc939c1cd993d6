from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from statuspage.uptime import UptimeBar

register = template.Library()


@register.simple_tag
def uptime_days(uptime: UptimeBar) -> SafeString:
    """The bar's ``<li>`` per day: colour by class, the day in words as tooltip and for screen readers.

    A tag rather than a template loop: a page renders 90 of these per component.
    """
    return format_html_join(
        "", '<li class="day day-{}" title="{}"><span class="visually-hidden">{}</span></li>',
        ((day.status, text, text) for day, text in ((day, day.text) for day in uptime.days)),
    )
