"""The status page and its HTML companions (incident permalink, history). Thin: check
access (``statuspage.access``), read a plain state, render in the customer's language and
time zone.

A public page is published (DESIGN.md decision 4): ``statuspage.snapshots`` renders it
through ``render_status_page`` into the snapshot store, and ``serve_snapshot`` answers from
there before anything here reads the database. The computed path below serves private pages,
secret links, other query strings and pages not published yet.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.vary import vary_on_headers

from statuspage import publishing
from statuspage.access import Access, status_page_view
from statuspage.history import MAX_PAGES, history_state
from statuspage.links import lang_query
from statuspage.selectors import incident_state, page_state
from statuspage.snapshot_serving import serve_snapshot
from statuspage.states import PageState


@dataclass(frozen=True, slots=True)
class Site:
    """What every status page template needs to know about the page it is on."""

    name: str
    slug: str
    time_zone: str
    private: bool
    lang: str  # the ?lang= the visitor chose, "" for the customer's default
    token: str = ""  # a private page opened by its secret link: feeds and calendars need it in their links

    @property
    def lang_query(self) -> str:
        """For links within the site (history, permalinks, subscribe): the chosen language."""
        return lang_query(self.lang)

    @property
    def machine_query(self) -> str:
        """For feeds, calendars, JSON and the badge: the chosen language and the secret link token."""
        return lang_query(self.lang, token=self.token)


@serve_snapshot
@status_page_view
@vary_on_headers("HX-Request", "Accept-Language")
def status_page(request: HttpRequest, access: Access) -> HttpResponse:
    if not access.private:
        publishing.ensure_published(access.customer)  # computed because it is not in the store yet?
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    return render_status_page(request, access, partial=partial)


def render_status_page(request: HttpRequest, access: Access, *, partial: bool,
                       page: PageState | None = None) -> HttpResponse:
    """The page (or its htmx live fragment); the publisher passes the ``page`` it already read."""
    chosen = chosen_language(request)
    if page is None:
        # Read inside the page's language: the uptime bars' labels are translated as they are built.
        with translation.override(chosen or access.customer.language):
            page = page_state(access.customer)
    context = {
        "page": page,
        "poll_url": f"{request.path}?{urlencode({'lang': chosen})}" if chosen else request.path,
        "poll_seconds": settings.KALM_STATUS_POLL_SECONDS,
    }
    return _render(request, access, "statuspage/page.html#live" if partial else "statuspage/page.html", context)


@status_page_view
@vary_on_headers("Accept-Language")
def incident_detail(request: HttpRequest, access: Access, number: str) -> HttpResponse:
    incident = incident_state(access.customer, number)
    if incident is None:
        raise Http404("No such incident on this page")
    return _render(request, access, "statuspage/incident.html", {"incident": incident})


@status_page_view
@vary_on_headers("Accept-Language")
def history(request: HttpRequest, access: Access) -> HttpResponse:
    value = request.GET.get("page", "1")
    page = int(value) if value.isascii() and value.isdigit() else 0
    state = history_state(access.customer, page=page, now=timezone.now()) if 1 <= page <= MAX_PAGES else None
    if state is None:
        raise Http404("No such history page")
    return _render(request, access, "statuspage/history.html", {"history": state})


def chosen_language(request: HttpRequest) -> str | None:
    """``?lang=`` when it names one of the configured languages; anything else is ignored."""
    value = request.GET.get("lang", "")
    return value if value in dict(settings.LANGUAGES) else None


def _render(request: HttpRequest, access: Access, template: str, context: dict[str, Any]) -> HttpResponse:
    customer = access.customer
    chosen = chosen_language(request)
    language = chosen or customer.language
    site = Site(name=customer.name, slug=customer.slug, time_zone=customer.time_zone, private=access.private,
                lang=chosen or "", token=access.token)
    # Render now, inside the overrides: labels are lazy and dates follow the active zone.
    with translation.override(language), timezone.override(customer.tzinfo):
        response = render(request, template, {**context, "site": site})
    response.headers["Content-Language"] = language
    patch_cache_control(response, no_cache=True)
    return response
