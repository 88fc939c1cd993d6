"""Kalm's log format: plain lines by default, one JSON object per line with ``KALM_LOG_FORMAT=json``.

The JSON form is python-json-logger's formatter (kept up to date upstream, handles exceptions,
stack traces and non-JSON values) with Kalm's field names: ``time`` (UTC, ISO 8601), ``level``,
``logger``, ``message``, ``exception`` (the traceback, when there is one), and ``request_id``
and ``path`` for lines logged while a request is handled. ``RequestContextMiddleware`` notes
the request for its length (its id: ``X-Request-ID`` from the proxy when it is sane, otherwise a
new one, echoed on the response) and ``RequestContextFilter`` puts both on every record. A
secret in the path (the URL kwarg ``token``: intake addresses, signed report links, subscription
links) is written as ``[token]``. Nothing here imports Django's settings: kalm.settings builds
LOGGING with it.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from pythonjsonlogger.core import RESERVED_ATTRS

FORMATS = ("plain", "json")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Attributes Django puts on records that are objects, not facts (the request, a socket).
_NOT_LOGGED = ["request", "server_time"]

_request: ContextVar[HttpRequest | None] = ContextVar("kalm_log_request", default=None)


class RequestContextMiddleware:
    """Notes the request id and path for log records written while the request is handled."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id  # for django.request's lines, written after this returns
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response.headers.setdefault(REQUEST_ID_HEADER, request_id)
        return response


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``path`` to a record written during a request (nothing outside one).

    Django logs a 4xx/5xx response (``django.request``) once the middleware has returned, with
    the request on the record: those lines take both from it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = _request.get() or getattr(record, "request", None)
        if isinstance(request, HttpRequest) and hasattr(request, "request_id"):
            record.request_id, record.path = request.request_id, loggable_path(request)
        return True


def loggable_path(request: HttpRequest) -> str:
    """The path with the value of a ``token`` URL kwarg (a credential) replaced by ``[token]``."""
    match = request.resolver_match
    if match is None:  # logged before the URL was resolved
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return request.path
    secret = match.kwargs.get("token")
    return request.path.replace(str(secret), "[token]") if secret else request.path


def logging_config(log_format: str, level: str) -> dict:
    """The LOGGING dict for ``plain`` or ``json``; another value stops start-up naming the variable."""
    if log_format not in FORMATS:
        raise ImproperlyConfigured(f"KALM_LOG_FORMAT must be one of {', '.join(FORMATS)}; got {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "kalm.logs.RequestContextFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger", "exc_info": "exception"},
                "timestamp": "time",  # datetime.fromtimestamp(record.created, tz=UTC).isoformat()
                "reserved_attrs": [*RESERVED_ATTRS, *_NOT_LOGGED],
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format,
                                 "filters": ["request"]}},
        "root": {"handlers": ["console"], "level": level},
        # httpx logs every request's full URL at INFO: a Slack or Teams webhook's path is its credential.
        "loggers": {"django.db.backends": {"level": "INFO"}, "httpx": {"level": "WARNING"}},
    }
