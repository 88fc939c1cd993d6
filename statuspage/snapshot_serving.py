"""Answer a public status page request from the snapshot store, before the database is read.

``serve_snapshot`` wraps the page and machine-endpoint views. A request is a hit when it is
a GET/HEAD, its query string is empty or exactly ``lang=<configured language>``, and the
store holds the file (only public pages are published, so the file's presence is the
permission). A hit touches no database, session or cache: it stats and reads one file,
answers with a strong ETag (a hash of the bytes, remembered per file version) and
``If-None-Match`` → 304. Anything else falls through to the computed view.
"""

import hashlib
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

from statuspage.ics import calendar_disposition
from statuspage.snapshot_store import (
    DEFAULT_VARIANT,
    DOCUMENTS,
    LIVE,
    PAGE,
    cache_control,
    document_path,
    languages,
    page_directory,
)

SLUG_ROUTE = "<slug:slug>/"
_ETAGS: dict[tuple[str, int, int, int], str] = {}
_ETAGS_LIMIT = 4096  # distinct file versions remembered per process; then start over


def serve_snapshot(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        if settings.KALM_STATUS_SNAPSHOTS and request.method in ("GET", "HEAD"):
            response = snapshot_response(request, slug)
            if response is not None:
                return response
        return view(request, slug, *args, **kwargs)

    return wrapper


def snapshot_response(request: HttpRequest, slug: str) -> HttpResponse | None:
    """The stored answer for this request, or None when the store cannot answer it."""
    variant = _variant(request)
    document = _document(request)
    if variant is None or document is None:
        return None
    path = document_path(slug, variant, document)
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    with os.fdopen(fd, "rb") as file:
        # fstat on the open file: the ETag and the bytes belong to the same version even if
        # the publisher replaces the file meanwhile.
        stat = os.fstat(file.fileno())
        key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
        etag = _ETAGS.get(key)
        if etag is not None and _matches(request, etag):
            return _headers(HttpResponseNotModified(), slug, variant, document, etag)
        body = file.read()
    if etag is None:
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        if len(_ETAGS) >= _ETAGS_LIMIT:
            _ETAGS.clear()
        _ETAGS[key] = etag
    if _matches(request, etag):
        return _headers(HttpResponseNotModified(), slug, variant, document, etag)
    response = HttpResponse(body, content_type=DOCUMENTS[document])
    return _headers(response, slug, variant, document, etag)


def _variant(request: HttpRequest) -> str | None:
    if not request.GET:
        return DEFAULT_VARIANT
    values = request.GET.getlist("lang")
    if len(request.GET) == 1 and len(values) == 1 and values[0] in languages():
        return values[0]
    return None  # a token, a page number, anything else: the computed path decides


def _document(request: HttpRequest) -> str | None:
    """The store's name for the matched URL: its route after ``<slug:slug>/``."""
    match = request.resolver_match
    route = match.route if match else ""
    if SLUG_ROUTE not in route:
        return None
    document = route.split(SLUG_ROUTE, 1)[1]
    if document == "":
        htmx = request.headers.get("HX-Request") == "true"
        restoring = request.headers.get("HX-History-Restore-Request") == "true"
        document = LIVE if htmx and not restoring else PAGE
    return document if document in DOCUMENTS else None


def _matches(request: HttpRequest, etag: str) -> bool:
    given = parse_etags(request.headers.get("If-None-Match", ""))
    # If-None-Match compares weakly (RFC 9110 13.1.2): a W/ prefix added by a proxy still matches.
    return "*" in given or etag in {tag.removeprefix("W/") for tag in given}


def _headers(response: HttpResponse, slug: str, variant: str, document: str, etag: str) -> HttpResponse:
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = cache_control()
    response.headers["Content-Language"] = _language(slug, variant)
    if document in (PAGE, LIVE):
        response.headers["Vary"] = "HX-Request"
    elif document.startswith("api/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif document == "maintenance.ics":
        response.headers["Content-Disposition"] = calendar_disposition(slug)
    return response


def _language(slug: str, variant: str) -> str:
    if variant != DEFAULT_VARIANT:
        return variant
    try:
        return os.readlink(Path(page_directory(slug)) / DEFAULT_VARIANT)  # the customer's language
    except OSError:
        return settings.LANGUAGE_CODE
