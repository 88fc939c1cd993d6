"""Machine-readable views: Statuspage v2 JSON, RSS/Atom feeds, the maintenance calendar and
the SVG badge. Thin: check access, read the state, let ``statuspage.documents`` render it,
set the caching headers.

Public responses may be cached briefly by anyone (and the JSON may be read cross-origin, as
Statuspage's is); ``status_page_view`` turns a private page's responses into
``Cache-Control: private`` with ``X-Robots-Tag: noindex``. A published public page is
answered from the snapshot store first (``serve_snapshot``), filled by the publisher with the
same ``documents`` functions, so both paths give the same bytes. ``?lang=`` chooses the
language, and the links inside (feed items, calendar events, JSON shortlinks) carry it on to
the pages.
"""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from statuspage import api, documents
from statuspage.access import Access, status_page_view
from statuspage.feeds import feed_incidents
from statuspage.ics import calendar_windows
from statuspage.responses import cacheable_response, page_language, visitor_site
from statuspage.selectors import page_state
from statuspage.snapshot_serving import serve_snapshot

MAX_AGE = 30  # seconds: machine readers poll; a short public cache absorbs the bursts
BADGE_MAX_AGE = 60


@serve_snapshot
@status_page_view
def api_document(request: HttpRequest, access: Access, *, document: str) -> HttpResponse:
    data = api.ApiData(access.customer, now=timezone.now())
    rendered = documents.api_json(data, document, site=visitor_site(request, access),
                                  language=page_language(request, access))
    response = cacheable_response(rendered, access, max_age=MAX_AGE)
    if not access.private:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@serve_snapshot
@status_page_view
def history_feed(request: HttpRequest, access: Access, *, feed: str) -> HttpResponse:
    rendered = documents.history_feed(feed_incidents(access.customer), feed, site=visitor_site(request, access),
                                      language=page_language(request, access))
    return cacheable_response(rendered, access, max_age=MAX_AGE)


@serve_snapshot
@status_page_view
def maintenance_ics(request: HttpRequest, access: Access) -> HttpResponse:
    windows = calendar_windows(access.customer, now=timezone.now())
    rendered = documents.maintenance_ics(windows, site=visitor_site(request, access),
                                         language=page_language(request, access))
    return cacheable_response(rendered, access, max_age=MAX_AGE)


@serve_snapshot
@status_page_view
def badge(request: HttpRequest, access: Access) -> HttpResponse:
    state = page_state(access.customer, with_uptime=False)
    rendered = documents.badge_svg(state, language=page_language(request, access))
    return cacheable_response(rendered, access, max_age=BADGE_MAX_AGE)
