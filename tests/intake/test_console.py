"""The monitoring pages as the MSP's staff use them, and who may not."""

import json

import pytest

from audit.models import AuditEvent
from incidents.models import Incident
from intake.integrations import integration_get_or_create
from intake.models import Alert, AlertState, Integration, MappingRule
from tests.intake.helpers import am_alert, am_payload, mails_to, post
from tests.intake.test_sources import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(cast):
    return integration_get_or_create(customer=cast.midsize, kind="alertmanager", policy="draft")


def test_every_page_needs_a_signed_in_staff_member_of_the_customer(client, cast, draft, other_account_manager,
                                                                   django_capture_on_commit_callbacks):
    post(client, draft, am_payload(am_alert("Down")), capture=django_capture_on_commit_callbacks)
    alert = Alert.objects.get()
    pages = [f"/console/monitoring/integrations/{draft.pk}/", "/console/monitoring/integrations/",
             "/console/monitoring/alerts/"]
    for page in pages:
        assert client.get(page).status_code == 302  # to the sign-in page
    client.force_login(other_account_manager)
    assert client.get(pages[0]).status_code == 404
    assert draft.token not in client.get(pages[1]).text
    assert "Down on" not in client.get(pages[2]).text
    for action in ("publish", "dismiss", "merge"):
        assert client.post(f"/console/monitoring/alerts/{alert.pk}/{action}/").status_code == 404
    assert client.post(f"/console/monitoring/integrations/{draft.pk}/rotate/").status_code == 404
    assert Alert.objects.get().state == AlertState.INBOX and not Incident.objects.exists()


def test_add_an_integration_and_see_its_address(client, cast, account_manager):
    client.force_login(account_manager)
    response = client.post("/console/monitoring/integrations/",
                           {"customer": cast.midsize.pk, "kind": "uptimekuma", "name": "Kuma", "policy": "draft"})
    integration = Integration.objects.get()
    assert response.status_code == 302 and (integration.kind, integration.policy) == ("uptimekuma", "draft")
    page = client.get(f"/console/monitoring/integrations/{integration.pk}/")
    assert f"/intake/{integration.token}/" in page.text and page["Cache-Control"].startswith("max-age=0")
    old = integration.token
    client.post(f"/console/monitoring/integrations/{integration.pk}/rotate/")
    integration.refresh_from_db()
    assert integration.token != old and integration.previous_token == old
    assert AuditEvent.objects.filter(action="integration.rotated").exists()
    assert old not in json.dumps(list(AuditEvent.objects.values("before", "after")))


def test_settings_and_rules_refuse_bad_input_naming_the_field(client, cast, account_manager):
    client.force_login(account_manager)
    generic = integration_get_or_create(customer=cast.midsize, kind="generic")
    url = f"/console/monitoring/integrations/{generic.pk}/"
    settings = {"name": "", "policy": "publish", "resolution": "auto", "quiet_minutes": "15", "flap_seconds": "0",
                "default_severity": "high", "category": "server", "signing_secret": "", "enabled": "on"}
    response = client.post(url, {**settings, "mapping_text": '{"fingerprint": "id ||", "title": "name"}'})
    assert response.status_code == 422 and "fingerprint" in response.text
    response = client.post(url, {**settings, "quiet_minutes": "99999999999999999999"})
    assert response.status_code == 422
    response = client.post(url, {**settings, "name": "NAS\x00"})
    assert response.status_code == 422
    generic.refresh_from_db()
    assert generic.resolution == "propose" and generic.mapping == {}
    assert client.post(url, {**settings, "mapping_text": '{"fingerprint": "id", "title": "name"}'}).status_code == 302
    generic.refresh_from_db()
    assert generic.mapping == {"fingerprint": "id", "title": "name"} and generic.resolution == "auto"

    response = client.post(f"{url}rules/", {"match": "cluster shared", "severity": "high"})
    assert response.status_code == 422 and "label=value" in response.text
    response = client.post(f"{url}rules/", {"match": "cluster=shared", "customers": [cast.northwind.pk, "9" * 30]})
    assert response.status_code == 422 and not MappingRule.objects.exists()
    response = client.post(f"{url}rules/", {"match": "cluster=shared\nenv=*", "customers": [cast.northwind.pk],
                                            "components": "File share, NAS", "severity": "critical"})
    rule = MappingRule.objects.get()
    assert response.status_code == 302 and rule.match == {"cluster": "shared", "env": "*"}
    assert rule.components == ["File share", "NAS"] and list(rule.customers.all()) == [cast.northwind]


