"""Publish a customer's status page into the snapshot store (docs/architecture.md, decision 4).

``publish(customer)`` renders every document of a PUBLIC page, in every variant the store
knows (``statuspage.snapshot_store``), with the functions the views call
(``statuspage.documents``; no request involved), so a snapshot holds the bytes a computed
response would. A page that is not public (made private, deleted, renamed) has no directory:
``publish`` and ``prune_store`` remove it.

Files are written atomically (temp file + ``os.replace``) and only when their bytes
changed, so an unchanged document keeps its file, its mtime and so its ETag. The default
variant is a symbolic link to the customer's language's folder (the same bytes). One lock file
per slug (``flock``) serialises publishing and removal across processes: a removal waits
for a publish in progress, so a page made private is never re-created afterwards.

Each document renders on its own: one that fails (a title with bytes XML cannot carry, a
template bug) keeps its last good file while the others are published.
"""

import fcntl
import itertools
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import DatabaseError
from django.utils import timezone

from incidents.models import Customer
from statuspage import api, documents, page_facts, publish_failures, refresh
from statuspage.ics import calendar_windows
from statuspage.maintenance import MaintenanceState
from statuspage.selectors import page_state
from statuspage.site import Site
from statuspage.snapshot_store import (
    DEFAULT_VARIANT,
    LIVE,
    PAGE,
    document_path,
    languages,
    page_directory,
    store_root,
)
from statuspage.states import IncidentState, PageState

logger = logging.getLogger(__name__)

Documents = dict[tuple[str, str], bytes]  # (variant, document) → bytes
FEEDS = {"history.rss": "history-rss", "history.atom": "history-atom"}  # store name → feed kind (URL name)


class SnapshotError(Exception):
    """A rendered page holds a CSP nonce (per request): never publish it. (A CSRF token cannot get
    in: ``documents`` refuses to render one.)"""


BATCH = 50  # pages whose facts are read together (``page_facts``): a dozen queries per batch, not per page


def publish(customer: Customer) -> list[str]:
    """Render the customer's public page into the store; remove it when the page is not public.

    A document that fails to render keeps its last good file; the failure is logged and shown to
    staff (``statuspage.publish_failures``) until a publish renders it again. Returns the
    ``variant/document`` names whose bytes changed.
    """
    result = publish_many([customer])[customer.pk]
    if isinstance(result, Exception):
        raise result
    return result


def publish_many(customers: Iterable[Customer]) -> dict[int, list[str] | Exception]:
    """``publish`` for many customers, their facts read ``BATCH`` pages at a time: what a full
    re-publish runs. Returns by customer id the changed names, or why that page could not be
    published (logged; a page that fails does not stop the others). A database error stops all."""
    changed: dict[int, list[str] | Exception] = {}
    for batch in itertools.batched(customers, BATCH):
        changed |= _publish_batch(list(batch))
    return changed


def _publish_batch(customers: list[Customer]) -> dict[int, list[str] | Exception]:
    """The batch's pages, under their locks from before the read until the last file is written: a
    change's own publish waits, then renders what changed after this read."""
    changed: dict[int, list[str] | Exception] = {customer.pk: [] for customer in customers}
    with ExitStack() as locks:
        for slug in sorted({customer.slug for customer in customers}):  # one order for all: no deadlock
            locks.enter_context(page_lock(slug))
        current = Customer.objects.in_bulk([customer.pk for customer in customers])
        public = []
        for customer in customers:
            found = current.get(customer.pk)
            if found is not None and found.slug == customer.slug and found.status_page_public:
                public.append(found)
            else:  # private, renamed or deleted: not in the store under this slug
                _remove(customer.slug)
                if found is not None:
                    publish_failures.clear(found)
        rendered_at = timezone.now()
        facts = _read(public, now=rendered_at)
        failures: dict[Customer, dict[str, str]] = {}  # the documents that did not render, by page written
        for customer in public:
            try:
                rendering = render_documents(customer, now=rendered_at, facts=facts.get(customer.pk))
                changed[customer.pk] = _store(customer, rendering.files)
            except DatabaseError:
                raise
            except Exception as error:  # noqa: BLE001 - a full disk, a permission: logged, the next page goes on
                logger.exception("status page %s could not be published", customer.slug)
                changed[customer.pk] = error
            else:
                failures[customer] = rendering.failures
    refresh.record_rendered([customer.pk for customer in failures], rendered_at)
    publish_failures.record_many(failures)
    return changed


