"""The KPI tests' fixtures (imported by those modules: tests/insight is shared with the monthly report)."""

import pytest

from insight.kpis import Scope
from tests.insight.kpi_builders import AMSTERDAM, NOW, november


@pytest.fixture(name="made")
def made_fixture(customer, other_customer):
    return november(customer, other_customer)


@pytest.fixture(name="scope")
def scope_fixture(customer, made):
    return Scope(customer_ids=(customer.pk,), tz=AMSTERDAM, now=NOW)
