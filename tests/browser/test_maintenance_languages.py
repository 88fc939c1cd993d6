"""Scheduling maintenance in the browser: choosing the customer swaps in its components and the
languages its readers need, with and without JavaScript."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comms.models import Stakeholder
from incidents.models import Maintenance
from tests.factories import ComponentFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def midsize():
    customer = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="nl")
    ComponentFactory(customer=customer, name="Netwerk", group="Infrastructuur",
                     translations={"en": {"name": "Network"}})
    Stakeholder.objects.create(customer=customer, name="CFO", role="customer_it", audience="technical",
                               language="en", email="cfo@midsize.example")
    anna = UserFactory(username="anna", password="anna-browser-pw")
    customer.account_managers.add(anna)
    # A second customer, so that none is chosen in advance; its people all read English.
    CustomerFactory(name="Northwind Logistics Ltd", slug="northwind", language="en").account_managers.add(anna)
    return customer


def log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    page.click("button:has-text('Log in')")


def schedule(page):
    page.get_by_label("Netwerk").check()
    page.fill("#id_title", "Firmware-update firewall")
    page.fill("#id_title__en", "Firewall firmware update")
    day = (timezone.localdate() + timedelta(days=30)).isoformat()  # windows lie within the coming year
    page.fill("#id_starts_at", f"{day}T22:00")
    page.fill("#id_ends_at", f"{day}T23:00")
    page.click("button:has-text('Schedule maintenance')")
    expect(page.locator("h1")).to_have_text("Firmware-update firewall")
    assert Maintenance.objects.get().translations == {"en": {"title": "Firewall firmware update"}}


def test_choosing_the_customer_brings_its_components_and_languages(new_page, live_server, midsize):
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server)
    page.goto(f"{live_server.url}/console/maintenance/new/")
    expect(page.locator("#id_title__en")).to_have_count(0)
    page.fill("#id_title", "Firmware-update firewall")
    with page.expect_response(re.compile(r".*/maintenance/new/components/.*")):
        page.select_option("#id_customer", label=midsize.name)
    expect(page.get_by_label("Netwerk")).to_be_visible()
    expect(page.locator("#id_title__en")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Firmware-update firewall")  # what was typed stays
    schedule(page)
    assert errors == []


def test_without_javascript(new_page, live_server, midsize):
    page = new_page(java_script_enabled=False)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/console/maintenance/new/")
    page.select_option("#id_customer", label=midsize.name)
    page.click("button:has-text(\"Show this customer's fields\")")
    expect(page.locator("#id_title__en")).to_be_visible()
    schedule(page)
