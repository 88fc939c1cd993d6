"""The JSON API under /api/v1/: the happy paths, who may see what, and bad input.

Every request goes through Django's test client with CSRF checks on, as in production,
so a passing POST also proves the API needs no CSRF token. Every bad-input test checks
the status, that the offending field is named, and that nothing was written.
"""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiToken
from console.forms.incident import IncidentOpenForm, IncidentUpdateForm
from flows import incidents as incident_flow
from incidents.bounds import MAX_LONG_TEXT, MAX_MESSAGE, MAX_SHORT_TEXT, MAX_TITLE
from incidents.models import (
    AffectedComponent,
    Component,
    ComponentChange,
    CustomerIncident,
    Incident,
    IncidentNumberCounter,
    IncidentUpdate,
)
from tests.factories import ComponentFactory, UserFactory

API = "/api/v1"
NUMBER = re.compile(r"^MSM-\d{4}-\d{4}-\d{3}$")


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any):
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: Any):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(API + path, data, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_as(db) -> Callable[..., ApiClient]:
    def _api_as(user=None) -> ApiClient:
        return ApiClient(ApiToken.issue(user=user)[1] if user else None)

    return _api_as


@pytest.fixture
def api(api_as, account_manager) -> ApiClient:
    return api_as(account_manager)


@pytest.fixture
def number(incident, customer) -> str:
    return incident.customer_links.get(customer=customer).number


@pytest.fixture
def mail(other_customer) -> Component:
    return ComponentFactory(customer=other_customer, name="Mail")


@pytest.fixture
def shared_incident(incident, other_customer, mail, manager) -> Incident:
    """The fixture incident also hitting Northwind (an upstream outage)."""
    incident_flow.add_customer(incident=incident, customer=other_customer, author=manager,
                                   component_statuses={mail: "degraded_performance"})
    return incident


def open_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "customer": "midsize",
        "title": "Mail is down",
        "category": "email",
        "severity": "high",
        "impact": "Sales cannot reply to customers.",
        "components": [{"name": "File server", "status": "partial_outage"}],
        "message": "We are looking into failing e-mail delivery.",
    }
    return body | overrides


def db_state() -> tuple:
    """Everything an API call could write, to prove that a refused call wrote nothing."""
    return (
        list(Incident.objects.order_by("pk").values()),
        list(Component.objects.order_by("pk").values_list("status", flat=True)),
        list(IncidentNumberCounter.objects.order_by("pk").values_list("last", flat=True)),
        *(model.objects.count() for model in (CustomerIncident, IncidentUpdate, AffectedComponent, ComponentChange)),
    )


@contextmanager
def nothing_written() -> Iterator[None]:
    before = db_state()
    yield
    assert db_state() == before


def assert_field_error(response, loc: tuple, status: int = 422) -> None:
    assert response.status_code == status, response.content
    assert tuple(loc) in [tuple(error["loc"]) for error in response.json()["detail"]], response.json()


# --- authentication and permissions ------------------------------------------------

ENDPOINTS = [
    ("get", "/incidents"),
    ("get", "/incidents/{number}"),
    ("post", "/incidents"),
    ("post", "/incidents/{number}/updates"),
    ("post", "/incidents/{number}/reopen"),
]


def call(api: ApiClient, method: str, path: str, number: str):
    path = path.format(number=number)
    return api.get(path) if method == "get" else api.post(path, {"message": "x"})


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_token(method, path, number):
    with nothing_written():
        response = call(ApiClient(None), method, path, number)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


@pytest.mark.parametrize("header", ["Bearer kalm_not-a-real-token", "Bearer ", "Token abc", "kalm_x"])
def test_unknown_or_malformed_token_is_401(header, number):
    response = Client().get(f"{API}/incidents/{number}", headers={"Authorization": header})
    assert response.status_code == 401


def test_inactive_user_is_refused(api_as, account_manager, number):
    api = api_as(account_manager)
    account_manager.is_active = False
    account_manager.save()
    assert api.get(f"/incidents/{number}").status_code == 401


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_user_without_customers_is_403(api_as, method, path, number):
    with nothing_written():
        response = call(api_as(UserFactory(username="nobody")), method, path, number)
    assert response.status_code == 403
    assert "MSP staff" in response.json()["detail"]


