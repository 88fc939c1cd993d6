import pytest

from tests.statuspage.dom import parse


@pytest.fixture
def get_page(client):
    """GET a status page; returns (response, parsed HTML).

    English unless told otherwise (the assertions read English labels, and the nl/de
    catalogs translate them); pass ``lang=None`` for the customer's own language.
    """

    def get(slug: str = "midsize", *, htmx: bool = False, lang: str | None = "en", **params):
        if lang is not None:
            params["lang"] = lang
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.get(f"/status/{slug}/", params, headers=headers)
        assert response.status_code == 200, response.status_code
        return response, parse(response.content.decode())

    return get


@pytest.fixture
def snapshots(settings, tmp_path):
    """Published pages on (tests/conftest.py turns them off), in a store of this test's own; returns its path."""
    from django.core.cache import cache

    settings.KALM_STATUS_SNAPSHOTS = True
    settings.KALM_SNAPSHOT_DIR = tmp_path / "snapshots"
    cache.clear()  # coalescing keys from other tests
    return settings.KALM_SNAPSHOT_DIR
