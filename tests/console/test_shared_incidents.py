"""A shared incident (issue 11, finding 2): staff see and change only their customers' parts of it.

MidSize's incident also hits Bergmann. Anna manages only MidSize: on every console page and in
the API she sees MidSize's number, name and components, never Bergmann's, and no path lets her
change a Bergmann component. A manager sees and changes both. The rule lives in
``incidents.selectors.incident_customers_for_user``; the service refuses what it does not allow.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from comms.directory.stakeholders import StakeholderData, stakeholder_create
from comms.models import Audience, Role
from flows import incidents as incident_flow
from incidents.models import Component, ComponentChange, Incident
from incidents.selectors import incident_customers_for_user
from tests.factories import ComponentFactory, CustomerFactory

SECRET_NAME = "Bergmann Logistik GmbH"
SECRET_COMPONENT = "Lagerverwaltung"


@pytest.fixture
def bergmann(db):
    return CustomerFactory(name=SECRET_NAME, slug="bergmann", incident_prefix="BLG", language="de")


@pytest.fixture
def warehouse(bergmann) -> Component:
    return ComponentFactory(customer=bergmann, name=SECRET_COMPONENT, group="Logistik")


@pytest.fixture
def shared(incident, bergmann, warehouse, manager) -> Incident:
    """MidSize's incident, later found to hit Bergmann too (an upstream outage); each has an IT contact."""
    for who, name, language in ((incident.customers.get(), "Jan de Vries", "nl"),
                                (bergmann, "Dieter Bergmann", "de")):
        stakeholder_create(customer=who, data=StakeholderData(
            name=name, role=Role.CUSTOMER_IT, audience=Audience.TECHNICAL, language=language,
            email=f"it@{who.slug}.example"))
    incident_flow.add_customer(incident=incident, customer=bergmann, author=manager,
                               component_statuses={warehouse: "degraded_performance"})
    return incident


def bergmann_number(incident: Incident) -> str:
    return incident.customer_links.get(customer__slug="bergmann").number


def console_pages(incident: Incident) -> dict[str, str]:
    return {
        "incident": reverse("incidents:detail", args=[incident.pk]),
        "dashboard": reverse("incidents:dashboard"),
        "report": reverse("reports:review", args=[incident.pk]),
        "log": reverse("comms:incident_log", args=[incident.pk]),
        "composer": reverse("comms:compose", args=[incident.pk]),
    }


def assert_nothing_of_bergmann(text: str, incident: Incident, where: str) -> None:
    for secret in (SECRET_NAME, SECRET_COMPONENT, bergmann_number(incident), "BLG-"):
        assert secret not in text, f"{secret!r} shown on the {where} page"


# --- writing -----------------------------------------------------------------------------


def test_console_update_cannot_change_a_component_of_another_customer(client, account_manager, shared, warehouse):
    client.force_login(account_manager)
    response = client.post(reverse("incidents:post_update", args=[shared.pk]), {
        "message": "Still looking.", "status": "investigating", "severity": "critical",
        f"component_{warehouse.pk}": "major_outage", "send_with_missing_languages": "on"})
    assert response.status_code == 302  # the message is posted; the field was never offered to her
    warehouse.refresh_from_db()
    assert warehouse.status == "degraded_performance"
    assert not ComponentChange.objects.filter(component=warehouse, status="major_outage").exists()


def test_console_update_form_offers_only_her_customers_components(client, account_manager, shared, warehouse,
                                                                  file_server):
    client.force_login(account_manager)
    form = client.get(reverse("incidents:detail", args=[shared.pk])).context["update_form"]
    assert f"component_{file_server.pk}" in form.fields
    assert f"component_{warehouse.pk}" not in form.fields


def test_a_manager_still_changes_every_customers_components(client, manager, shared, warehouse):
    client.force_login(manager)
    response = client.post(reverse("incidents:post_update", args=[shared.pk]), {
        "message": "Warehouse down too.", "status": "investigating", "severity": "critical",
        f"component_{warehouse.pk}": "major_outage", "send_with_missing_languages": "on"})
    assert response.status_code == 302
    warehouse.refresh_from_db()
    assert warehouse.status == "major_outage"


