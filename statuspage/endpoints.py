"""Machine-readable views: Statuspage v2 JSON, RSS/Atom feeds, the maintenance calendar
and the SVG badge. Thin: check access, build with the plain builders, set the headers.

Public responses may be cached briefly by anyone (and the JSON may be read cross-origin,
as Statuspage's is); ``status_page_view`` turns a private page's responses into
``Cache-Control: private`` with ``X-Robots-Tag: noindex``. A published public page is
answered from the snapshot store first (``serve_snapshot``); the ``render_*`` functions are
what the publisher calls to fill it, so both paths give the same bytes. ``?lang=`` chooses
the language, and the links inside (feed items, calendar events, JSON shortlinks) carry it
on to the pages.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control

from statuspage import api
from statuspage.access import Access, status_page_view
from statuspage.badge import status_badge
from statuspage.feeds import FEED_TYPES, IncidentHistoryFeed
from statuspage.ics import calendar_disposition, maintenance_calendar
from statuspage.links import lang_query
from statuspage.selectors import page_state
from statuspage.snapshot_serving import serve_snapshot
from statuspage.states import PageState
from statuspage.views import chosen_language

MAX_AGE = 30  # seconds: machine readers poll; a short public cache absorbs the bursts
BADGE_MAX_AGE = 60


@serve_snapshot
@status_page_view
def api_document(request: HttpRequest, access: Access, *, document: str) -> HttpResponse:
    return render_api_document(request, access, document=document)


@serve_snapshot
@status_page_view
def history_feed(request: HttpRequest, access: Access, *, feed: str) -> HttpResponse:
    return render_history_feed(request, access, feed=feed)


@serve_snapshot
@status_page_view
def maintenance_ics(request: HttpRequest, access: Access) -> HttpResponse:
    return render_maintenance_ics(request, access)


@serve_snapshot
@status_page_view
def badge(request: HttpRequest, access: Access) -> HttpResponse:
    return render_badge(request, access)


def render_api_document(request: HttpRequest, access: Access, *, document: str,
                        data: api.ApiData | None = None) -> HttpResponse:
    """One Statuspage v2 document; the publisher passes one ``data`` for all of a language's documents."""
    build = api.ENDPOINTS[document]
    query = lang_query(chosen_language(request))
    data = data.linking(query) if data is not None else api.ApiData(access.customer, now=timezone.now(), query=query)
    with translation.override(_language(request, access)):
        body = build(data)
    response = JsonResponse(body)
    if not access.private:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return _cacheable(response, access, MAX_AGE)


def render_history_feed(request: HttpRequest, access: Access, *, feed: str) -> HttpResponse:
    with translation.override(_language(request, access)), timezone.override(access.customer.tzinfo):
        response = IncidentHistoryFeed(access, FEED_TYPES[feed], feed, lang=chosen_language(request) or "")(request)
    return _cacheable(response, access, MAX_AGE)


def render_maintenance_ics(request: HttpRequest, access: Access) -> HttpResponse:
    with translation.override(_language(request, access)):
        body = maintenance_calendar(access.customer, now=timezone.now(),
                                    query=lang_query(chosen_language(request), **access.link_params))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = calendar_disposition(access.customer.slug)
    return _cacheable(response, access, MAX_AGE)


def render_badge(request: HttpRequest, access: Access, *, state: PageState | None = None) -> HttpResponse:
    state = state or page_state(access.customer, with_uptime=False)
    with translation.override(_language(request, access)):
        response = HttpResponse(status_badge(state), content_type="image/svg+xml; charset=utf-8")
    return _cacheable(response, access, BADGE_MAX_AGE)


def _language(request: HttpRequest, access: Access) -> str:
    return chosen_language(request) or access.customer.language


def _cacheable(response: HttpResponse, access: Access, max_age: int) -> HttpResponse:
    if access.private:
        patch_cache_control(response, max_age=max_age)
    else:
        patch_cache_control(response, public=True, max_age=max_age)
    return response
