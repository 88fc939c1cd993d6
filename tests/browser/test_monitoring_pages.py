"""The monitoring pages in Chromium at 1280 px, in Dutch and German: the alert inbox, the
integrations and an integration's page fit the screen and read in the console's language, and
"test a payload" answers in place (htmx) with what Kalm would do, storing nothing."""

import json

import pytest
from playwright.sync_api import expect

from intake.integrations import integration_get_or_create
from intake.models import Alert
from intake.receiving import receive
from intake.sources.base import Payload
from tests.browser.test_console_layout import WIDTH, log_in, midsize, widths  # noqa: F401 - the fixture
from tests.intake.helpers import am_alert, am_payload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "VPN-gateway-van-de-hoofdvestiging-onbereikbaar-" * 6

HEADINGS = {"nl": ("Meldingeninbox", "Wacht op een besluit", "Recente verzoeken", "Storing geopend"),
            "de": ("Alarmeingang", "Wartet auf eine Entscheidung", "Letzte Anfragen", "Störung eröffnet")}


@pytest.fixture
def integrations(midsize):  # noqa: F811 - the imported fixture
    customer = midsize.customer_links.get().customer
    draft = integration_get_or_create(customer=customer, kind="uptimekuma", policy="draft")
    receive(draft, Payload(json.dumps({
        "heartbeat": {"monitorID": 7, "status": 0, "time": "2026-12-07 01:10:00", "msg": "ECONNREFUSED",
                      "important": True},
        "monitor": {"id": 7, "name": LONG_TITLE, "url": "https://vpn.midsize.example", "type": "http"},
        "msg": "down"}).encode()))
    publish = integration_get_or_create(customer=customer, kind="alertmanager")
    receive(publish, Payload(json.dumps(am_payload(am_alert("MailDown", summary="Mail delayed"))).encode()))
    return draft, publish


@pytest.mark.parametrize("language", ["nl", "de"])
def test_the_monitoring_pages_fit_and_read_in_the_consoles_language(new_page, live_server, integrations,
                                                                     language):
    draft, publish = integrations
    page = new_page(viewport={"width": WIDTH, "height": 900}, locale="en-US")
    log_in(page, live_server, language)
    inbox, waiting, requests, opened = HEADINGS[language]
    for path, expected in [("/console/monitoring/alerts/", (inbox, waiting)),
                           ("/console/monitoring/integrations/", ()),
                           (f"/console/monitoring/integrations/{publish.pk}/", (requests, opened)),
                           (f"/console/monitoring/integrations/{draft.pk}/", (requests,))]:
        page.goto(f"{live_server.url}{path}")
        measured = widths(page)
        assert measured["page"] <= WIDTH and measured["tables"] == 0, (path, measured)
        text = page.inner_text("main")
        assert all(words in text for words in expected), (path, expected)
        assert "Select an option" not in page.content()
    page.goto(f"{live_server.url}/console/monitoring/alerts/")
    expect(page.locator(".inbox-group h3")).to_contain_text("VPN-gateway-van-de-hoofdvestiging")


def test_test_a_payload_answers_in_place_and_stores_nothing(new_page, live_server, integrations):
    _draft, publish = integrations
    page = new_page(viewport={"width": WIDTH, "height": 900})
    log_in(page, live_server, "nl")
    page.goto(f"{live_server.url}/console/monitoring/integrations/{publish.pk}/")
    alerts_before = Alert.objects.count()
    page.fill("#id_body", json.dumps(am_payload(am_alert("DiskFull", summary="Schijf vol op de NAS",
                                                         component="File server"))))
    page.get_by_role("button", name="Laat zien wat Kalm zou doen").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Er is niets opgeslagen of verstuurd")
    expect(result).to_contain_text("Schijf vol op de NAS")
    expect(result).to_contain_text("File server")
    assert page.url.endswith(f"/integrations/{publish.pk}/")  # answered in place, no page load
    page.fill("#id_body", "{kapot")
    page.get_by_role("button", name="Laat zien wat Kalm zou doen").click()
    expect(result).to_contain_text("De bron zou een 400 krijgen: body")
    assert Alert.objects.count() == alerts_before
