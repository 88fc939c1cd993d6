"""Audit trail tests: the events people cause through the real pages, API, commands and sign-in."""

import pytest
from django.core.cache import cache

from audit.models import AuditEvent

IP = "198.51.100.23"  # the client address the tests' requests come from (REMOTE_ADDR)


@pytest.fixture(autouse=True)
def _fresh_counters():
    """allauth's and axes' counters live in the cache too (tests/accounts/conftest.py)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def from_ip(client):
    """The test client, every request from ``IP``."""
    client.defaults["REMOTE_ADDR"] = IP
    return client


def only(action: str) -> AuditEvent:
    """The one event of ``action`` (fails when there are none or several)."""
    [event] = AuditEvent.objects.filter(action=action)
    return event


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
