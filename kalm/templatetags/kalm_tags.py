from django import template
from django.utils.safestring import SafeString

from kalm.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """Render user-written Markdown as sanitised HTML."""
    return render_markdown(text)
