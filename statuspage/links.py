"""Absolute addresses of a status page's resources, from ``settings.SITE_URL`` (no request
needed, so a published snapshot renders the same links as a live response)."""

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode


def absolute(name: str, slug: str, *args: object, query: str = "") -> str:
    return f"{settings.SITE_URL}{reverse(f'statuspage:{name}', args=[slug, *args])}{query}"


def page_url(slug: str, *, query: str = "") -> str:
    return absolute("page", slug, query=query)


def incident_url(slug: str, number: str, *, query: str = "") -> str:
    return absolute("incident", slug, number, query=query)


def lang_query(lang: str | None, **params: str) -> str:
    """``?…&lang=<code>`` for a link that should open in the language the visitor chose on the page
    (``lang`` None or "" for the customer's own); "" when there is nothing to carry."""
    params = {name: value for name, value in params.items() if value}
    if lang:
        params["lang"] = lang
    return f"?{urlencode(params)}" if params else ""
