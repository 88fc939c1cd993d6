"""Absolute addresses of a customer's public status page, from ``settings.SITE_URL``.

One builder for messages, feeds, JSON, calendars and snapshots (no request needed, so a
published snapshot renders the same links as a live response). A reader whose language is
not the page's own gets the page in their language (``?lang=``).
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def status_url(name: str, slug: str, *args: object, language: str = "", page_language: str = "",
               query: str = "") -> str:
    """``statuspage:<name>`` for ``slug`` as an absolute URL.

    ``language`` differing from ``page_language`` (the customer's) adds ``?lang=``; ``query``
    is appended as given (``?token=…``, ``#maintenance-3``).
    """
    url = f"{settings.SITE_URL}{_path(f'statuspage:{name}', (slug, *args), get_script_prefix(), get_urlconf())}"
    if language and language != page_language:
        lang = urlencode({"lang": language})
        query = f"?{lang}&{query[1:]}" if query.startswith("?") else f"?{lang}{query}"
    return url + query


@lru_cache(maxsize=8192)
def _path(name: str, args: tuple, _prefix: str, _urlconf: object) -> str:
    """``reverse`` once per page and link: a publish builds the same links in every document and
    variant (a few hundred per page). The URL configuration and script prefix are part of the key."""
    return reverse(name, args=list(args))


def status_page_url(slug: str, *, language: str = "", page_language: str = "", query: str = "") -> str:
    return status_url("page", slug, language=language, page_language=page_language, query=query)
