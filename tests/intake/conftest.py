import pytest

from intake.integrations import integration_get_or_create
from tests.scenarios import people


@pytest.fixture
def cast(account_manager, http_sink):
    """Seed 000's MidSize (Dutch), Northwind (English) and Bergmann (German) with their stakeholders."""
    return people.cast(account_manager, http_sink.url("/hook"))


@pytest.fixture
def alertmanager(cast):
    """MidSize's Alertmanager integration, as ``manage.py intake_url alertmanager --customer midsize`` makes it."""
    return integration_get_or_create(customer=cast.midsize, kind="alertmanager")
