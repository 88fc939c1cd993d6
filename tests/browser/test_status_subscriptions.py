"""A visitor subscribes on the status page, confirms from a real mail, receives an update
and unsubscribes from its List-Unsubscribe link; the public pages pass axe-core and work
with the keyboard and on a phone.

Real parts: Chromium, pytest-django's live server, an aiosmtpd server on loopback; Celery
runs inline, so the live server's request sends the mail before it answers.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comms.models import Stakeholder
from flows import incidents as incident_flow
from flows.maintenance import schedule as maintenance_schedule
from flows.maintenance import start as maintenance_start
from statuspage import subscriptions
from statuspage.models import Subscription
from tests.factories import ComponentFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
LINK = re.compile(r"https?://\S+/subscriptions/confirm/[^/\s]+/")
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def midsize(settings, live_server):
    settings.SITE_URL = live_server.url  # links in mails point at the live server
    settings.KALM_COALESCE_MINUTES = 0
    customer = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="en")
    ComponentFactory(customer=customer, name="File server", group="Servers", position=1)
    ComponentFactory(customer=customer, name="ERP", group="Applications", position=2)
    customer.account_managers.add(UserFactory(username="anna"))
    return customer


def publish(customer, message: str):
    """What the account manager does in the console, through the same service."""
    erp = customer.components.get(name="ERP")
    author = customer.account_managers.get()
    incident = customer.incident_links.exclude(incident__status="resolved").first()
    if incident is None:
        return incident_flow.open_incident(customer=customer, title="ERP slow", category="server", severity="medium",
                                      message=message, author=author, component_statuses={erp: "partial_outage"})
    return incident_flow.post_update(incident=incident.incident, author=author, message=message)


def mails_to(smtp_server, address):
    return [mail for mail in smtp_server.messages if mail.rcpt_tos == [address]]


def incident_mails(smtp_server, address):
    """The pipeline's messages about an incident (not the confirmation mail)."""
    return [mail for mail in mails_to(smtp_server, address) if mail.message["X-Kalm-Incident"]]


def test_subscribe_confirm_receive_and_unsubscribe_without_javascript(new_page, live_server, midsize, smtp_server):
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/status/midsize/")
    page.get_by_role("link", name="Subscribe to updates").click()
    page.get_by_label("E-mail address").fill("piet@example.com")
    page.get_by_label("ERP").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")

    [confirmation] = mails_to(smtp_server, "piet@example.com")
    link = LINK.search(confirmation.message.get_body(("plain",)).get_content()).group(0)
    page.goto(link)
    assert Subscription.objects.get().state == "pending"  # opening the link changed nothing
    page.get_by_role("button", name="Confirm subscription").click()
    expect(page.get_by_role("heading", name="Subscription confirmed")).to_be_visible()

    northwind = CustomerFactory(name="Northwind Ltd", slug="northwind", incident_prefix="NWL", language="en")
    mail_server = ComponentFactory(customer=northwind, name="Mail", group="")
    subscriptions.confirm(subscription=subscriptions.subscribe(
        customer=northwind, channel="email", address="kim@example.org", language="en", components=[]))
    incident = publish(midsize, "The ERP is slow; we are adding capacity.")  # opens the incident
    # The same upstream outage hits a second customer of the MSP.
    incident_flow.add_customer(incident=incident, customer=northwind, author=midsize.account_managers.get(),
                                   component_statuses={mail_server: "major_outage"})
    publish(midsize, "Our upstream provider is adding capacity.")
    [_, ack, update] = mails_to(smtp_server, "piet@example.com")
    assert "ERP slow" in ack.message["Subject"] + ack.message.get_body(("plain",)).get_content()
    assert update.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    ours, theirs = (link.number for link in incident.customer_links.order_by("customer__slug"))
    for mail in incident_mails(smtp_server, "piet@example.com"):
        assert ours in mail.raw.decode() and theirs not in mail.raw.decode() and "Northwind" not in mail.raw.decode()
    assert len(incident_mails(smtp_server, "kim@example.org")) == 2  # Northwind's own acknowledgment and update
    for mail in incident_mails(smtp_server, "kim@example.org"):
        assert theirs in mail.raw.decode() and ours not in mail.raw.decode() and "MidSize" not in mail.raw.decode()
    page.goto(f"{live_server.url}/status/midsize/")
    expect(page.get_by_text(ours).first).to_be_visible()
    assert theirs not in page.content() and "Northwind" not in page.content()

    page.goto(update.message["List-Unsubscribe"].strip("<>"))
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    assert Stakeholder.objects.get(email="piet@example.com").is_active  # the GET changed nothing
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()

    assert not Stakeholder.objects.get(email="piet@example.com").is_active
    publish(midsize, "Capacity added; monitoring.")
    assert len(mails_to(smtp_server, "piet@example.com")) == 3  # nothing after unsubscribing
    assert len(incident_mails(smtp_server, "kim@example.org")) == 3  # Northwind's subscriber still hears


