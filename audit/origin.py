"""Where the current request comes from, for audit events written below the view.

The flows (``flows.incidents``, ``flows.maintenance``) record the events of the changes they
make, but they take facts, not requests. ``RequestOriginMiddleware`` notes the client
address (``core.http.client_ip``) for the length of each request, and ``audit.services.record``
uses it when the caller gives no address of its own. Outside a request (the tick, a worker,
a management command) there is none, and the event says so by having none.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from core.http import client_ip

_client_address: ContextVar[str | None] = ContextVar("audit_client_address", default=None)


def current_client_ip() -> str | None:
    return _client_address.get()


class RequestOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _client_address.set(client_ip(request) or None)
        try:
            return self.get_response(request)
        finally:
            _client_address.reset(token)
