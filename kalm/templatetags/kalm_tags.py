from django import template
from django.utils.safestring import SafeString

from kalm.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """Render user-written Markdown as sanitised HTML."""
    return render_markdown(text)


@register.filter
def severity_short(value: str) -> str:
    """The severity's pill label: "Critical" rather than "Critical – everything is down"."""
    from comms.context import severity_label  # the same cut the messages use

    return severity_label(str(value))