def test_test_a_payload_shows_what_would_happen_and_stores_nothing(client, cast, account_manager):
    client.force_login(account_manager)
    integration = integration_get_or_create(customer=cast.midsize, kind="alertmanager")
    body = json.dumps(am_payload(am_alert("FileServerDown", component="File server", summary="Files gone")))
    response = client.post(f"/console/monitoring/integrations/{integration.pk}/test/", {"body": body},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Files gone" in response.text and "Bestandsserver" in response.text and "MidSize" in response.text
    response = client.post(f"/console/monitoring/integrations/{integration.pk}/test/", {"body": "{oops"},
                           headers={"HX-Request": "true"})
    assert "400" in response.text and "body" in response.text
    assert not Alert.objects.exists() and not Incident.objects.exists()


def test_generic_mapping_preview_uses_the_typed_mapping(client, cast, account_manager):
    client.force_login(account_manager)
    integration = integration_get_or_create(customer=cast.midsize, kind="generic")
    body = (FIXTURES / "generic_betterstack.json").read_text()
    mapping = json.dumps({"alerts": "[data]", "fingerprint": "id", "title": "attributes.name",
                          "status": "attributes.status", "description": "attributes.cause"})
    response = client.post(f"/console/monitoring/integrations/{integration.pk}/test/",
                           {"body": body, "mapping_text": mapping}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "files.midsize.example" in response.text
    assert "Resolved" in response.text or "Opgelost" in response.text


def test_the_inbox_publishes_merges_and_dismisses(client, cast, account_manager, draft, smtp_server,
                                                 django_capture_on_commit_callbacks):
    client.force_login(account_manager)
    post(client, draft, am_payload(am_alert("FileServerDown", summary="File server unreachable"), group="a"),
         capture=django_capture_on_commit_callbacks)
    post(client, draft, am_payload(am_alert("ERPDown", instance="erp", summary="ERP slow"), group="b"),
         capture=django_capture_on_commit_callbacks)
    post(client, draft, am_payload(am_alert("Noise", instance="x", summary="Just noise"), group="c"),
         capture=django_capture_on_commit_callbacks)
    page = client.get("/console/monitoring/alerts/")
    assert all(title in page.text for title in ("File server unreachable", "ERP slow", "Just noise"))
    assert not mails_to(smtp_server, "it@midsize.example")

    first = Alert.objects.get(title="File server unreachable")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/monitoring/alerts/{first.pk}/publish/")
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/incidents/{incident.pk}/"
    assert incident.first_link.number in mails_to(smtp_server, "it@midsize.example")[0].subject
    assert "File server unreachable" in client.get(response["Location"]).text  # the alert panel

    second = Alert.objects.get(title="ERP slow")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/console/monitoring/alerts/{second.pk}/merge/", {"incident": incident.pk})
    assert set(incident.alerts.values_list("title", flat=True)) == {"File server unreachable", "ERP slow"}

    noise = Alert.objects.get(title="Just noise")
    client.post(f"/console/monitoring/alerts/{noise.pk}/dismiss/")
    noise.refresh_from_db()
    assert noise.state == AlertState.DISMISSED and Incident.objects.count() == 1
    assert "Just noise" not in client.get("/console/monitoring/alerts/").text.split("Recent alerts")[0]
    response = client.post(f"/console/monitoring/alerts/{noise.pk}/publish/", follow=True)
    assert "no longer in the inbox" in response.text
    assert len(mails_to(smtp_server, "it@midsize.example")) == 1  # merging tells nobody again
    assert set(AuditEvent.objects.filter(action__startswith="alert.").values_list("action", flat=True)) == {
        "alert.published", "alert.merged", "alert.dismissed"}


def test_the_requests_read_in_the_consoles_language(client, cast, account_manager, alertmanager,
                                                     django_capture_on_commit_callbacks):
    client.force_login(account_manager)
    post(client, alertmanager, am_payload(am_alert("Down")), capture=django_capture_on_commit_callbacks)
    post(client, alertmanager, b"{", capture=django_capture_on_commit_callbacks)
    page = client.get(f"/console/monitoring/integrations/{alertmanager.pk}/", headers={"accept-language": "nl"})
    assert "Storing geopend: 1" in page.text and "opened 1" not in page.text
    assert "body: not JSON" in page.text  # a refusal reads as the source got it
    page = client.get(f"/console/monitoring/integrations/{alertmanager.pk}/", headers={"accept-language": "de"})
    assert "Störung eröffnet: 1" in page.text
