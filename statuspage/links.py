"""Absolute addresses of a status page's resources (core.links builds them for every app)."""

from core.links import status_page_url, status_url


def page_url(slug: str, *, query: str = "") -> str:
    return status_page_url(slug, query=query)


def incident_url(slug: str, number: str, *, query: str = "") -> str:
    return status_url("incident", slug, number, query=query)


def absolute(name: str, slug: str, *args: object, query: str = "") -> str:
    return status_url(name, slug, *args, query=query)
