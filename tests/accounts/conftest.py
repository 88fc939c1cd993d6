"""Sign-in tests: allauth's and axes' counters live in the cache and the database; every test
starts with neither (the local-memory cache outlives a test otherwise)."""

import pytest
from django.core.cache import cache

PASSWORD = "kalm-test-password"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def log_in(client, username: str, password: str = PASSWORD, *, next_url: str | None = None, **extra):
    """POST the login form as a browser does (field names of allauth's form)."""
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    data = {"login": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(url, data, **extra)
