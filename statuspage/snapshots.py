"""Publish a customer's status page into the snapshot store (DESIGN.md decision 4).

``publish(customer)`` renders every document of a PUBLIC page, in every variant the store
knows (``statuspage.snapshot_store``), through the same render functions the views use, so
a snapshot holds the bytes a computed response would. A page that is not public (made
private, deleted, renamed) has no directory: ``publish`` and ``prune_store`` remove it.

Files are written atomically (temp file + ``os.replace``) and only when their bytes
changed, so an unchanged document keeps its file, its mtime and so its ETag. One lock file
per slug (``flock``) serialises publishing and removal across processes: a removal waits
for a publish in progress, so a page made private is never re-created afterwards.
"""

import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django_htmx.middleware import HtmxDetails

from incidents.models import Customer
from statuspage import api, endpoints
from statuspage.access import Access
from statuspage.selectors import page_state
from statuspage.snapshot_store import (
    DEFAULT_VARIANT,
    LANGUAGE_LINK,
    LIVE,
    PAGE,
    document_path,
    languages,
    page_directory,
    store_root,
)
from statuspage.views import render_status_page

Documents = dict[tuple[str, str], bytes]  # (variant, document) → bytes


class SnapshotError(Exception):
    """A rendered document holds something per-request (a CSRF token, a nonce): never publish it."""


def publish(customer: Customer) -> list[str]:
    """Render the customer's public page into the store; remove it when the page is not public.

    Returns the ``variant/document`` names whose bytes changed.
    """
    with page_lock(customer.slug):
        current = Customer.objects.filter(pk=customer.pk, slug=customer.slug).first()
        if current is None or not current.status_page_public:
            _remove(customer.slug)
            return []
        documents = render_documents(current)
        changed = [f"{variant}/{name}" for (variant, name), body in documents.items()
                   if _write(document_path(current.slug, variant, name), body)]
        _link_language(current)
        return changed


def unpublish(slug: str) -> None:
    """Take the page out of the store now (it answers from the computed path from then on)."""
    with page_lock(slug):
        _remove(slug)


def prune_store() -> list[str]:
    """Remove every page in the store that is no longer a public customer's; returns their slugs."""
    root = store_root()
    if not root.is_dir():
        return []
    public = set(Customer.objects.filter(status_page_public=True).values_list("slug", flat=True))
    stale = [entry.name for entry in root.iterdir()
             if entry.is_dir() and not entry.name.startswith(".") and entry.name not in public]
    for slug in stale:
        unpublish(slug)
    return stale


def render_documents(customer: Customer) -> Documents:
    """Every document of a public page, keyed by (variant, document)."""
    access = Access(customer=customer, private=False)
    documents: Documents = {}
    for language in languages():
        documents |= _render_language(customer, access, language)
    return documents


def _render_language(customer: Customer, access: Access, language: str) -> Documents:
    """A language's variant, and for the customer's own language also the default one: the same
    language, but every link differs (a chosen language's links carry ``?lang=`` on)."""
    base = reverse("statuspage:page", args=[customer.slug])
    with translation.override(language):
        state = page_state(customer)  # the uptime labels are translated as they are built
    data = api.ApiData(customer, now=timezone.now())  # read once, shared by the variants' JSON
    variants = [language, DEFAULT_VARIANT] if language == customer.language else [language]
    documents: Documents = {}
    for variant in variants:
        lang = None if variant == DEFAULT_VARIANT else language
        for name, partial in ((PAGE, False), (LIVE, True)):
            request = _request(base, lang=lang, htmx=partial)
            documents[(variant, name)] = _checked(request, render_status_page(
                request, access, partial=partial, page=state).content)
        for name in api.ENDPOINTS:
            response = endpoints.render_api_document(_request(base + f"api/v2/{name}", lang=lang), access,
                                                     document=name, data=data)
            documents[(variant, f"api/v2/{name}")] = response.content
        for feed, name in (("history-rss", "history.rss"), ("history-atom", "history.atom")):
            response = endpoints.render_history_feed(_request(base + name, lang=lang), access, feed=feed)
            documents[(variant, name)] = response.content
        documents[(variant, "maintenance.ics")] = endpoints.render_maintenance_ics(
            _request(base + "maintenance.ics", lang=lang), access).content
        documents[(variant, "badge.svg")] = endpoints.render_badge(
            _request(base + "badge.svg", lang=lang), access, state=state).content
    return documents


def _request(path: str, *, lang: str | None, htmx: bool = False) -> HttpRequest:
    """An anonymous GET as a visitor of SITE_URL sends it (feeds read the host from it)."""
    site = urlsplit(settings.SITE_URL)
    request = RequestFactory().get(path, {"lang": lang} if lang else {}, secure=site.scheme == "https",
                                   headers={"HX-Request": "true"} if htmx else None,
                                   HTTP_HOST=site.netloc or "localhost")
    request.user = AnonymousUser()
    request.htmx = HtmxDetails(request)
    return request


def _checked(request: HttpRequest, body: bytes) -> bytes:
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or b"nonce=" in body:
        raise SnapshotError(f"{request.path} rendered a CSRF token or a CSP nonce; a snapshot is shared by "
                            "every visitor, so the page cannot be published with it")
    return body


def _write(path: Path, body: bytes) -> bool:
    """Replace ``path`` with ``body`` atomically; False (and nothing touched) when it already holds it."""
    try:
        if path.read_bytes() == body:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(body)
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; the web server may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _link_language(customer: Customer) -> None:
    """``<slug>/language`` → the default variant's language (its Content-Language), replaced atomically."""
    link = page_directory(customer.slug) / LANGUAGE_LINK
    try:
        if os.readlink(link) == customer.language:
            return
    except OSError:
        pass
    temporary = link.with_name(f".{LANGUAGE_LINK}.{uuid.uuid4().hex}")
    os.symlink(customer.language, temporary)
    os.replace(temporary, link)


def _remove(slug: str) -> None:
    directory = page_directory(slug)
    if not directory.exists():
        return
    # Renaming makes the whole page vanish at once; deleting the files can take its time.
    doomed = directory.with_name(f".{slug}.{uuid.uuid4().hex}.removed")
    os.rename(directory, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


@contextmanager
def page_lock(slug: str) -> Iterator[None]:
    root = store_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{slug}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