def test_token_use_is_recorded(api_as, account_manager):
    api = api_as(account_manager)
    token = ApiToken.objects.get(user=account_manager)
    assert token.last_used_at is None
    assert api.get("/incidents").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_browser_session_is_not_an_api_credential(client, account_manager, number):
    """Only bearer tokens authenticate, which is why the API can skip CSRF safely."""
    client.force_login(account_manager)
    with nothing_written():
        response = client.post(f"{API}/incidents", open_body(), content_type="application/json")
    assert response.status_code == 401


def test_other_account_manager_gets_404_like_a_missing_incident(api_as, other_account_manager, number):
    api = api_as(other_account_manager)
    invisible = api.get(f"/incidents/{number}")
    missing = api.get("/incidents/MSM-2000-0101-999")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json() == missing.json()
    with nothing_written():
        assert api.post(f"/incidents/{number}/updates", {"message": "hello"}).status_code == 404
        assert api.post(f"/incidents/{number}/reopen", {"message": "hello"}).status_code == 404
    assert api.get("/incidents").json()["count"] == 0


def test_other_account_manager_cannot_open_for_a_customer_not_theirs(api_as, other_account_manager, customer):
    api = api_as(other_account_manager)
    with nothing_written():
        invisible = api.post("/incidents", open_body(components=[]))
        missing = api.post("/incidents", open_body(customer="no-such-customer", components=[]))
    assert_field_error(invisible, ("body", "customer"))
    assert invisible.json()["detail"][0]["msg"] == "Unknown customer: midsize"
    assert missing.json()["detail"][0]["msg"] == "Unknown customer: no-such-customer"


def test_manager_sees_and_acts_on_every_customer(api_as, manager, number, other_customer):
    api = api_as(manager)
    assert api.get(f"/incidents/{number}").status_code == 200
    response = api.post("/incidents", open_body(customer="northwind", components=[]))
    assert response.status_code == 201
    assert response.json()["number"].startswith("NWL-")
    assert api.get("/incidents").json()["count"] == 2


# --- opening -------------------------------------------------------------------------


def soon() -> datetime:
    """An ETA a month from now (ETAs must lie within the coming year), to the second."""
    return (timezone.now() + timedelta(days=30)).replace(microsecond=0)


def test_open_incident(api, customer, file_server, erp, account_manager):
    eta = soon()
    body = open_body(
        components=[{"name": "File server", "status": "partial_outage"}, {"id": erp.pk, "status": "major_outage"}],
        eta=eta.astimezone(timezone.get_fixed_timezone(120)).isoformat(), workaround="Use webmail.",
        detected_by="client",
        personal_data_involved=True, status="identified",
    )
    response = api.post("/incidents", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert NUMBER.match(data["number"])
    assert data["numbers"] == [{"number": data["number"], "customer": "midsize"}]
    assert (data["title"], data["status"], data["severity"], data["category"]) == (
        "Mail is down", "identified", "high", "email")
    assert data["impact"] == "Sales cannot reply to customers."
    assert data["eta"] == f"{eta:%Y-%m-%dT%H:%M:%S}Z"
    assert data["identified_at"] is not None
    assert (data["workaround"], data["detected_by"], data["personal_data_involved"]) == ("Use webmail.", "client", True)
    assert {(c["name"], c["status"]) for c in data["components"]} == {
        ("File server", "partial_outage"), ("ERP", "major_outage")}
    [opened] = data["updates"]
    assert (opened["kind"], opened["author"], opened["internal"]) == ("opened", "anna", False)
    assert opened["message"] == body["message"]

    link = CustomerIncident.objects.get(number=data["number"])
    assert link.customer == customer
    assert link.incident.created_by == account_manager
    file_server.refresh_from_db()
    assert file_server.status == "partial_outage"


def test_open_incident_defaults(api, customer):
    response = api.post("/incidents", open_body(components=[]))
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["detected_by"], data["personal_data_involved"]) == ("investigating", "msp", False)
    assert data["eta"] is None
    assert data["next_update_due_at"] is not None
    assert data["components"] == []


def test_tabs_and_line_breaks_are_not_control_characters_to_refuse(api, customer):
    message = "First line.\r\nSecond line:\tindented.\n"
    response = api.post("/incidents", open_body(components=[], message=message))
    assert response.status_code == 201, response.content
    assert response.json()["updates"][0]["message"] == message.strip()