def _read(customers: list[Customer], *, now: datetime) -> dict[int, page_facts.PageFacts]:
    """The batch's facts; none when bad data fails the batch read: each page then reads its own, so
    the one at fault fails alone (``render_documents``). A database that fails is everyone's failure."""
    if len(customers) < 2:
        return {}  # one page reads its own, in ``render_documents``, where a failure is recorded
    try:
        return page_facts.read(customers, now=now)
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 - logged; each page tries again on its own
        logger.exception("status pages %s: the batch read failed; reading each page alone",
                         ", ".join(customer.slug for customer in customers))
        return {}


def publish_by_id(customer_id: int) -> list[str]:
    """What a queued publish does: the customer's page, or (the customer is gone) prune the store."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        prune_store()
        return []
    return publish(customer)


def public_customer_ids() -> list[int]:
    """The customers whose pages belong in the store."""
    return list(Customer.objects.filter(status_page_public=True).values_list("pk", flat=True))


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


@dataclass(frozen=True, slots=True)
class Rendering:
    """What one publish rendered: the documents' bytes, and the documents that failed with why."""

    files: Documents
    failures: dict[str, str]  # "variant/document" (or "language/*": its state could not be read) → error


def render_documents(customer: Customer, *, now: datetime | None = None,
                     facts: page_facts.PageFacts | None = None) -> Rendering:
    """Every document of a public page as of ``now``, keyed by (variant, document), from ``facts`` (read
    here when not given). One document that fails to render (bad data a check let through, a template
    bug) fails alone: the others render."""
    now = now or timezone.now()
    files: Documents = {}
    failures: dict[str, str] = {}
    # The facts, read once for every language: the states hold ``Localized`` texts and lazy labels,
    # resolved when a document renders in its language.
    try:
        facts = facts or page_facts.read([customer], now=now)[customer.pk]
        state = page_state(customer, now=now, as_of=facts.as_of, with_changes=True, recent=facts.recent,
                           every_window=facts.every_window, components=facts.components, changes=facts.changes)
        windows = calendar_windows(customer, now=now, every_window=facts.every_window)
    except DatabaseError:
        raise
    except Exception as error:  # noqa: BLE001 - logged and shown to staff; the page keeps its last good files
        return Rendering(files={}, failures={f"{language}/*": _describe(error) for language in languages()})
    data = api.ApiData(customer, now=now, updated_at=facts.as_of, state=state, recent=facts.recent,
                       windows=facts.windows, changed_at=facts.changed_at)
    # The feeds' incidents are the JSON's recent ones (FEED_ITEMS == RECENT_LIMIT; the bytes are compared
    # with the computed feeds in tests/statuspage/test_snapshots.py).
    feed_items: dict[tuple[int, str], str] = {}
    for language in languages():
        reads = _Reads(state=state, data=data.for_another_language(), incidents=facts.recent, windows=windows,
                       feed_items=feed_items)
        variants = _variants(customer, language)  # the customer's language: its variant is also the default
        site = Site.of(customer, lang=language)
        for name, render in _renderers(site, language, reads).items():
            try:
                body = render()
            except Exception as error:  # noqa: BLE001 - the page keeps this document's last good file
                failures.update({f"{variant}/{name}": _describe(error) for variant in variants})
            else:
                files.update({(variant, name): body for variant in variants})
    return Rendering(files=files, failures=failures)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _variants(customer: Customer, language: str) -> list[str]:
    """The customer's own language is also the default variant: the same bytes (``Site.of`` drops a
    ``?lang=`` naming the customer's language); the store links the one to the other (``_store``)."""
    return [language, DEFAULT_VARIANT] if language == customer.language else [language]


