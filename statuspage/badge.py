"""The embeddable status badge (``badge.svg``): a shields-style "status | operational".

Plain SVG with presentation attributes only (no inline style, so it passes the CSP and
renders the same inside ``<img>``). Text widths are estimated from Verdana 11px metrics
and pinned with ``textLength``, so the text always fits whatever font the viewer has.
"""

from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from statuspage.states import Indicator, PageState

HEIGHT = 20
PADDING = 6
COLORS = {  # white text on each keeps at least 4.5:1 contrast
    Indicator.NONE: "#1a7f37",
    Indicator.MINOR: "#9a6700",
    Indicator.MAJOR: "#bc4c00",
    Indicator.CRITICAL: "#cf222e",
}
MAINTENANCE_COLOR = "#0969da"
LABEL_COLOR = "#555"
_NARROW, _WIDE = set("fijlrtI.,:;!|' "), set("mwMW")


def badge_message(state: PageState) -> tuple[str, str]:
    """(message, colour) for the page's overall state."""
    if state.indicator == Indicator.NONE and state.maintenance_active:
        return _("maintenance"), MAINTENANCE_COLOR
    messages = {
        Indicator.NONE: _("operational"),
        Indicator.MINOR: _("minor outage"),
        Indicator.MAJOR: _("partial outage"),
        Indicator.CRITICAL: _("major outage"),
    }
    return messages[state.indicator], COLORS[state.indicator]


def status_badge(state: PageState) -> str:
    message, color = badge_message(state)
    return render_badge(_("status"), message, color)


def text_width(text: str) -> int:
    return round(sum(3.6 if c in _NARROW else 10.0 if c in _WIDE else 7.7 if c.isupper() else 6.6 for c in text))


def render_badge(label: str, message: str, color: str) -> str:
    label_text, message_text = text_width(label), text_width(message)
    left, right = label_text + 2 * PADDING, message_text + 2 * PADDING
    width = left + right
    title = escape(f"{label}: {message}")
    label, message = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" role="img" '
        f'aria-label="{title}">'
        f"<title>{title}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="{HEIGHT}" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="{HEIGHT}" fill="{LABEL_COLOR}"/>'
        f'<rect x="{left}" width="{right}" height="{HEIGHT}" fill="{color}"/>'
        f'<rect width="{width}" height="{HEIGHT}" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="15" fill="#010101" fill-opacity=".3" textLength="{label_text}">{label}</text>'
        f'<text x="{left / 2}" y="14" textLength="{label_text}">{label}</text>'
        f'<text x="{left + right / 2}" y="15" fill="#010101" fill-opacity=".3" '
        f'textLength="{message_text}">{message}</text>'
        f'<text x="{left + right / 2}" y="14" textLength="{message_text}">{message}</text>'
        "</g></svg>"
    )
