"""The incident page in Chromium, in German: the roles and the current phase's checklist, ticked off
with htmx, and the internal timeline entry it writes."""

import pytest
from playwright.sync_api import expect

from flows import incidents as incident_flow
from playbook import services
from playbook.defaults import defaults_load
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def incident():
    defaults_load()  # a transactional test starts from an empty table
    customer = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="de")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Jansen", password="anna-browser-pw")
    customer.account_managers.add(anna)
    incident = incident_flow.open_incident(customer=customer, title="Dateiserver ausgefallen", category="server",
                                           severity="critical", message="Wir untersuchen die Störung.", author=anna)
    services.role_assign(incident=incident, role="incident_lead", user=anna, assigned_by=anna)
    return incident


def test_roles_and_checklist_on_the_incident_page_in_german(new_page, live_server, incident):
    page = new_page(locale="de-DE", extra_http_headers={"Accept-Language": "de"})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/console/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    page.goto(f"{live_server.url}/console/incidents/{incident.pk}/")
    card = page.locator("#playbook")
    expect(card).to_be_visible()
    expect(card.locator("tr.role-incident_lead")).to_contain_text("Anna Jansen")
    expect(card.locator("tr.role-unfilled")).to_have_count(4)  # the other four roles, marked in words too
    first = card.get_by_label("Incident anhand der Kriterien für kritische Incidents prüfen und Schweregrad festlegen")
    expect(first).to_be_visible()
    expect(card.get_by_text("Response-Team aktivieren: alle fünf Rollen besetzen")).to_be_visible()
    with page.expect_response("**/console/playbook/checklist/*/done/"):
        first.check()  # htmx posts on change; the live part is swapped in place
    expect(page.locator("#playbook li.checklist-item.done")).to_have_count(1)
    expect(page.locator("ol.timeline li.internal").first).to_contain_text(
        "Incident anhand der Kriterien für kritische Incidents prüfen")
    assert incident.checklist_items.filter(done_at__isnull=False).count() == 1
    assert page.evaluate("document.documentElement.lang") == "de"
    assert not errors
