"""The public status page. Thin: pick the customer and language, read the page state, render.

Computed per request for now; DESIGN.md decision 4 (published snapshots) replaces the
read, not the template.
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from statuspage.selectors import page_state, public_customer


@require_safe
@vary_on_headers("HX-Request", "Accept-Language")
def status_page(request: HttpRequest, slug: str) -> HttpResponse:
    customer = public_customer(slug)
    if customer is None:
        raise Http404("No public status page here")
    chosen = _chosen_language(request)
    language = chosen or customer.language
    state = page_state(customer)
    context = {
        "page": state,
        "poll_url": f"{request.path}?{urlencode({'lang': chosen})}" if chosen else request.path,
        "poll_seconds": settings.KALM_STATUS_POLL_SECONDS,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "statuspage/page.html#live" if partial else "statuspage/page.html"
    # Render now, inside the overrides: labels are lazy and dates follow the active zone.
    with translation.override(language), timezone.override(customer.tzinfo):
        response = render(request, template, context)
    response.headers["Content-Language"] = language
    patch_cache_control(response, no_cache=True)
    return response


def _chosen_language(request: HttpRequest) -> str | None:
    """``?lang=`` when it names one of the configured languages; anything else is ignored."""
    value = request.GET.get("lang", "")
    return value if value in dict(settings.LANGUAGES) else None
