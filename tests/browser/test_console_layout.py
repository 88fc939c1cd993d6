"""The console at a laptop's 1280 px: nothing wider than the screen, even with long addresses,
subjects, errors and unbroken words; the report's review form uses the content width; the Dutch
console reads and shows Dutch dates and leaves no validation to the (English) browser."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comms.models import Communication, Delivery, Stakeholder
from flows import incidents as incident_flow
from tests.factories import ComponentFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
LONG_ADDRESS = ("facilities.management.department.building-automation.team"
                "@verylongsubdomain.midsize-manufacturing-international.example")
LONG_SUBJECT = ("[UPDATE] MSM-2026-1123-001 Fileserver en ERP onbereikbaar bij MidSize Manufacturing BV – "
                "herstel loopt, volgende update om 11:30 CET – " + "zeer-lange-onderwerpregel" * 4)
LONG_ERROR = ("SMTP 550 5.1.1 <" + LONG_ADDRESS + ">: Recipient address rejected: User unknown in virtual "
              "mailbox table; " + "x" * 200)
LONG_WEBHOOK = "https://hooks.example.com/services/" + "A" * 120
UNBROKEN = "Zie-https://status.msp.example/status/midsize/incidents/MSM-2026-1123-001/?" + "lang=nl&" * 30


@pytest.fixture
def midsize(db):
    customer = CustomerFactory(name="MidSize Manufacturing International Holding BV", slug="midsize",
                               incident_prefix="MSM", language="nl")
    server = ComponentFactory(customer=customer, name="File server", group="Servers")
    user = UserFactory(username="anna", password="anna-browser-pw")
    customer.account_managers.add(user)
    incident = incident_flow.open_incident(
        customer=customer, title="Fileserver en ERP onbereikbaar voor alle vestigingen", category="server",
        severity="critical", message=f"We onderzoeken het. {UNBROKEN}", author=user,
        component_statuses={server: "major_outage"})
    Stakeholder.objects.create(customer=customer, name="Facilities", role="customer_it", audience="technical",
                               language="nl", email=LONG_ADDRESS)
    now = timezone.now()
    for state, error in [("failed", LONG_ERROR), ("sent", ""), ("queued", "")]:
        for channel, address in [("email", LONG_ADDRESS), ("webhook", LONG_WEBHOOK)]:
            communication = Communication.objects.create(
                incident=incident, customer=customer, kind="update", audience="technical", language="nl",
                subject=LONG_SUBJECT, body_text="…", body_html="", short_text="…", send_at=now, state="done")
            Delivery.objects.create(communication=communication, channel=channel, address=address, state=state,
                                    attempts=3, last_error=error, next_attempt_at=now)
    return incident


def log_in(page, live_server, language="en"):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    with page.expect_navigation():
        page.press("#id_password", "Enter")


def widths(page) -> dict:
    return page.evaluate("""() => ({
        page: document.documentElement.scrollWidth,
        tables: Array.from(document.querySelectorAll('.table-wrap'))
            .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1).length,
    })""")


def test_console_pages_fit_1280_pixels(new_page, live_server, midsize):
    page = new_page(viewport={"width": WIDTH, "height": 900})
    log_in(page, live_server)
    for path in ["/console/communications/", "/console/", f"/console/incidents/{midsize.pk}/",
                 f"/console/incidents/{midsize.pk}/communications/"]:
        page.goto(f"{live_server.url}{path}")
        measured = widths(page)
        assert measured["page"] <= WIDTH, (path, measured)
        assert measured["tables"] == 0, (path, measured)  # the log's table fits without a scrollbar too
    page.goto(f"{live_server.url}/console/communications/")
    expect(page.locator("td .address").first).to_have_attribute("title", re.compile("@|https://"))
    expect(page.locator("td .subject").first).to_have_attribute("title", LONG_SUBJECT)


def test_the_same_in_dutch_and_german(new_page, live_server, midsize):
    for language in ("nl", "de"):
        page = new_page(viewport={"width": WIDTH, "height": 900})
        log_in(page, live_server, language)
        for path in ["/console/communications/", "/console/", f"/console/incidents/{midsize.pk}/"]:
            page.goto(f"{live_server.url}{path}")
            assert widths(page) == {"page": WIDTH, "tables": 0}, (language, path)


def test_review_form_uses_the_full_content_width(new_page, live_server, midsize):
    page = new_page(viewport={"width": WIDTH, "height": 900})
    log_in(page, live_server)
    page.goto(f"{live_server.url}/console/incidents/{midsize.pk}/report/")
    review = page.locator("section[aria-labelledby=review-heading]").bounding_box()
    grid = page.locator(".incident-grid").bounding_box()
    assert review["width"] >= grid["width"] - 2, (review, grid)


def test_dutch_console_shows_and_reads_dutch_dates(new_page, live_server, midsize):
    page = new_page(viewport={"width": WIDTH, "height": 900})
    log_in(page, live_server, "nl")
    page.goto(f"{live_server.url}/console/incidents/{midsize.pk}/")
    until = page.locator("#id_extend_until")
    expect(until).to_have_attribute("type", "text")
    expect(until).to_have_attribute("placeholder", "dd-mm-jjjj uu:mm")
    suggested = until.input_value()
    assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d", suggested), suggested
    expect(page.locator("#id_eta")).to_have_attribute("placeholder", "dd-mm-jjjj uu:mm")

    # Postpone to the suggested time plus a day, typed the Dutch way; the page confirms it in place.
    day, month, rest = suggested.split("-", 2)
    year, clock = rest.split(" ")
    later = f"{int(day) + 1:02d}-{month}-{year} {clock}" if int(day) < 28 else f"01-{month}-{year} {clock}"
    page.locator("details summary", has_text="Uitstellen").click()
    until.fill(later)
    page.fill("#id_extend_reason", "Leverancier komt morgen.")
    page.evaluate("window.__sameDocument = true")
    page.click("button:has-text('De update uitstellen')")
    expect(page.locator("#messages")).to_contain_text(later)
    assert page.evaluate("window.__sameDocument") is True  # htmx swapped; the message came along

    page.goto(f"{live_server.url}/console/maintenance/new/")
    expect(page.locator("#id_starts_at")).to_have_attribute("placeholder", "dd-mm-jjjj uu:mm")


@pytest.mark.parametrize("language", ["nl", "de"])
def test_no_english_from_django_or_the_browser(new_page, live_server, midsize, language):
    page = new_page(viewport={"width": WIDTH, "height": 900}, locale="en-US")
    log_in(page, live_server, language)
    CustomerFactory(name="Northwind Ltd", slug="northwind").account_managers.add(UserFactory(username="anna"))
    for path in [f"/console/incidents/{midsize.pk}/", f"/console/incidents/{midsize.pk}/report/",
                 "/console/incidents/new/", "/console/maintenance/new/",
                 "/console/customers/midsize/stakeholders/new/"]:
        page.goto(f"{live_server.url}{path}")
        options = page.evaluate("Array.from(document.querySelectorAll('option')).map(o => o.textContent)")
        assert not [o for o in options if "Select an option" in o], (path, options)
        # A form the browser validates would answer in the browser's language (here English).
        browser_checked = page.evaluate("""() => Array.from(document.forms)
            .filter(form => !form.noValidate && !form.checkValidity())
            .map(form => Array.from(form.elements).filter(e => !e.checkValidity()).map(e => e.validationMessage))""")
        assert browser_checked == [], (path, browser_checked)