def test_text_caps_are_the_console_forms_caps():
    """A text the API lets through must fit the console's form, which sends it back on every update."""
    update = IncidentUpdateForm.base_fields
    assert IncidentOpenForm.base_fields["title"].max_length == MAX_TITLE
    assert update["workaround"].max_length == update["business_impact"].max_length == MAX_SHORT_TEXT
    assert update["root_cause"].max_length == update["resolution_summary"].max_length == MAX_LONG_TEXT
    assert IncidentOpenForm.base_fields["message"].max_length == update["message"].max_length == MAX_MESSAGE


def test_numbers_count_up_per_customer_and_day(api, customer):
    numbers = [api.post("/incidents", open_body(components=[])).json()["number"] for _ in range(3)]
    assert [n[-3:] for n in numbers] == ["001", "002", "003"]
    assert len({n[:-3] for n in numbers}) == 1


LONG = "x" * (MAX_MESSAGE + 1)


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"title": None}, ("body", "title")),
        ({"title": 123}, ("body", "title")),
        ({"title": "   "}, ("body", "title")),
        ({"title": "x" * 201}, ("body", "title")),
        ({"title": "bad\x00title"}, ("body", "title")),
        ({"title": "Mail\x01down"}, ("body", "title")),  # would break the status page's RSS and Atom feeds
        ({"message": "Word's line break:\x0bhere"}, ("body", "message")),
        ({"impact": "escape \x1b[31m"}, ("body", "impact")),
        ({"category": "plumbing"}, ("body", "category")),
        ({"severity": "catastrophic"}, ("body", "severity")),
        ({"severity": None}, ("body", "severity")),
        ({"status": "bogus"}, ("body", "status")),
        ({"status": "resolved"}, ("body", "status")),  # refused by the service
        ({"message": "   "}, ("body", "message")),  # refused by the service
        ({"message": LONG}, ("body", "message")),
        ({"impact": LONG}, ("body", "impact")),
        ({"impact": "x" * (MAX_SHORT_TEXT + 1)}, ("body", "impact")),
        ({"workaround": "x" * (MAX_SHORT_TEXT + 1)}, ("body", "workaround")),
        ({"impact": ["a list"]}, ("body", "impact")),
        ({"customer": "no-such-customer"}, ("body", "customer")),
        ({"customer": "bad\x00slug"}, ("body", "customer")),
        ({"customer": {"slug": "midsize"}}, ("body", "customer")),
        ({"components": "File server"}, ("body", "components")),
        ({"components": [{"name": "Printer", "status": "major_outage"}]}, ("body", "components")),
        ({"components": [{"name": "Mail", "status": "major_outage"}]}, ("body", "components")),  # Northwind's
        ({"components": [{"id": 10**30, "status": "major_outage"}]}, ("body", "components", 0, "id")),
        ({"components": [{"name": "File server", "status": "on_fire"}]}, ("body", "components", 0, "status")),
        ({"components": [{"name": "File server"}]}, ("body", "components", 0, "status")),
        ({"components": [{"status": "major_outage"}]}, ("body", "components", 0)),
        ({"components": [{"id": 1, "name": "File server", "status": "major_outage"}]}, ("body", "components", 0)),
        ({"components": [{"name": "File server", "status": "major_outage", "colour": "red"}]},
         ("body", "components", 0, "colour")),
        ({"components": [{"name": "File server", "status": "major_outage"},
                         {"name": "File server", "status": "operational"}]}, ("body", "components")),
        ({"eta": "2030-06-01T16:00:00"}, ("body", "eta")),  # no offset
        ({"eta": "tomorrow"}, ("body", "eta")),
        ({"eta": "9999-12-31T23:00:00-05:00"}, ("body", "eta")),  # past year 9999 in UTC
        ({"detected_by": "robot"}, ("body", "detected_by")),
        ({"personal_data_involved": "maybe"}, ("body", "personal_data_involved")),
        ({"titel": "typo"}, ("body", "titel")),
    ],
)
def test_open_rejects_bad_input(api, file_server, mail, overrides, loc):
    with nothing_written():
        response = api.post("/incidents", open_body(**overrides))
    assert_field_error(response, loc)


