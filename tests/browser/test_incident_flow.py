"""An account manager opens an incident and posts an update; the customer watches it live."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ComponentFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def midsize(settings):
    settings.KALM_STATUS_POLL_SECONDS = 1
    customer = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="en")
    ComponentFactory(customer=customer, name="File server", group="Servers")
    ComponentFactory(customer=customer, name="ERP", group="Applications")
    customer.account_managers.add(UserFactory(username="anna", password="anna-browser-pw"))
    return customer


def log_in(page, live_server):
    page.goto(f"{live_server.url}/console/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    page.click("button:has-text('Log in')")
    expect(page.locator("h1")).to_have_text("Open incidents")


def open_incident(page, live_server, midsize):
    page.goto(f"{live_server.url}/console/incidents/new/")
    # htmx swaps in the fields that depend on the customer (components, languages); no page load happens.
    with page.expect_response("**/incidents/new/components/**"):
        page.select_option("#id_customer", label=midsize.name)
    file_server = page.get_by_label("File server")
    expect(file_server).to_be_visible()
    file_server.select_option("major_outage")
    page.fill("#id_title", "File server unavailable")
    page.check("input[name=severity][value=critical]")
    page.fill("#id_message", "We know the file server is down and are working on it.")
    page.click("button:has-text('Open incident') >> nth=-1")
    expect(page.locator("h1")).to_have_text("File server unavailable")


def test_open_update_and_watch_it_live_on_the_status_page(new_page, live_server, midsize):
    staff = new_page()
    errors: list[str] = []
    staff.on("pageerror", lambda error: errors.append(str(error)))
    log_in(staff, live_server)
    open_incident(staff, live_server, midsize)
    number = staff.locator(".number").first.inner_text()
    assert re.fullmatch(r"MSM-\d{4}-\d{4}-001", number)

    public = new_page()
    public.goto(f"{live_server.url}/status/midsize/")
    expect(public.get_by_text("File server unavailable")).to_be_visible()
    expect(public.get_by_text("We know the file server is down")).to_be_visible()
    expect(public.get_by_text(number)).to_be_visible()

    # Post an update with htmx: the timeline refreshes in place, the page is not reloaded.
    staff.evaluate("window.__sameDocument = true")
    staff.fill("#id_message", "A failed disk is being replaced; your data is safe.")
    staff.select_option("#id_status", "identified")
    staff.click("button:has-text('Post update')")
    expect(staff.locator(".timeline")).to_contain_text("A failed disk is being replaced")
    assert staff.evaluate("window.__sameDocument") is True

    # The public page polls and shows the update without anyone reloading it.
    expect(public.get_by_text("A failed disk is being replaced")).to_be_visible(timeout=10_000)
    assert errors == []


def test_console_works_without_javascript(new_page, live_server, midsize):
    page = new_page(java_script_enabled=False)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/console/incidents/new/")
    page.select_option("#id_customer", label=midsize.name)
    page.click("button:has-text(\"Show this customer's fields\")")
    page.get_by_label("ERP").select_option("partial_outage")
    page.fill("#id_title", "ERP slow")
    page.fill("#id_message", "The ERP system is slow; we are looking into it.")
    page.click("button:has-text('Open incident') >> nth=-1")
    expect(page.locator("h1")).to_have_text("ERP slow")
    page.fill("#id_message", "Database index rebuilt.")
    page.select_option("#id_status", "monitoring")
    page.click("button:has-text('Post update')")
    expect(page.locator(".timeline")).to_contain_text("Database index rebuilt.")
