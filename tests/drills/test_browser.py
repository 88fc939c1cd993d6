"""In Chromium: an account manager reading the console in German starts seed 000's drill, lands on its
incident page with the ÜBUNG badge and the script's times in the customer's zone, while the public
status page in another tab shows nothing of it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from comms.models import Stakeholder
from flows.drill_scenarios import MIDSIZE_OUTAGE
from incidents.models import Incident
from tests.factories import ComponentFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_sign_in_counters():
    """allauth's per-address sign-in limits live in the cache: none carried over (as tests/browser does)."""
    cache.clear()


@pytest.fixture
def midsize():
    customer = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="nl")
    ComponentFactory(customer=customer, name="Bestandsserver", group="Servers")
    ComponentFactory(customer=customer, name="ERP", group="Applicaties")
    Stakeholder.objects.create(customer=customer, name="Servicedesk", role="internal_msp", audience="technical",
                               language="nl", email="servicedesk@msp.example")
    customer.account_managers.add(UserFactory(username="anna", password="anna-browser-pw"))
    return customer


def test_start_a_drill_in_german_and_the_public_page_stays_quiet(new_page, live_server, midsize):
    page = new_page(locale="de-DE")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/console/drills/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    page.press("#id_password", "Enter")
    expect(page.locator("h1")).to_have_text("Übungen")
    page.select_option("#id_scenario", MIDSIZE_OUTAGE.slug)
    page.get_by_role("button", name="Übung starten").click()

    expect(page.locator("h1")).to_have_text(MIDSIZE_OUTAGE.title["nl"])  # written in MidSize's language
    expect(page.locator(".page-head .badge.drill")).to_have_text("ÜBUNG")
    panel = page.locator(".drill-panel")
    expect(panel).to_contain_text("Drehbuch der Übung")
    incident = Incident.objects.get(is_drill=True)
    first_due = (incident.started_at + timedelta(minutes=MIDSIZE_OUTAGE.script[0].minutes)).astimezone(
        midsize.tzinfo)
    expect(panel.locator("li").first).to_contain_text(first_due.strftime("%H:%M"))
    expect(panel.locator("li").first).to_contain_text(MIDSIZE_OUTAGE.script[0].message["nl"][:40])

    public = new_page(locale="de-DE")
    public.goto(f"{live_server.url}/status/midsize/")
    expect(public.locator("body")).not_to_contain_text(incident.first_link.number)
    expect(public.locator("body")).not_to_contain_text("Dateiserver und ERP nicht erreichbar")
    expect(public.locator("body")).not_to_contain_text("bestandsserver en ERP onbereikbaar")
    assert errors == []
