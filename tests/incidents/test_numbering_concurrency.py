"""Incident numbers stay distinct when incidents are opened at the same moment.

SQLite serialises writers, so only PostgreSQL can show a race: there the counter row's
SELECT … FOR UPDATE (and, for the day's first number, the unique constraint on the
counter) must hand every concurrent opening its own number. Run with
``DATABASE_URL=postgres://… pytest tests/incidents/test_numbering_concurrency.py``.
"""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from api.models import ApiToken
from flows import incidents as incident_flow

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so it cannot race"),
    pytest.mark.django_db(transaction=True),
]

PARALLEL = 20


def local_day(customer) -> date:
    return timezone.localtime(timezone.now(), customer.tzinfo).date()


def assert_numbered_one_to_n(numbers: list[str], customer, days: set[date]) -> None:
    """``MSM-YYYY-MMDD-001`` … ``-020``, all on one customer-local day (the one the test ran on)."""
    [day] = {number.rsplit("-", 1)[0] for number in numbers}
    assert day in {f"MSM-{d:%Y-%m%d}" for d in days}
    assert sorted(numbers) == [f"{day}-{n:03d}" for n in range(1, len(numbers) + 1)]


def post_json(url: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:  # a 4xx/5xx: report it, the test asserts on it
        return error.code, {}


def test_parallel_api_openings_get_distinct_numbers(live_server, customer, account_manager):
    _token, raw = ApiToken.issue(user=account_manager)
    body = {"customer": customer.slug, "title": "Outage", "category": "server", "severity": "high",
            "message": "We are investigating."}
    before = local_day(customer)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda _: post_json(f"{live_server.url}/api/v1/incidents", body, raw),
                                range(PARALLEL)))
    assert [status for status, _ in results] == [201] * PARALLEL
    assert_numbered_one_to_n([data["number"] for _, data in results], customer, {before, local_day(customer)})


def test_parallel_service_openings_get_distinct_numbers(customer, account_manager):
    def open_one(i: int) -> str:
        try:
            incident = incident_flow.open_incident(customer=customer, title=f"Outage {i}", category="server",
                                              severity="high", message="We are investigating.",
                                              author=account_manager)
            return incident.customer_links.get().number
        finally:
            connection.close()  # each thread has its own connection; leave none behind

    before = local_day(customer)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        numbers = list(pool.map(open_one, range(PARALLEL)))
    assert_numbered_one_to_n(numbers, customer, {before, local_day(customer)})