def test_open_component_of_another_customer_by_id(api, file_server, mail):
    with nothing_written():
        response = api.post("/incidents", open_body(components=[{"id": mail.pk, "status": "major_outage"}]))
    assert_field_error(response, ("body", "components"))
    assert f"#{mail.pk}" in response.json()["detail"][0]["msg"]


def test_open_same_component_by_name_and_id(api, file_server):
    refs = [{"name": "File server", "status": "major_outage"}, {"id": file_server.pk, "status": "operational"}]
    with nothing_written():
        response = api.post("/incidents", open_body(components=refs))
    assert_field_error(response, ("body", "components"))
    assert "listed twice" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"title": "unterminated', 400),
        (b'{"title": "\xff"}', 400),  # not UTF-8
        ("[" * 100_000, 400),  # nested beyond the parser's recursion limit
        ("", 422),
        ("null", 422),
        ("[]", 422),
        ('"Mail is down"', 422),
        ("42", 422),
    ],
)
def test_open_rejects_a_body_that_is_not_an_object(api, customer, body, status):
    with nothing_written():
        response = api.post("/incidents", body)
    assert_field_error(response, ("body",), status=status)


def test_open_rejects_a_body_too_large(api, customer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    with nothing_written():
        response = api.post("/incidents", open_body(impact="x" * 2000, components=[]))
    assert_field_error(response, ("body",), status=413)


# --- reading -------------------------------------------------------------------------


def test_get_incident(api, incident, number, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, message="Disk array replaced.",
                                  is_internal=True)
    response = api.get(f"/incidents/{number}")
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == number
    assert data["numbers"] == [{"number": number, "customer": "midsize"}]
    assert (data["title"], data["severity"], data["status"]) == ("Server outage", "critical", "investigating")
    assert data["impact"] == "Production planning is down."
    assert data["reopen_count"] == 0
    assert data["started_at"].endswith("Z")
    assert data["next_update_due_at"].endswith("Z")
    assert {(c["name"], c["customer"], c["status"]) for c in data["components"]} == {
        ("File server", "midsize", "major_outage"), ("ERP", "midsize", "partial_outage")}
    note, opened = data["updates"]
    assert (note["kind"], note["internal"], note["message"]) == ("note", True, "Disk array replaced.")
    assert (opened["kind"], opened["author"]) == ("opened", "anna")
    assert {(c["name"], c["previous_status"], c["status"]) for c in opened["component_changes"]} == {
        ("File server", None, "major_outage"), ("ERP", None, "partial_outage")}


def test_shared_incident_shows_only_the_callers_customers(api_as, account_manager, other_account_manager,
                                                         manager, shared_incident, number):
    other_number = shared_incident.customer_links.get(customer__slug="northwind").number

    mine = api_as(account_manager).get(f"/incidents/{number}").json()
    assert [n["customer"] for n in mine["numbers"]] == ["midsize"]
    assert {c["customer"] for c in mine["components"]} == {"midsize"}
    assert all(c["customer"] == "midsize" for u in mine["updates"] for c in u["component_changes"])
    assert api_as(account_manager).get(f"/incidents/{other_number}").status_code == 404

    theirs = api_as(other_account_manager).get(f"/incidents/{other_number}").json()
    assert theirs["number"] == other_number
    assert [n["customer"] for n in theirs["numbers"]] == ["northwind"]
    assert [c["name"] for c in theirs["components"]] == ["Mail"]

    everything = api_as(manager).get(f"/incidents/{number}").json()
    assert {n["customer"] for n in everything["numbers"]} == {"midsize", "northwind"}


def count_queries(path: str, api: ApiClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return len(queries)


def test_reads_take_a_fixed_number_of_queries(api, customer, incident, number, account_manager):
    api.get("/incidents")  # the first call records the token's use; later calls within a minute do not
    before = count_queries("/incidents", api), count_queries(f"/incidents/{number}", api)
    for i in range(3):
        component = ComponentFactory(customer=customer, name=f"Printer {i}")
        incident_flow.open_incident(customer=customer, title="Another", category="other", severity="low",
                               message="Looking into it.", author=account_manager,
                               component_statuses={component: "major_outage"})
        incident_flow.post_update(incident=incident, author=account_manager,
                                      component_statuses={component: "partial_outage"})
    assert (count_queries("/incidents", api), count_queries(f"/incidents/{number}", api)) == before


@pytest.mark.parametrize("bad_number", ["not a number", "x" * 33, "MSM_2025"])
def test_get_rejects_a_malformed_number(api, bad_number):
    assert_field_error(api.get(f"/incidents/{bad_number}"), ("path", "number"))


@pytest.fixture
def three_incidents(api, customer, account_manager) -> list[str]:
    """Oldest first; the last one is resolved."""
    numbers = [api.post("/incidents", open_body(title=f"Incident {i}", components=[])).json()["number"]
               for i in range(3)]
    incident = CustomerIncident.objects.get(number=numbers[-1]).incident
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    return numbers


@pytest.mark.parametrize(
    ("status", "expected"), [(None, [2, 1, 0]), ("all", [2, 1, 0]), ("open", [1, 0]), ("resolved", [2])]
)
def test_list_filters_by_status(api, three_incidents, status, expected):
    params = {"status": status} if status else {}
    data = api.get("/incidents", **params).json()
    assert [item["number"] for item in data["items"]] == [three_incidents[i] for i in expected]
    assert data["count"] == len(expected)


def test_list_paginates(api, three_incidents):
    first = api.get("/incidents", limit=2).json()
    rest = api.get("/incidents", limit=2, offset=2).json()
    assert (first["count"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [i["number"] for i in first["items"] + rest["items"]] == three_incidents[::-1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**20}, "offset"),
        ({"stauts": "open"}, "stauts"),  # a typo would otherwise list every incident
    ],
)
def test_list_rejects_bad_parameters(api, params, field):
    assert_field_error(api.get("/incidents", **params), ("query", field))


# --- updates and reopening ---------------------------------------------------------


def test_post_update(api, incident, number, erp):
    eta = soon()
    body = {"status": "identified", "severity": "high", "message": "The disk array failed; replacing it.",
            "components": [{"name": "ERP", "status": "operational"}],
            "eta": eta.astimezone(timezone.get_fixed_timezone(60)).isoformat(),
            "workaround": "Use the backup share.", "root_cause": "Disk array failure."}
    response = api.post(f"/incidents/{number}/updates", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["update"]["kind"], data["update"]["status"], data["update"]["author"]) == ("update", "identified",
                                                                                            "anna")
    assert data["update"]["component_changes"] == [
        {"id": erp.pk, "name": "ERP", "customer": "midsize", "previous_status": "partial_outage",
         "status": "operational"}]
    assert (data["incident"]["number"], data["incident"]["status"], data["incident"]["severity"]) == (
        number, "identified", "high")
    assert data["incident"]["eta"] == f"{eta:%Y-%m-%dT%H:%M:%S}Z"
    incident.refresh_from_db()
    assert (incident.workaround, incident.root_cause) == ("Use the backup share.", "Disk array failure.")
    erp.refresh_from_db()
    assert erp.status == "operational"


def test_post_internal_note(api, incident, number):
    response = api.post(f"/incidents/{number}/updates", {"message": "Vendor ticket 4711.", "internal": True})
    assert response.status_code == 201
    assert (response.json()["update"]["kind"], response.json()["update"]["internal"]) == ("note", True)
    assert IncidentUpdate.objects.get(pk=response.json()["update"]["id"]).is_internal


def test_resolve_and_reopen(api, incident, number, file_server):
    resolved = api.post(f"/incidents/{number}/updates", {"status": "resolved", "message": "Disks replaced."})
    assert resolved.status_code == 201
    assert resolved.json()["incident"]["status"] == "resolved"
    assert resolved.json()["incident"]["resolved_at"] is not None

    reopened = api.post(f"/incidents/{number}/reopen", {"message": "The file server failed again."})
    assert reopened.status_code == 201, reopened.content
    assert reopened.json()["update"]["kind"] == "reopened"
    assert reopened.json()["incident"]["status"] == "investigating"
    assert api.get(f"/incidents/{number}").json()["reopen_count"] == 1


def test_shared_incident_update_cannot_touch_invisible_components(api, shared_incident, number, mail):
    with nothing_written():
        response = api.post(f"/incidents/{number}/updates",
                            {"message": "x", "components": [{"id": mail.pk, "status": "operational"}]})
    assert_field_error(response, ("body", "components"))


def test_update_names_a_component_shared_by_two_customers_ambiguous(api_as, manager, shared_incident, number,
                                                                     other_customer):
    ComponentFactory(customer=other_customer, name="ERP")
    with nothing_written():
        response = api_as(manager).post(f"/incidents/{number}/updates",
                                        {"components": [{"name": "ERP", "status": "operational"}]})
    assert_field_error(response, ("body", "components"))
    assert "use its id" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ("body", "message")),  # says nothing
        ({"message": "note", "internal": True, "status": "identified"}, ("body", "internal")),  # service's is_internal
        ({"message": "", "internal": True}, ("body", "message")),
        ({"internal": "perhaps", "message": "x"}, ("body", "internal")),
        ({"internl": True, "message": "x"}, ("body", "internl")),  # a typo must not publish a note
        ({"status": "fixed", "message": "x"}, ("body", "status")),
        ({"severity": "urgent", "message": "x"}, ("body", "severity")),
        ({"status": "resolved"}, ("body", "message")),  # resolving needs a message
        ({"components": [{"name": "Mail", "status": "operational"}]}, ("body", "components")),  # not on the incident
        ({"components": [{"name": "ERP", "status": "broken"}]}, ("body", "components", 0, "status")),
        ({"eta": "2030-01-01 12:00"}, ("body", "eta")),
        ({"root_cause": 42, "message": "x"}, ("body", "root_cause")),
        ({"resolution_summary": "x\x00", "message": "x"}, ("body", "resolution_summary")),
        ({"workaround": "bell\x07"}, ("body", "workaround")),
        ({"workaround": LONG}, ("body", "workaround")),
        ({"workaround": "x" * (MAX_SHORT_TEXT + 1)}, ("body", "workaround")),
        ({"root_cause": "x" * (MAX_LONG_TEXT + 1)}, ("body", "root_cause")),
        ({"resolution_summary": "x" * (MAX_LONG_TEXT + 1)}, ("body", "resolution_summary")),
    ],
)
def test_update_rejects_bad_input(api, number, mail, body, loc):
    with nothing_written():
        response = api.post(f"/incidents/{number}/updates", body)
    assert_field_error(response, loc)


