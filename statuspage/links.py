"""Absolute addresses of a status page's resources, from ``settings.SITE_URL`` (no request
needed, so a published snapshot renders the same links as a live response)."""

from django.conf import settings
from django.urls import reverse


def absolute(name: str, slug: str, *args: object, query: str = "") -> str:
    return f"{settings.SITE_URL}{reverse(f'statuspage:{name}', args=[slug, *args])}{query}"


def page_url(slug: str, *, query: str = "") -> str:
    return absolute("page", slug, query=query)


def incident_url(slug: str, number: str, *, query: str = "") -> str:
    return absolute("incident", slug, number, query=query)
