"""The incident page's follow-up block in Chromium: record a customer escalation, add a remediation
action, and find it on the MSP-wide actions list; no script or style is refused by the CSP."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from flows import incidents as incident_flow
from followup.models import CustomerEscalation, RemediationAction
from tests.factories import ComponentFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def outage():
    customer = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="nl")
    server = ComponentFactory(customer=customer, name="Bestandsserver")
    anna = UserFactory(username="anna", password="anna-browser-pw", first_name="Anna", last_name="Jansen")
    customer.account_managers.add(anna)
    return incident_flow.open_incident(customer=customer, title="Storing bestandsserver", category="server",
                                       severity="critical", message="We onderzoeken het.", author=anna,
                                       component_statuses={server: "major_outage"})


def test_escalation_and_action_from_the_incident_page(new_page, live_server, outage):  # noqa: F811
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    page.click("button:has-text('Log in')")
    page.goto(f"{live_server.url}/console/incidents/{outage.pk}/")
    block = page.locator("#followup")
    expect(block.locator("h2")).to_have_text("Follow-up")
    block.locator("summary:has-text('Record a customer escalation')").click()
    page.fill("#id_escalation-raised_by", "J. de Vries, CFO")
    page.select_option("#id_escalation-channel", "phone")
    page.fill("#id_escalation-demand", "Wil elk uur gebeld worden.")
    page.click("button:has-text('Record escalation')")
    expect(page.locator("#followup .escalations")).to_contain_text("J. de Vries, CFO")
    assert CustomerEscalation.objects.get().channel == "phone"

    page.locator("#followup summary:has-text('Add a remediation action')").click()
    page.fill("#id_action-title", "Schijven vervangen")
    page.fill("#id_action-due", (timezone.localdate() + timedelta(days=14)).isoformat())
    page.click("button:has-text('Add action')")
    expect(page.locator("#followup .actions-table")).to_contain_text("Schijven vervangen")
    assert RemediationAction.objects.get().status == "open"

    page.goto(f"{live_server.url}/console/followup/actions/")
    expect(page.locator("table.actions-table")).to_contain_text("MidSize Manufacturing BV")
    assert not [text for text in problems if "Content Security Policy" in text], problems