def test_the_service_refuses_components_outside_the_customers_given(account_manager, shared, warehouse):
    allowed = incident_customers_for_user(account_manager, shared)
    with pytest.raises(ValidationError) as refused:
        incident_flow.post_update(incident=shared, author=account_manager, message="x",
                                  component_statuses={warehouse: "major_outage"}, customers=allowed)
    assert "components" in refused.value.message_dict
    warehouse.refresh_from_db()
    assert warehouse.status == "degraded_performance"


def test_the_rule_is_one_for_console_and_api(account_manager, manager, other_account_manager, shared, customer,
                                             bergmann):
    assert list(incident_customers_for_user(account_manager, shared)) == [customer]
    assert set(incident_customers_for_user(manager, shared)) == {customer, bergmann}
    assert list(incident_customers_for_user(other_account_manager, shared)) == []


def test_resolving_still_clears_every_customers_components(client, account_manager, shared, warehouse):
    """The incident's status is shared: resolving it ends it for Bergmann too (components back to operational)."""
    client.force_login(account_manager)
    response = client.post(reverse("incidents:post_update", args=[shared.pk]), {
        "message": "Fixed upstream.", "status": "resolved", "severity": "critical",
        "send_with_missing_languages": "on"})
    assert response.status_code == 302, response.context["update_form"].errors
    warehouse.refresh_from_db()
    assert warehouse.status == "operational"


# --- reading -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["incident", "dashboard", "report", "log", "composer"])
def test_her_pages_show_nothing_of_the_other_customer(client, account_manager, shared, page):
    client.force_login(account_manager)
    response = client.get(console_pages(shared)[page])
    assert response.status_code == 200
    assert_nothing_of_bergmann(response.text, shared, page)


@pytest.mark.parametrize("page", ["incident", "dashboard", "report", "log", "composer"])
def test_a_manager_sees_both_customers(client, manager, shared, page):
    client.force_login(manager)
    text = client.get(console_pages(shared)[page]).text
    assert SECRET_NAME in text or bergmann_number(shared) in text, page


def test_composer_previews_only_her_customers_messages(client, account_manager, shared):
    client.force_login(account_manager)
    response = client.post(reverse("comms:compose", args=[shared.pk]), {
        "message": "Still looking.", "status": "investigating", "severity": "critical", "preview": "1",
        "send_with_missing_languages": "on"})
    assert response.status_code == 200, response.context["form"].errors
    assert {draft.plan.customer.slug for draft in response.context["drafts"]} == {"midsize"}
    assert_nothing_of_bergmann(response.text, shared, "composer preview")
    assert "Dieter Bergmann" not in response.text


def test_composer_send_still_tells_the_other_customers_people(client, account_manager, shared):
    """Her edits apply to her customers' messages; Bergmann's people get theirs as the templates write them."""
    client.force_login(account_manager)
    data = {"message": "Still looking.", "status": "investigating", "severity": "critical",
            "send_with_missing_languages": "on"}
    preview = client.post(reverse("comms:compose", args=[shared.pk]), data | {"preview": "1"})
    edited = {f"{part}-{draft.key}": f"Edited {part}" for draft in preview.context["drafts"]
              for part in ("subject", "body")}
    response = client.post(reverse("comms:compose", args=[shared.pk]), data | edited | {"send": "1"})
    assert response.status_code == 302
    update = shared.updates.latest("created_at", "id")
    subjects = dict(update.communications.values_list("customer__slug", "subject"))
    assert subjects["midsize"] == "Edited subject"
    assert subjects["bergmann"] != "Edited subject"


def test_report_pdf_of_the_other_customer_is_404(client, account_manager, shared):
    client.force_login(account_manager)
    url = reverse("reports:download", args=[shared.pk])
    assert client.get(url, {"customer": "bergmann"}).status_code == 404


def test_timeline_shows_only_her_customers_component_changes(client, account_manager, shared):
    client.force_login(account_manager)
    timeline = client.get(reverse("incidents:detail", args=[shared.pk])).context["timeline"]
    changed = {change.component.customer.slug for update in timeline for change in update.component_changes.all()}
    assert changed == {"midsize"}
