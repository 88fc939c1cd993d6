"""Where published status pages live on disk, and what each file is (docs/architecture.md, decision 4).

The store mirrors the URLs so a web server can map a request to a file without Python
(``deploy/nginx.conf`` does exactly that)::

    <KALM_SNAPSHOT_DIR>/<slug>/<language>/<document>
    <KALM_SNAPSHOT_DIR>/<slug>/default            symlink to the customer's language's folder

``variant`` is ``default`` for a request without a query string and the language code for
``?lang=<code>``. Every document exists in every variant, also the feeds, JSON, calendar and
badge: another language's links carry its ``?lang=`` on. The default variant is the
customer's language's (``?lang=`` naming the customer's language is dropped from links), so
it is a link to that folder, whose target also names its Content-Language. ``document`` is
the URL path under ``/status/<slug>/``, except that the page itself is ``index.html`` and its
htmx live fragment ``live.html``. Only a public page has a directory; its presence is what
lets a request be answered without the database.
"""

from pathlib import Path

from django.conf import settings

from statuspage import api

DEFAULT_VARIANT = "default"
PAGE = "index.html"
LIVE = "live.html"

HTML = "text/html; charset=utf-8"
# Document → Content-Type, exactly what the computed views send (tests compare them).
DOCUMENTS: dict[str, str] = {
    PAGE: HTML,
    LIVE: HTML,
    **{f"api/v2/{name}": "application/json" for name in api.ENDPOINTS},
    "history.rss": "application/rss+xml; charset=utf-8",
    "history.atom": "application/atom+xml; charset=utf-8",
    "maintenance.ics": "text/calendar; charset=utf-8",
    "badge.svg": "image/svg+xml; charset=utf-8",
}


def store_root() -> Path:
    return Path(settings.KALM_SNAPSHOT_DIR)


def page_directory(slug: str) -> Path:
    return store_root() / slug


def document_path(slug: str, variant: str, document: str) -> Path:
    return store_root() / slug / variant / document


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def cache_control() -> str:
    """Short reuse, then a background revalidation (a 304 when nothing changed)."""
    return (f"public, max-age={settings.KALM_SNAPSHOT_MAX_AGE}, "
            f"stale-while-revalidate={settings.KALM_SNAPSHOT_STALE_SECONDS}")