def test_update_on_a_resolved_incident_is_refused(api, incident, number, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    with nothing_written():
        response = api.post(f"/incidents/{number}/updates", {"message": "More news."})
    assert_field_error(response, ("body", "status"))


@pytest.mark.parametrize(
    ("body", "loc"), [({"message": "Again."}, ("body", "status")), ({}, ("body", "message")),
                      ({"message": 7}, ("body", "message"))]
)
def test_reopen_rejects_bad_input(api, number, body, loc):
    """The incident is still open, so even a well-formed reopen is refused."""
    with nothing_written():
        response = api.post(f"/incidents/{number}/reopen", body)
    assert_field_error(response, loc)


def test_reopen_needs_a_message(api, incident, number, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    with nothing_written():
        response = api.post(f"/incidents/{number}/reopen", {"message": "  "})
    assert_field_error(response, ("body", "message"))


# --- the schema ----------------------------------------------------------------------


def test_openapi_schema_is_public_and_complete(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert operations == {
        ("get", "/api/v1/incidents"), ("post", "/api/v1/incidents"), ("get", "/api/v1/incidents/{number}"),
        ("post", "/api/v1/incidents/{number}/updates"), ("post", "/api/v1/incidents/{number}/reopen"),
        ("get", "/api/v1/incidents/{number}/report.pdf"), ("get", "/api/v1/audit"),
        ("get", "/api/v1/customers/{slug}/service-reports/{month}.pdf"),
    }
    assert {s["scheme"] for s in schema["components"]["securitySchemes"].values()} == {"bearer"}


def test_swagger_page_is_off_because_the_csp_forbids_it(client):
    assert client.get(f"{API}/docs").status_code == 404


def test_token_use_is_recorded_at_most_once_a_minute(api, account_manager):
    from api.models import ApiToken

    api.get("/incidents")
    first = ApiToken.objects.get(user=account_manager).last_used_at
    api.get("/incidents")
    assert first is not None and ApiToken.objects.get(user=account_manager).last_used_at == first
