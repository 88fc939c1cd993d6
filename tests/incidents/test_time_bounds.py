"""Sane times (issue 11, finding 4): an ETA between now and a year ahead, a postponed update at
most a year ahead, a start at most a year back, a maintenance window inside the coming year.

The services enforce them, so the console and the API answer the same 422 naming the field;
the console's date fields read any date typed, however odd (0001-01-01, 9999-12-31), without
an OverflowError, and the incident page keeps working.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from api.models import ApiToken
from flows import incidents as incident_flow
from incidents import cadence
from incidents.bounds import AHEAD, BACK
from incidents.models import Incident, Maintenance

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
TOMORROW = T0 + timedelta(days=1)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def bearer(account_manager) -> dict[str, str]:
    return {"Authorization": f"Bearer {ApiToken.issue(user=account_manager)[1]}"}


def api_post(client, path: str, body: dict, headers: dict):
    return client.post(f"/api/v1{path}", body, content_type="application/json", headers=headers)


def api_error_locs(response) -> list[tuple]:
    return [tuple(error["loc"]) for error in response.json()["detail"]]


def open_body(**overrides):
    return {"customer": "midsize", "title": "Mail is down", "category": "email", "severity": "high",
            "message": "We are looking into it."} | overrides


def open_form(customer, **overrides):
    return {"customer": customer.pk, "title": "Mail is down", "category": "email", "severity": "high",
            "status": "investigating", "detected_by": "msp", "message": "We are on it.",
            "send_with_missing_languages": "on"} | overrides


# --- the services --------------------------------------------------------------------------------------


@pytest.mark.parametrize("eta", [T0 - timedelta(hours=1), T0 + AHEAD + timedelta(minutes=1),
                                 datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)])
def test_open_refuses_an_eta_in_the_past_or_beyond_a_year(customer, eta):
    with pytest.raises(ValidationError) as refused:
        incident_flow.open_incident(customer=customer, title="Mail", category="email", severity="high",
                                    message="Looking.", author=None, eta=eta)
    assert "eta" in refused.value.message_dict
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("started_at", [T0 - BACK - timedelta(minutes=1), datetime(1, 1, 1, tzinfo=UTC)])
def test_open_refuses_a_start_more_than_a_year_back(customer, started_at):
    with pytest.raises(ValidationError) as refused:
        incident_flow.open_incident(customer=customer, title="Mail", category="email", severity="high",
                                    message="Looking.", author=None, started_at=started_at)
    assert "started_at" in refused.value.message_dict


def test_an_eta_within_the_year_and_a_start_within_the_year_are_fine(customer):
    incident = incident_flow.open_incident(customer=customer, title="Mail", category="email", severity="high",
                                           message="Looking.", author=None, eta=T0 + AHEAD,
                                           started_at=T0 - BACK)
    assert (incident.eta, incident.started_at) == (T0 + AHEAD, T0 - BACK)


def test_an_update_refuses_a_new_eta_outside_the_bounds_but_keeps_an_old_one(incident, account_manager, clock):
    with pytest.raises(ValidationError) as refused:
        incident_flow.post_update(incident=incident, author=account_manager, eta=T0 + 2 * AHEAD)
    assert "eta" in refused.value.message_dict
    incident_flow.post_update(incident=incident, author=account_manager, eta=TOMORROW, message="By tomorrow.")
    clock.move_to(TOMORROW + timedelta(hours=2), tick=False)  # the ETA has passed: unchanged, it is no new fact
    update = incident_flow.post_update(incident=Incident.objects.get(pk=incident.pk), author=account_manager,
                                       eta=TOMORROW, message="Taking longer.")
    assert "eta" not in update.facts_changed


def test_postponing_beyond_a_year_is_refused(incident, account_manager):
    with pytest.raises(ValidationError) as refused:
        cadence.incident_extend_due(incident=incident, author=account_manager, until=T0 + AHEAD + timedelta(hours=1),
                                    reason="Vendor holiday.")
    assert "until" in refused.value.message_dict


# --- the console ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field,typed", [("eta", "01-01-0001 00:00"), ("eta", "31-12-9999 23:59"),
                                         ("eta", "22-11-2026 10:00"), ("started_at", "01-01-0001 00:00"),
                                         ("started_at", "31-12-9999 23:59")])
def test_open_form_answers_422_for_dates_out_of_bounds(as_anna, customer, field, typed):
    response = as_anna.post(reverse("incidents:open"), open_form(customer, **{field: typed}))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("typed", ["01-01-0001 00:00", "31-12-9999 23:59", "01-01-2030 10:00"])
def test_update_form_answers_422_for_an_eta_out_of_bounds(as_anna, incident, typed):
    response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]), {
        "message": "Update.", "status": "investigating", "severity": "critical", "eta": typed})
    assert response.status_code == 422
    assert "eta" in response.context["update_form"].errors
    assert incident.updates.count() == 1


@pytest.mark.parametrize("typed", ["31-12-9999 23:59", "01-01-0001 00:00", "01-01-2030 10:00"])
def test_postponing_out_of_bounds_is_422_and_the_page_still_works(as_anna, incident, typed):
    response = as_anna.post(reverse("incidents:extend_due", args=[incident.pk]), {"until": typed, "reason": "Why."})
    assert response.status_code == 422
    assert "until" in response.context["extend_form"].errors
    assert as_anna.get(reverse("incidents:detail", args=[incident.pk])).status_code == 200
    assert as_anna.get(reverse("incidents:dashboard")).status_code == 200


@pytest.mark.parametrize("field,typed", [("starts_at", "01-01-0001 00:00"), ("ends_at", "31-12-9999 23:59"),
                                         ("starts_at", "01-01-2030 10:00")])
def test_maintenance_out_of_bounds_is_422(as_anna, customer, file_server, field, typed):
    data = {"customer": customer.pk, "title": "Firmware", "components": [file_server.pk],
            "starts_at": "01-12-2026 10:00", "ends_at": "01-12-2026 12:00", "send_with_missing_languages": "on"}
    response = as_anna.post(reverse("incidents:maintenance_new"), data | {field: typed})
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert Maintenance.objects.count() == 0


@pytest.mark.parametrize("typed", ["01-01-0001 00:00", "31-12-9999 23:59", "01-01-2030 10:00"])
def test_composer_send_time_out_of_bounds_is_422(as_anna, incident, typed):
    response = as_anna.post(reverse("comms:compose", args=[incident.pk]), {
        "message": "Update.", "status": "investigating", "severity": "critical", "send_at": typed, "send": "1"})
    assert response.status_code == 422
    assert "send_at" in response.context["form"].errors


# --- the API ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("eta", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00Z",
                                 "2026-11-23T08:00:00Z", "2030-01-01T00:00:00Z"])
def test_api_open_refuses_an_eta_out_of_bounds(client, customer, bearer, eta):
    response = api_post(client, "/incidents", open_body(eta=eta), bearer)
    assert response.status_code == 422, response.content
    assert ("body", "eta") in api_error_locs(response)
    assert Incident.objects.count() == 0


def test_api_update_refuses_an_eta_out_of_bounds(client, incident, bearer):
    number = incident.customer_links.get().number
    for eta in ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"):
        response = api_post(client, f"/incidents/{number}/updates", {"message": "x", "eta": eta}, bearer)
        assert response.status_code == 422, response.content
        assert ("body", "eta") in api_error_locs(response)
    assert incident.updates.count() == 1


def test_api_accepts_an_eta_within_the_year(client, customer, bearer):
    response = api_post(client, "/incidents", open_body(eta="2026-11-24T10:00:00+01:00"), bearer)
    assert response.status_code == 201, response.content
    assert response.json()["eta"] == "2026-11-24T09:00:00Z"
