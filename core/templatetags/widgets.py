"""A select's options written in one pass (``templates/django/forms/widgets/select.html``).

Django renders every ``<option>`` through two template includes (``select_option.html`` and
``attrs.html``). The console's customer pickers have one option per customer: with 200 customers
that was ~10 ms of the communication log and the incident page (bench/scale_console.py). The
markup is the same, with the attributes in ``flatatt``'s order.
"""

from collections.abc import Iterable

from django import template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def select_options(optgroups: Iterable[tuple]) -> SafeString:
    """``widget.optgroups`` as ``<option>`` (and ``<optgroup>``) elements, labels and values escaped."""
    parts = []
    for group_name, options, _index in optgroups:
        rendered = format_html_join("", '\n  <option value="{}"{}>{}</option>',
                                    ((str(option["value"]), flatatt(option["attrs"]), option["label"])
                                     for option in options))
        parts.append(format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, rendered)
                     if group_name else rendered)
    return mark_safe("".join(parts))  # noqa: S308 — every part above is format_html output
