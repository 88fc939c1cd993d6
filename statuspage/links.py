"""Absolute addresses of a status page's resources (core.links builds them for every app)."""

from django.utils.http import urlencode

from core.links import status_page_url, status_url


def page_url(slug: str, *, query: str = "") -> str:
    return status_page_url(slug, query=query)


def incident_url(slug: str, number: str, *, query: str = "") -> str:
    return status_url("incident", slug, number, query=query)


def absolute(name: str, slug: str, *args: object, query: str = "") -> str:
    return status_url(name, slug, *args, query=query)


def lang_query(lang: str | None, **params: str) -> str:
    """``?…&lang=<code>`` for a link that should open in the language the visitor chose on the page
    (``lang`` None or "" for the customer's own); "" when there is nothing to carry."""
    params = {name: value for name, value in params.items() if value}
    if lang:
        params["lang"] = lang
    return f"?{urlencode(params)}" if params else ""
