"""Console messages (``django.contrib.messages``) on htmx responses too.

A whole page shows them through ``base.html``. An htmx response replaces only part of the
page, so this appends the same list as an out-of-band swap (``hx-swap-oob``) into the page's
``#messages`` region: "Update posted", "Next update postponed to 15:30" appear after an
in-place form post exactly as after a redirect without JavaScript.
"""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

CONSOLE_PREFIX = "/console/"
# htmx leaves the page for these: the next page shows the messages instead.
NAVIGATING_HEADERS = ("HX-Redirect", "HX-Location", "HX-Refresh")


class HtmxMessagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _swaps_in_place(request, response):
            pending = messages.get_messages(request)
            if len(pending):
                response.content += render_to_string("_messages.html", {"messages": pending, "oob": True},
                                                     request=request).encode()
                if response.has_header("Content-Length"):
                    response.headers["Content-Length"] = str(len(response.content))
        return response


def _swaps_in_place(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        bool(getattr(request, "htmx", False))
        and request.path.startswith(CONSOLE_PREFIX)
        and not response.streaming
        and (200 <= response.status_code < 300 or response.status_code == 422)
        and response.status_code != 204
        and response.get("Content-Type", "").startswith("text/html")
        and not any(response.has_header(header) for header in NAVIGATING_HEADERS)
    )
