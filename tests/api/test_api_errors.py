"""The API's refusals are documented and alike (issue 11, findings 0 and 9): a 405 is JSON like
every other error, a message has the console's limit, every text (translations too) refuses
control characters, and the OpenAPI document declares each error an operation can answer."""

import pytest

from api.models import ApiToken
from console.forms import IncidentMessageForm, IncidentOpenForm, IncidentUpdateForm
from flows import incidents as incident_flow
from incidents.bounds import MAX_MESSAGE
from incidents.models import Incident, IncidentUpdate
from tests.api.test_api import API, ApiClient, assert_field_error, nothing_written, open_body


@pytest.fixture
def api(account_manager) -> ApiClient:
    return ApiClient(ApiToken.issue(user=account_manager)[1])


@pytest.fixture
def number(incident) -> str:
    return incident.customer_links.get().number

# --- 405 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("delete", "/incidents", {"GET", "POST"}),
    ("put", "/incidents/{number}", {"GET"}),
    ("post", "/incidents/{number}", {"GET"}),
    ("get", "/incidents/{number}/updates", {"POST"}),
    ("patch", "/incidents/{number}/reopen", {"POST"}),
])
def test_a_method_not_allowed_is_json_like_every_other_error(api, number, method, path, allowed):
    response = getattr(api.client, method)(API + path.format(number=number), headers=api.headers)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert isinstance(response.json()["detail"], str)
    assert {m.strip() for m in response["Allow"].split(",")} == allowed


def test_a_method_not_allowed_is_405_even_without_a_token(client, number):
    response = client.delete(f"{API}/incidents/{number}")
    assert response.status_code == 405 and "detail" in response.json()


@pytest.mark.parametrize("path", ["/", "/nothing", "/incidents/", "/incidents/a/b/c"])
def test_a_path_the_api_does_not_have_is_a_json_404(api, path):
    response = api.client.get(API + path, headers=api.headers)
    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


# --- one message limit ---------------------------------------------------------------------------------------


def test_the_api_and_the_console_share_the_message_limit(client):
    for form in (IncidentOpenForm, IncidentUpdateForm, IncidentMessageForm):
        assert form.base_fields["message"].max_length == MAX_MESSAGE, form
    schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    for name in ("IncidentOpenIn", "IncidentUpdateIn", "ReopenIn", "OpenTexts", "UpdateTexts", "ReopenTexts"):
        assert schemas[name]["properties"]["message"]["maxLength"] == MAX_MESSAGE, name


@pytest.mark.parametrize("body,loc", [
    ({"message": "x" * (MAX_MESSAGE + 1)}, ("body", "message")),
    ({"message": "ok", "translations": {"en": {"message": "x" * (MAX_MESSAGE + 1)}}},
     ("body", "translations", "en", "message")),
])
def test_a_message_longer_than_the_consoles_is_refused(api, number, body, loc):
    with nothing_written():
        response = api.post(f"/incidents/{number}/updates", body)
    assert_field_error(response, loc)


def test_a_message_as_long_as_the_consoles_is_fine(api, number):
    assert api.post(f"/incidents/{number}/updates", {"message": "x" * MAX_MESSAGE}).status_code == 201


# --- control characters, translations included ----------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "message", "impact", "workaround"])
def test_open_refuses_control_characters_in_each_translation(api, customer, field):
    body = open_body(components=[], translations={"en": {"title": "Mail", field: "bad\x00text"}})
    with nothing_written():
        response = api.post("/incidents", body)
    assert_field_error(response, ("body", "translations", "en", field))


@pytest.mark.parametrize("field", ["message", "workaround", "root_cause", "resolution_summary"])
def test_update_refuses_control_characters_in_each_translation(api, number, field):
    with nothing_written():
        response = api.post(f"/incidents/{number}/updates",
                            {"message": "ok", "translations": {"en": {field: "bell\x07"}}})
    assert_field_error(response, ("body", "translations", "en", field))


def test_reopen_refuses_control_characters_in_its_translation(api, incident, number, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    with nothing_written():
        response = api.post(f"/incidents/{number}/reopen",
                            {"message": "Again.", "translations": {"en": {"message": "esc\x1b[31m"}}})
    assert_field_error(response, ("body", "translations", "en", "message"))


def test_a_component_name_with_control_characters_is_refused(api, number):
    with nothing_written():
        response = api.post(f"/incidents/{number}/updates",
                            {"components": [{"name": "File\x00server", "status": "operational"}]})
    assert_field_error(response, ("body", "components", 0, "name"))
    assert IncidentUpdate.objects.count() == Incident.objects.count()


# --- the OpenAPI document declares the errors -----------------------------------------------------------------


@pytest.fixture
def schema(client):
    return client.get(f"{API}/openapi.json").json()


def responses(schema, method: str, path: str) -> dict:
    return schema["paths"][f"/api/v1{path}"][method]["responses"]


@pytest.mark.parametrize(("method", "path", "errors"), [
    ("get", "/incidents", {"401", "403", "422"}),
    ("post", "/incidents", {"400", "401", "403", "413", "422"}),
    ("get", "/incidents/{number}", {"401", "403", "404", "422"}),
    ("post", "/incidents/{number}/updates", {"400", "401", "403", "404", "413", "422"}),
    ("post", "/incidents/{number}/reopen", {"400", "401", "403", "404", "413", "422"}),
    ("get", "/incidents/{number}/report.pdf", {"401", "403", "404", "422"}),
])
def test_each_operation_declares_its_errors(schema, method, path, errors):
    declared = responses(schema, method, path)
    assert errors <= set(declared), sorted(errors - set(declared))
    for status in errors:
        body = declared[status]["content"]["application/json"]["schema"]
        assert "$ref" in body or "properties" in body, (status, body)


def test_the_error_shapes_are_described(schema):
    components = schema["components"]["schemas"]
    assert components["Refusal"]["required"] == ["detail"]
    assert components["Refusal"]["properties"]["detail"]["type"] == "string"
    field_error = components["FieldError"]
    assert set(field_error["required"]) == {"loc", "msg", "type"}
    assert components["FieldErrors"]["properties"]["detail"]["items"] == {"$ref": "#/components/schemas/FieldError"}