@pytest.fixture
def busy_page(midsize):
    """An active incident, maintenance in progress and upcoming, a resolved incident in the history."""
    author = midsize.account_managers.get()
    file_server, erp = midsize.components.get(name="File server"), midsize.components.get(name="ERP")
    old = incident_flow.open_incident(customer=midsize, title="Printer queue stuck", category="server", severity="low",
                                 message="Printing is stuck.", author=author)
    incident_flow.post_update(incident=old, author=author, status="resolved", message="Printing works again.")
    publish(midsize, "The ERP is slow; we are adding capacity.")
    soon = timezone.now() + timedelta(minutes=5)
    running, _ = maintenance_schedule(customer=midsize, title="Switch firmware", components=[file_server],
                                      starts_at=soon, ends_at=soon + timedelta(hours=1), author=author)
    maintenance_start(maintenance=running)
    later = timezone.now() + timedelta(days=3)
    maintenance_schedule(customer=midsize, title="Storage upgrade", components=[erp], starts_at=later,
                         ends_at=later + timedelta(hours=2), author=author)
    return midsize.incident_links.exclude(incident=old).get().number


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())  # through DevTools, so the page's CSP (no inline script) stays on
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.html).slice(0, 3)}));
    }""")


def test_public_pages_have_no_serious_axe_violations_and_fit_a_phone(new_page, live_server, busy_page):
    paths = ["/status/midsize/", "/status/midsize/subscribe/", f"/status/midsize/incidents/{busy_page}/",
             "/status/midsize/history/"]
    for viewport in (None, PHONE):
        page = new_page(viewport=viewport) if viewport else new_page()
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
            print(path, viewport, serious)
            assert serious == [], f"{path}: {serious}"
            if viewport:
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"


def test_subscribe_form_with_errors_has_no_serious_axe_violations(new_page, live_server, midsize):
    page = new_page()
    page.goto(f"{live_server.url}/status/midsize/subscribe/")
    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    assert page.get_by_label("E-mail address").get_attribute("aria-invalid") == "true"

    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_page_text_states_the_status_besides_the_colour(new_page, live_server, busy_page):
    page = new_page()
    page.goto(f"{live_server.url}/status/midsize/")
    components = page.locator(".components-block .component")
    expect(components.filter(has_text="ERP")).to_contain_text("Partial outage")
    expect(components.filter(has_text="File server")).to_contain_text("Under maintenance")


def test_keyboard_reaches_the_language_switch_and_subscribe_link_with_a_visible_outline(new_page, live_server,
                                                                                        midsize):
    page = new_page()
    page.goto(f"{live_server.url}/status/midsize/")
    reached: dict[str, str] = {}
    for _ in range(15):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return {text: el.textContent.trim(), outline: style.outlineStyle + " " + style.outlineWidth};
        }""")
        reached[focused["text"]] = focused["outline"]
        if focused["text"] == "Subscribe to updates":
            break
    for name in ("English", "Subscribe to updates"):
        assert name in reached, reached
        style, width = reached[name].split()
        assert style != "none" and float(width.removesuffix("px")) >= 2, (name, reached[name])
    page.keyboard.press("Enter")  # the focused subscribe link opens from the keyboard
    expect(page.get_by_role("heading", name="Subscribe to updates")).to_be_visible()
