"""``GET /api/v1/audit``: read-only, managers only (403 for account managers, 401 without a
token), filtered and paged, in the OpenAPI document."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from api.models import ApiToken
from audit import services as audit
from audit.models import Action, AuditEvent
from tests.audit.conftest import IP

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit"


def bearer(user, **options) -> dict:
    return {"Authorization": f"Bearer {ApiToken.issue(user=user, **options)[1]}"}


@pytest.fixture
def history(incident, other_customer, manager):
    audit.record(action=Action.CONTRACT_CHANGED, actor=manager, actor_ip=IP, customer=other_customer,
                 target=other_customer, before={"cadence_low_minutes": 240}, after={"cadence_low_minutes": 480})
    return incident


def test_a_manager_reads_the_trail_newest_first(client, manager, history, other_customer):
    response = client.get(URL, headers=bearer(manager, scope="read"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and (body["limit"], body["offset"]) == (50, 0)
    contract, opened = body["items"]
    assert contract == {
        "id": contract["id"], "at": contract["at"], "actor": "maria", "actor_ip": IP, "action": "contract.changed",
        "action_label": "Contract terms changed", "customer": "northwind", "incident": None,
        "object_type": "incidents.customer", "object_id": str(other_customer.pk), "object": "Northwind Ltd",
        "before": {"cadence_low_minutes": 240}, "after": {"cadence_low_minutes": 480}, "detail": "",
    }
    assert opened["action"] == "incident.opened" and opened["incident"] == history.first_link.number
    assert opened["actor"] == "anna" and opened["customer"] == "midsize"


def test_filters_and_paging(client, manager, history):
    headers = bearer(manager)
    number = history.first_link.number
    assert [i["action"] for i in client.get(URL, {"customer": "northwind"}, headers=headers).json()["items"]] == [
        "contract.changed"]
    assert [i["action"] for i in client.get(URL, {"incident": number}, headers=headers).json()["items"]] == [
        "incident.opened"]
    assert client.get(URL, {"action": "incident.opened"}, headers=headers).json()["count"] == 1
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert client.get(URL, {"since": future}, headers=headers).json()["count"] == 0
    assert client.get(URL, {"until": future}, headers=headers).json()["count"] == 2
    assert client.get(URL, {"since": "2020-01-01T00:00:00"}, headers=headers).json()["count"] == 2  # naive: UTC
    page = client.get(URL, {"limit": 1, "offset": 1}, headers=headers).json()
    assert page["count"] == 2 and [i["action"] for i in page["items"]] == ["incident.opened"]


@pytest.mark.parametrize("params,name", [({"customer": "nobody"}, "customer"), ({"incident": "NOPE-1"}, "incident"),
                                         ({"action": "incident.deleted"}, "action"), ({"since": "soon"}, "since"),
                                         ({"limit": 0}, "limit")])
def test_bad_filters_are_422_naming_the_parameter(client, manager, history, params, name):
    response = client.get(URL, params, headers=bearer(manager))
    assert response.status_code == 422
    assert any(error["loc"][-1] == name for error in response.json()["detail"]), response.json()


def test_account_managers_get_403_and_anonymous_401(client, account_manager, history):
    response = client.get(URL, headers=bearer(account_manager))
    assert response.status_code == 403 and response.json() == {"detail": "Only managers may read the audit trail."}
    assert Client().get(URL).status_code == 401


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only(client, manager, history, method):
    response = getattr(client, method)(URL, {}, content_type="application/json", headers=bearer(manager))
    assert response.status_code == 405
    assert AuditEvent.objects.count() == 2


def test_documented_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    operations = schema["paths"]["/api/v1/audit"]
    assert set(operations) == {"get"}
    parameters = {parameter["name"] for parameter in operations["get"]["parameters"]}
    assert {"customer", "incident", "action", "since", "until", "limit", "offset"} <= parameters
    assert "AuditEventOut" in schema["components"]["schemas"]
