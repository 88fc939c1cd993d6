"""The status page and its HTML companions (incident permalink, history). Thin: check access
(``statuspage.access``), read a plain state, let ``statuspage.documents`` render it in the
visitor's language, wrap the bytes (``statuspage.responses``).

A public page is published (docs/architecture.md, decision 4): ``statuspage.snapshots`` renders it with the
same ``documents.page_html`` into the snapshot store, and ``serve_snapshot`` answers from there
before anything here reads the database. The computed path below serves private pages, secret
links, other query strings and pages not published yet.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.views.decorators.vary import vary_on_headers

from statuspage import documents, publishing
from statuspage.access import Access, status_page_view
from statuspage.history import MAX_PAGES, history_state
from statuspage.responses import html_response, page_language, visitor_site
from statuspage.selectors import incident_state, page_state
from statuspage.snapshot_serving import serve_snapshot


@serve_snapshot
@status_page_view
@vary_on_headers("HX-Request", "Accept-Language")
def status_page(request: HttpRequest, access: Access) -> HttpResponse:
    if not access.private:
        publishing.ensure_published(access.customer)  # computed because it is not in the store yet?
    language = page_language(request, access)
    with translation.override(language):  # the uptime bars' labels are translated as they are built
        state = page_state(access.customer)
    fragment = bool(request.htmx) and not request.htmx.history_restore_request
    document = documents.page_html(state, site=visitor_site(request, access), language=language, fragment=fragment)
    return html_response(document, language=language)


@status_page_view
@vary_on_headers("Accept-Language")
def incident_detail(request: HttpRequest, access: Access, number: str) -> HttpResponse:
    incident = incident_state(access.customer, number)
    if incident is None:
        raise Http404("No such incident on this page")
    language = page_language(request, access)
    document = documents.incident_html(incident, site=visitor_site(request, access), language=language)
    return html_response(document, language=language)


@status_page_view
@vary_on_headers("Accept-Language")
def history(request: HttpRequest, access: Access) -> HttpResponse:
    value = request.GET.get("page", "1")
    page = int(value) if value.isascii() and value.isdigit() else 0
    state = history_state(access.customer, page=page, now=timezone.now()) if 1 <= page <= MAX_PAGES else None
    if state is None:
        raise Http404("No such history page")
    language = page_language(request, access)
    document = documents.history_html(state, site=visitor_site(request, access), language=language)
    return html_response(document, language=language)
