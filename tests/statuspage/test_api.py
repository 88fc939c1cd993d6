"""Statuspage v2-compatible JSON under /status/<slug>/api/v2/: shape, enums, content, isolation."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows import incidents as incident_flow
from tests.factories import ComponentFactory
from tests.statuspage.helpers import NOW, maintenance, number, open_incident, resolve
from tests.statuspage.schema import DOCUMENTS, validate

pytestmark = pytest.mark.django_db

SECRET = "SECRET-internal-note-7f3a"


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Everything in these tests happens at NOW unless a test travels elsewhere."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def get_json(client):
    def get(document: str, slug: str = "midsize", **params):
        params.setdefault("lang", "en")
        response = client.get(f"/status/{slug}/api/v2/{document}", params)
        assert response.status_code == 200, response.status_code
        assert response.headers["Content-Type"] == "application/json"
        return json.loads(response.content)

    return get


@pytest.fixture
def internet(customer):
    return ComponentFactory(customer=customer, name="Internet", group="", position=0, description="Fibre line")


@pytest.fixture
def busy_page(customer, incident, internet, file_server, erp, account_manager):
    """Open critical incident, a resolved one, and maintenance windows in every state."""
    old = open_incident(customer, account_manager, title="Slow mail", severity="low",
                        component_statuses={internet: "degraded_performance"})
    resolve(old, account_manager)
    maintenance(customer, title="Upcoming", start=timedelta(days=2), components=[erp])
    maintenance(customer, title="Running", start=timedelta(hours=-1), components=[internet])
    maintenance(customer, title="Done", start=timedelta(days=-3), status="completed",
                completed_at=NOW - timedelta(days=3) + timedelta(hours=1))
    maintenance(customer, title="Called off", start=timedelta(days=1), status="cancelled")


EXPECTED_LENGTHS = {
    "summary.json": {"components": 5, "incidents": 1, "scheduled_maintenances": 2},
    "status.json": {},
    "components.json": {"components": 5},  # Internet, group Applications + ERP, group Servers + File server
    "incidents.json": {"incidents": 2},
    "incidents/unresolved.json": {"incidents": 1},
    "scheduled-maintenances.json": {"scheduled_maintenances": 3},  # not the cancelled one
    "scheduled-maintenances/upcoming.json": {"scheduled_maintenances": 1},
    "scheduled-maintenances/active.json": {"scheduled_maintenances": 1},
}


@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_every_document_has_statuspages_shape(get_json, busy_page, document):
    body = get_json(document)

    validate(body, DOCUMENTS[document])
    assert {key: len(body[key]) for key in EXPECTED_LENGTHS[document]} == EXPECTED_LENGTHS[document]
    assert body["page"] == {
        "id": "midsize", "name": "MidSize Manufacturing BV", "url": "http://127.0.0.1:8000/status/midsize/?lang=en",
        "time_zone": "Europe/Amsterdam", "updated_at": "2025-06-03T14:00:00.000+02:00",
    }


def test_summary_status_and_lists(get_json, busy_page):
    body = get_json("summary.json")

    assert body["status"] == {"indicator": "critical", "description": "Critical outage"}
    assert [i["name"] for i in body["incidents"]] == ["Server outage"]
    assert [m["name"] for m in body["scheduled_maintenances"]] == ["Running", "Upcoming"]
    assert [m["status"] for m in body["scheduled_maintenances"]] == ["in_progress", "scheduled"]


def test_status_description_follows_the_language(get_json, customer):
    assert get_json("status.json")["status"] == {"indicator": "none", "description": "All systems operational"}
    assert get_json("status.json", lang="de")["status"]["description"] != "All systems operational"


def test_groups_are_emulated_as_group_components(get_json, busy_page, file_server, erp, internet):
    components = get_json("components.json")["components"]

    assert [(c["name"], c["group"]) for c in components] == [
        ("Internet", False), ("Applications", True), ("ERP", False), ("Servers", True), ("File server", False)]
    assert [c["position"] for c in components] == [1, 2, 3, 4, 5]
    by_name = {c["name"]: c for c in components}
    assert by_name["Applications"]["components"] == [str(erp.pk)]
    assert by_name["ERP"]["group_id"] == by_name["Applications"]["id"]
    assert by_name["File server"]["group_id"] == by_name["Servers"]["id"]
    assert by_name["Internet"]["group_id"] is None
    assert by_name["Internet"]["description"] == "Fibre line"
    assert by_name["ERP"]["description"] is None
    # A group shows its worst member; the running maintenance puts Internet under maintenance.
    assert by_name["Servers"]["status"] == by_name["File server"]["status"] == "major_outage"
    assert by_name["Applications"]["status"] == "partial_outage"
    assert by_name["Internet"]["status"] == "under_maintenance"


@pytest.mark.parametrize(("severity", "impact"),
                         [("critical", "critical"), ("high", "major"), ("medium", "minor"), ("low", "minor")])
def test_incident_impact_from_severity(get_json, customer, account_manager, severity, impact):
    open_incident(customer, account_manager, severity=severity)

    assert [i["impact"] for i in get_json("incidents.json")["incidents"]] == [impact]


def test_incident_fields(get_json, customer, incident, file_server, erp, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, message="Cause found.",
                                  status="identified", component_statuses={erp: "operational"})
    link = incident.customer_links.get()

    body = get_json("incidents.json")["incidents"][0]

    assert body["id"] == str(link.pk)
    assert body["name"] == "Server outage"
    assert body["status"] == "identified"
    assert body["shortlink"] == f"http://127.0.0.1:8000/status/midsize/incidents/{link.number}/?lang=en"
    assert body["updated_at"] == "2025-06-03T14:00:00.000+02:00"
    assert body["resolved_at"] is None and body["monitoring_at"] is None
    newest, first = body["incident_updates"]
    assert (newest["status"], newest["body"], newest["incident_id"]) == ("identified", "Cause found.", str(link.pk))
    assert newest["affected_components"] == [
        {"code": str(erp.pk), "name": "ERP", "old_status": "partial_outage", "new_status": "operational"}]
    assert first["status"] == "investigating"
    assert {c["code"]: (c["old_status"], c["new_status"]) for c in first["affected_components"]} == {
        str(file_server.pk): ("operational", "major_outage"), str(erp.pk): ("operational", "partial_outage")}
    assert [c["name"] for c in body["components"]] == ["File server", "ERP"]


def test_only_public_updates(get_json, incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, message=SECRET, is_internal=True)
    incident_flow.post_update(incident=incident, author=account_manager, status="identified",
                                  root_cause="ROOTCAUSE-raid")  # a status change without words

    for document in ("summary.json", "incidents.json", "incidents/unresolved.json"):
        body = get_json(document)
        raw = json.dumps(body)
        assert SECRET not in raw and "ROOTCAUSE-raid" not in raw and "anna" not in raw
        assert "Production planning is down." not in raw
        updates = body["incidents"][0]["incident_updates"]
        assert [u["body"] for u in updates] == ["We are investigating an outage of the file server."]


def test_shared_incident_shows_each_customer_its_own(get_json, incident, other_customer, account_manager):
    mail = ComponentFactory(customer=other_customer, name="Mail gateway", group="Cloud")
    incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                                   component_statuses={mail: "partial_outage"})
    ours, theirs = incident.customer_links.get(customer__slug="midsize"), incident.customer_links.get(
        customer=other_customer)

    for document in ("summary.json", "incidents.json", "components.json"):
        raw = json.dumps(get_json(document, "northwind"))
        assert ours.number not in raw and "File server" not in raw and "ERP" not in raw and "MidSize" not in raw
        raw = json.dumps(get_json(document, "midsize"))
        assert theirs.number not in raw and "Mail gateway" not in raw and "Northwind" not in raw

    body = get_json("incidents.json", "northwind")["incidents"][0]
    assert body["id"] == str(theirs.pk)
    # ?lang=en on an English customer's page: its own language, so its links need no ?lang=
    assert body["shortlink"].endswith(f"/status/northwind/incidents/{theirs.number}/")
    assert [c["name"] for c in body["components"]] == ["Mail gateway"]
    # The update that opened the incident changed only midsize's components: none of them shown here.
    assert [u["affected_components"] for u in body["incident_updates"]] == [None]
    assert get_json("incidents.json", "midsize")["incidents"][0]["id"] == str(ours.pk)


def test_timestamps_carry_the_customers_offset(get_json, customer, other_customer, account_manager,
                                               other_account_manager):
    open_incident(customer, account_manager)
    open_incident(other_customer, other_account_manager)
    with time_machine.travel(NOW.replace(month=1), tick=False):
        incident = open_incident(customer, account_manager, title="Winter")

    amsterdam = {i["name"]: i["started_at"] for i in get_json("incidents.json", "midsize")["incidents"]}
    london = get_json("incidents.json", "northwind")["incidents"][0]
    assert amsterdam == {"Printer queue stuck": "2025-06-03T14:00:00.000+02:00",
                         "Winter": "2025-01-03T13:00:00.000+01:00"}
    assert london["started_at"] == "2025-06-03T13:00:00.000+01:00"
    assert number(incident).startswith("MSM-2025-0103")


def test_maintenance_states(get_json, busy_page, customer, erp):
    everything = get_json("scheduled-maintenances.json")["scheduled_maintenances"]

    by_name = {m["name"]: m for m in everything}
    assert set(by_name) == {"Upcoming", "Running", "Done"}
    assert [by_name[n]["status"] for n in ("Upcoming", "Running", "Done")] == ["scheduled", "in_progress", "completed"]
    upcoming = by_name["Upcoming"]
    assert upcoming["impact"] == "maintenance"
    assert upcoming["scheduled_for"] == "2025-06-05T14:00:00.000+02:00"
    assert upcoming["scheduled_until"] == "2025-06-05T16:00:00.000+02:00"
    assert [c["id"] for c in upcoming["components"]] == [str(erp.pk)]
    assert upcoming["id"].startswith("m") and upcoming["shortlink"].endswith(f"#maintenance-{upcoming['id'][1:]}")
    assert [u["status"] for u in by_name["Done"]["incident_updates"]] == ["completed", "in_progress", "scheduled"]
    assert by_name["Done"]["resolved_at"] == "2025-05-31T15:00:00.000+02:00"
    assert [m["name"] for m in get_json("scheduled-maintenances/upcoming.json")["scheduled_maintenances"]] == [
        "Upcoming"]
    assert [m["name"] for m in get_json("scheduled-maintenances/active.json")["scheduled_maintenances"]] == [
        "Running"]


def test_scheduled_window_moves_along_by_the_clock(get_json, customer, erp):
    maintenance(customer, title="Tonight", start=timedelta(hours=2), components=[erp])

    assert [m["status"] for m in get_json("scheduled-maintenances.json")["scheduled_maintenances"]] == ["scheduled"]
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        assert get_json("scheduled-maintenances/active.json")["scheduled_maintenances"][0]["name"] == "Tonight"
        assert get_json("components.json")["components"][1]["status"] == "under_maintenance"
        assert get_json("status.json")["status"]["indicator"] == "none"
    with time_machine.travel(NOW + timedelta(hours=5), tick=False):
        assert [m["status"] for m in get_json("scheduled-maintenances.json")["scheduled_maintenances"]] == [
            "completed"]
        assert get_json("scheduled-maintenances/active.json")["scheduled_maintenances"] == []


def test_page_updated_at_ignores_internal_notes(get_json, customer, account_manager):
    incident = open_incident(customer, account_manager)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        incident_flow.post_update(incident=incident, author=account_manager, message=SECRET, is_internal=True)
    assert get_json("status.json")["page"]["updated_at"] == "2025-06-03T14:00:00.000+02:00"

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        incident_flow.post_update(incident=incident, author=account_manager, message="News.")
    assert get_json("status.json")["page"]["updated_at"] == "2025-06-03T16:00:00.000+02:00"


def test_components_carry_their_own_timestamps(get_json, customer):
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        vpn = ComponentFactory(customer=customer, name="VPN", group="")
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        vpn.description = "Remote access"
        vpn.save()

    [row] = [c for c in get_json("components.json")["components"] if c["name"] == "VPN"]
    assert row["created_at"] == "2025-05-31T14:00:00.000+02:00"
    assert row["updated_at"] == "2025-06-02T14:00:00.000+02:00"


def test_public_json_is_readable_cross_origin_and_briefly_cacheable(client, customer):
    response = client.get("/status/midsize/api/v2/summary.json")

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {v.strip() for v in response.headers["Cache-Control"].split(",")} == {"public", "max-age=30"}
    assert "X-Robots-Tag" not in response.headers


def test_unknown_page_and_methods(client, customer):
    assert client.get("/status/nobody/api/v2/summary.json").status_code == 404
    assert client.post("/status/midsize/api/v2/summary.json").status_code == 405


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("document", ["summary.json", "incidents.json", "scheduled-maintenances.json"])
def test_query_count_does_not_grow(client, customer, file_server, erp, account_manager, document):
    def add(n):
        incident = open_incident(customer, account_manager, title=f"Outage {n}",
                                 component_statuses={file_server: "partial_outage", erp: "degraded_performance"})
        incident_flow.post_update(incident=incident, author=account_manager, message=f"Update {n}.")
        maintenance(customer, title=f"Window {n}", start=timedelta(days=n - 5), components=[file_server, erp],
                    now=incident.started_at)

    url = f"/status/midsize/api/v2/{document}"
    add(0)
    one = _queries(client, url)
    for n in range(1, 10):
        add(n)
    ten = _queries(client, url)

    assert one == ten
    # customer; maintenance windows + their components; components; incident links, public updates, affected
    # components, component changes; component and page timestamps
    assert ten <= 10
