"""User text to safe HTML: CommonMark with raw HTML disabled, then sanitised by nh3.

Two layers on purpose: markdown-it never passes raw HTML through, and nh3 removes
anything (a ``javascript:`` link, an attribute) that should not reach a page even if a
future Markdown option lets it through.
"""

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).disable("image")

_ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote", "h3", "h4"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text: str) -> SafeString:
    return _render(str(text or ""))


@lru_cache(maxsize=1024)
def _render(text: str) -> SafeString:
    """The HTML of one text, kept: a status page renders the same update on the page, in its live
    region and in two feeds, in every language (issue 14). Pure and immutable, so safe to share."""
    html = _md.render(text)
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above


def markdown_to_plain(text: str) -> str:
    """The same Markdown as plain text for text/plain e-mail parts, SMS and webhooks.

    Emphasis markers go, list items keep "- " (or "1. "), a link becomes "text (address)",
    paragraphs stay separated by an empty line. No Markdown syntax is left for a reader
    to stumble over.
    """
    out: list[str] = []
    prefixes: list[str] = []  # one per open list: "- " or a counter
    counters: list[int] = []
    for token in _md.parse(str(text or "")):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            prefixes.append("-" if kind == "bullet_list_open" else "1")
            counters.append(int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            prefixes.pop()
            counters.pop()
            _end_block(out)
        elif kind == "list_item_open":
            indent = "  " * (len(prefixes) - 1)
            if prefixes[-1] == "-":
                out.append(f"{indent}- ")
            else:
                out.append(f"{indent}{counters[-1]}. ")
                counters[-1] += 1
        elif kind == "inline":
            out.append(_inline_plain(token.children or []))
        elif kind in ("fence", "code_block"):
            out.append(token.content.rstrip("\n"))
            _end_block(out)
        elif kind == "paragraph_close" or kind == "heading_close":
            out.append("\n" if prefixes else "\n\n")
        elif kind == "hr":
            out.append("---\n\n")
    return "\n".join(line.rstrip() for line in "".join(out).strip().splitlines())


def _end_block(out: list[str]) -> None:
    if out and not "".join(out[-2:]).endswith("\n\n"):
        out.append("\n")


def _inline_plain(children) -> str:
    parts: list[str] = []
    href = ""
    link_start = 0
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            href, link_start = child.attrGet("href") or "", len(parts)
        elif kind == "link_close":
            label = "".join(parts[link_start:])
            if href and href != label and f"mailto:{label}" != href:
                parts.append(f" ({href})")
    return "".join(parts)
