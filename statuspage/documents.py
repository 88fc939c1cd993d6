"""Every document of a status page as bytes: a state, a language and the ``Site`` in; the body
and its content type out. No request, no response, no database write.

The views (``statuspage.views``, ``statuspage.endpoints``) read the state for one visitor and
wrap the bytes in a response; the snapshot publisher (``statuspage.snapshots``) reads it once
per page and writes the bytes of every variant to the store. Both call these functions, so a
published file holds exactly what the computed response would (docs/architecture.md, decision 4).

A document is shared by every visitor (and published as a file), so nothing per request may
enter it: HTML is rendered without the request's context processors, and a template that asks
for a CSRF token or a CSP nonce raises ``PerVisitorValue`` instead of rendering one.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import http_date
from django.utils.safestring import mark_safe

from statuspage import api
from statuspage.badge import status_badge
from statuspage.feeds import history_feed as build_history_feed
from statuspage.history import HistoryState
from statuspage.ics import calendar_disposition, maintenance_calendar
from statuspage.maintenance import MaintenanceState
from statuspage.site import Site
from statuspage.states import IncidentState, PageState

HTML = "text/html; charset=utf-8"
JSON = "application/json"
CALENDAR = "text/calendar; charset=utf-8"
SVG = "image/svg+xml; charset=utf-8"

PAGE_TEMPLATE = "statuspage/page.html"
LIVE_PARTIAL = "statuspage/page.html#live"  # the htmx poll's fragment: the page's live region only


@dataclass(frozen=True, slots=True)
class Document:
    """A rendered document: its bytes, their type, and headers that belong to the document itself
    (the computed response sends them; the store's server derives its own from the file name)."""

    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class PerVisitorValue(Exception):
    """A status page template asked for a CSRF token or a CSP nonce: a document is the same for every
    visitor (a snapshot is served to all of them), so it cannot carry one."""


class _Refused:
    """Stands in for ``csrf_token`` and ``csp_nonce`` in a document's context: using it raises."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        raise PerVisitorValue(f"a status page document used {self.name}; documents are shared by every visitor")


_PER_VISITOR = {"csrf_token": _Refused("a CSRF token"), "csp_nonce": _Refused("a CSP nonce")}


# --- HTML ---------------------------------------------------------------------------------


def page_html(state: PageState, *, site: Site, language: str, fragment: bool = False,
              live: Document | None = None) -> Document:
    """The status page, or (``fragment``) the live region the htmx poll swaps in. ``live``: that
    region already rendered for the same page, site and language (the publisher's: rendered once)."""
    page_url = reverse("statuspage:page", args=[site.slug])
    context = {
        "page": state,
        # The poll keeps the chosen language, never the token: the cookie opens a private page.
        "poll_url": page_url + site.lang_query,
        "poll_seconds": settings.KALM_STATUS_POLL_SECONDS,
        "live_html": mark_safe(live.body.decode()) if live and not fragment else "",  # noqa: S308 - our render
    }
    return html(LIVE_PARTIAL if fragment else PAGE_TEMPLATE, context, site=site, language=language)


def incident_html(incident: IncidentState, *, site: Site, language: str) -> Document:
    """An incident's permalink page."""
    return html("statuspage/incident.html", {"incident": incident}, site=site, language=language)


def history_html(history: HistoryState, *, site: Site, language: str) -> Document:
    """One page of the monthly incident history."""
    return html("statuspage/history.html", {"history": history}, site=site, language=language)


def html(template: str, context: dict[str, Any], *, site: Site, language: str) -> Document:
    """Render a status page template in ``language`` and the page's time zone (labels are lazy and
    dates follow the active zone, so both must be active while rendering)."""
    # LANGUAGES is what the i18n context processor would add: the language switcher lists them.
    context = {**context, "site": site, "LANGUAGES": settings.LANGUAGES, **_PER_VISITOR}
    with translation.override(language), timezone.override(site.tzinfo):
        body = render_to_string(template, context)
    return Document(body.encode(), HTML)


# --- machine-readable ---------------------------------------------------------------------


def api_json(data: api.ApiData, name: str, *, site: Site, language: str) -> Document:
    """One Statuspage v2 document (``name``: a key of ``api.ENDPOINTS``). ``data`` may be shared by
    several documents and variants: the links get this site's query here."""
    with translation.override(language):
        body = api.ENDPOINTS[name](data.linking(site.lang_query))
    # What JsonResponse writes: DjangoJSONEncoder, default separators, ASCII.
    return Document(json.dumps(body, cls=DjangoJSONEncoder).encode(), JSON)


def history_feed(incidents: list[IncidentState], kind: str, *, site: Site, language: str,
                 descriptions: dict[tuple[int, str], str] | None = None) -> Document:
    """The RSS or Atom feed (``kind``: "history-rss" or "history-atom"); ``descriptions`` keeps the
    items' rendered texts for the next feed of the same page (see ``feeds.history_feed``)."""
    with translation.override(language), timezone.override(site.tzinfo):
        feed = build_history_feed(incidents, kind, site=site, language=language, descriptions=descriptions)
        body = feed.writeString("utf-8")
    # As contrib.syndication's Feed view: lets conditional GETs answer 304.
    last_modified = http_date(feed.latest_post_date().timestamp())
    return Document(body.encode(), feed.content_type, {"Last-Modified": last_modified})


def maintenance_ics(windows: list[MaintenanceState], *, site: Site, language: str) -> Document:
    """The maintenance calendar (RFC 5545)."""
    with translation.override(language):
        body = maintenance_calendar(windows, name=site.name, slug=site.slug, query=site.machine_query)
    return Document(body.encode(), CALENDAR, {"Content-Disposition": calendar_disposition(site.slug)})


def badge_svg(state: PageState, *, language: str) -> Document:
    """The SVG status badge (reads only the indicator and active maintenance: any page state will do)."""
    with translation.override(language):
        body = status_badge(state)
    return Document(body.encode(), SVG)