@dataclass(frozen=True, slots=True)
class _Reads:
    """What one language's documents render from."""

    state: PageState
    data: api.ApiData
    incidents: list[IncidentState]
    windows: list[MaintenanceState]
    feed_items: dict[tuple[int, str], str]  # the feeds' item texts by (incident, language): shared


def _renderers(site: Site, language: str, reads: _Reads) -> dict[str, Callable[[], bytes]]:
    """One variant's documents by store name, each a call to the function the views call. The live
    region renders first and goes into the page as it is (one render of it, not two)."""
    live: list[documents.Document] = []

    def live_region() -> bytes:
        live.append(documents.page_html(reads.state, site=site, language=language, fragment=True))
        return _checked(site, live[0].body)

    def page() -> bytes:
        return _checked(site, documents.page_html(reads.state, site=site, language=language,
                                                  live=live[0] if live else None).body)

    def json(name: str) -> Callable[[], bytes]:
        return lambda: documents.api_json(reads.data, name, site=site, language=language).body

    def feed(kind: str) -> Callable[[], bytes]:
        return lambda: documents.history_feed(reads.incidents, kind, site=site, language=language,
                                              descriptions=reads.feed_items).body

    return {
        LIVE: live_region,
        PAGE: page,
        **{f"api/v2/{name}": json(name) for name in api.ENDPOINTS},
        **{name: feed(kind) for name, kind in FEEDS.items()},
        "maintenance.ics": lambda: documents.maintenance_ics(reads.windows, site=site, language=language).body,
        "badge.svg": lambda: documents.badge_svg(reads.state, language=language).body,
    }


def _checked(site: Site, body: bytes) -> bytes:
    """A nonce attribute means a per-request value reached a shared document: never publish it."""
    if b"nonce=" in body:
        raise SnapshotError(f"{site.slug} rendered a CSP nonce; a snapshot is shared by every visitor, "
                            "so the page cannot be published with it")
    return body


def _store(customer: Customer, files: Documents) -> list[str]:
    """Write the language variants' documents that changed and link the default variant to the
    customer's language's folder (the same bytes, ``_variants``: a link, not a second file each).
    Returns the ``variant/document`` names whose bytes changed, the default variant's included."""
    if not files:  # nothing rendered (its state could not be read): the page keeps what it has
        return []
    changed = [(variant, name) for (variant, name), body in files.items()
               if variant != DEFAULT_VARIANT and _write(document_path(customer.slug, variant, name), body)]
    relinked = _link_default(customer)
    defaults = [name for variant, name in files if variant == DEFAULT_VARIANT]
    if not relinked:
        defaults = [name for variant, name in changed if variant == customer.language]
    return [f"{variant}/{name}" for variant, name in changed] + [f"{DEFAULT_VARIANT}/{name}" for name in defaults]


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


def _link_default(customer: Customer) -> bool:
    """``<slug>/default`` → the customer's language's folder, replaced atomically; True when it changed.
    nginx follows the link; its target also names the default variant's Content-Language."""
    link = page_directory(customer.slug) / DEFAULT_VARIANT
    try:
        if os.readlink(link) == customer.language:
            return False
    except FileNotFoundError:
        pass
    except OSError:  # a folder: a store written before the default variant became a link
        _set_aside(link)
        (page_directory(customer.slug) / "language").unlink(missing_ok=True)  # what named its language then
    temporary = link.with_name(f".{DEFAULT_VARIANT}.{uuid.uuid4().hex}")
    os.symlink(customer.language, temporary)
    os.replace(temporary, link)
    return True


def _remove(slug: str) -> None:
    directory = page_directory(slug)
    if directory.exists():
        _set_aside(directory)


def _set_aside(directory: Path) -> None:
    """Renaming makes the whole folder vanish at once; deleting its files can take its time."""
    doomed = directory.with_name(f".{directory.name}.{uuid.uuid4().hex}.removed")
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
