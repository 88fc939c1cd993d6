"""A bounded schemathesis run against the API (issue 11): every operation of the OpenAPI document,
with valid (positive) and invalid (negative, fuzzed) requests, as an account manager with a write
token, a customer of her own and an incident shared with another customer.

No answer may be a server error, and every answer must be one the document declares, in its
content type and schema. The budget is fixed so the run is repeatable and short: a seed, derandomized
generation, ``MAX_EXAMPLES`` per operation and mode, a deadline per request; the whole run stays well
under two minutes on a two-core machine (``test_the_run_kept_its_budget``).

The requests go through Django's WSGI handler in the test's own thread, so they see the test's
database transaction; the fixture's incident numbers and customer slug are mixed into the
generated requests (``with_real_values``) so the fuzzing reaches past "no such incident".
"""

import time
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import ApiToken
from api.root import api
from flows import incidents as incident_flow
from incidents.models import Incident, Status
from kalm.wsgi import application
from tests.factories import ComponentFactory

SEED = 11_2026
MAX_EXAMPLES = 100  # per operation and generation mode (positive, negative)
DEADLINE = timedelta(seconds=5)  # per request; the slowest seen is far below it


@schemathesis.check
def refusals_are_json(ctx, response, case) -> bool | None:
    """Every refusal is ``{"detail": …}`` in JSON, the ones no operation declares (405) included."""
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.headers
        assert "detail" in response.json(), response.text
    return None


CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, refusals_are_json]

pytestmark = pytest.mark.schemathesis

RUN = {"requests": 0, "started": 0.0, "seconds": 0.0, "answers": Counter()}


@pytest.fixture
def shared_incident(incident, other_customer, manager):
    """MidSize's incident, also hitting Northwind; the caller manages only MidSize."""
    mail = ComponentFactory(customer=other_customer, name="Mail")
    incident_flow.add_customer(incident=incident, customer=other_customer, author=manager,
                               component_statuses={mail: "degraded_performance"})
    return incident


@pytest.fixture(autouse=True)
def _connection_kept_open():
    """Django's WSGI handler closes the database connection after each request, which on PostgreSQL
    ends the test's transaction; Django's own test client holds these signals off the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(account_manager) -> dict[str, str]:
    return {"Authorization": f"Bearer {ApiToken.issue(user=account_manager, scope='write')[1]}"}


# The document as the API serves it at /api/v1/openapi.json; the requests go to Django's WSGI handler.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
}))
schema.app = application


def with_real_values(case, numbers: list[str]) -> None:
    """Two in three generated incident numbers, customers and ETAs become real ones, so the requests
    reach past "no such incident": her incident's number, or the number its other customer has (a 404
    for her); her customer; an ETA tomorrow. Only in parts generated valid: the invalid stay invalid."""
    number = case.path_parameters.get("number") if case.path_parameters else None
    if _positive(case, ParameterLocation.PATH) and isinstance(number, str) and (pick := _pick(number)) < 2:
        case.path_parameters = {**case.path_parameters, "number": numbers[pick]}
    if not _positive(case, ParameterLocation.BODY) or not isinstance(case.body, dict):
        return
    body = dict(case.body)
    if isinstance(body.get("customer"), str) and _pick(body["customer"]) < 2:
        body["customer"] = "midsize"
    if isinstance(body.get("eta"), str) and _pick(body["eta"]) < 2:  # generated ETAs are rarely within the year
        body["eta"] = (timezone.now() + timedelta(days=1 + _pick(body["eta"]))).isoformat()
    case.body = body


def _positive(case, location: ParameterLocation) -> bool:
    return case.meta is None or not case.meta.is_negative_at(location)


def _pick(value: str) -> int:
    """0, 1 or 2, the same for the same value (the run stays repeatable)."""
    return sum(map(ord, value)) % 3


def ready_for(case, incident: Incident, author) -> None:
    """An update needs the incident open, a reopening needs it resolved: set it so before each request."""
    status = Incident.objects.values_list("status", flat=True).get(pk=incident.pk)
    if case.path.endswith("/reopen") and status != Status.RESOLVED:
        incident_flow.post_update(incident=incident, author=author, status=Status.RESOLVED, message="Fixed.")
    elif case.path.endswith("/updates") and status == Status.RESOLVED:
        incident_flow.reopen(incident=incident, author=author, message="It is back.")


@schema.parametrize()
@settings(deadline=DEADLINE, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_request_as_documented(case, shared_incident, account_manager, bearer):
    RUN["started"] = RUN["started"] or time.monotonic()
    with_real_values(case, list(shared_incident.customer_links.values_list("number", flat=True)))
    ready_for(case, shared_incident, account_manager)
    # Her token, unless the case is about the header: a missing or broken one must be refused (401).
    headers = bearer if _positive(case, ParameterLocation.HEADER) else None
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    RUN["answers"][f"{case.method} {case.path} {response.status_code}"] += 1
    RUN["requests"] += 1
    RUN["seconds"] = time.monotonic() - RUN["started"]


def test_the_run_got_past_the_refusals():
    """The generated requests did real work, not only 4xx: writes were accepted and reads answered.
    Prints what the run did (requests, time, answers) for the closing note's figures."""
    print(f"\nschemathesis: {RUN['requests']} requests in {RUN['seconds']:.1f} s")  # noqa: T201
    for answer, count in sorted(RUN["answers"].items()):
        print(f"  {answer}: {count}")  # noqa: T201
    if not RUN["requests"]:
        pytest.skip("the schemathesis run above did not run in this session")
    accepted = {answer.rsplit(" ", 1)[0] for answer, count in RUN["answers"].items()
                if count and answer.rsplit(" ", 1)[1] in {"200", "201", "202"}}
    assert {"POST /api/v1/incidents", "POST /api/v1/incidents/{number}/updates", "GET /api/v1/incidents",
            "GET /api/v1/incidents/{number}"} <= accepted, sorted(accepted)
