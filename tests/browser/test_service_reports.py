"""The monthly service reports in Chromium, in German: the setting saved, a month rendered and downloaded."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from insight.models import ServiceReportSetting
from tests.factories import UserFactory
from tests.insight.monthly_month import make_customer, make_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme(settings, tmp_path):
    customer = make_customer(language="de")
    make_month(customer)
    customer.account_managers.add(UserFactory(username="anna", password="anna-browser-pw"))
    return customer


def test_setting_render_and_download_in_german(new_page, live_server, acme):
    page = new_page(locale="de-DE")
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Console errors (a CSP refusal, a script error); the 422 of the bad month below is the answer expected.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "status of 422" not in message.text else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    page.press("#id_password", "Enter")
    page.goto(f"{live_server.url}/console/insight/reports/acme/")
    expect(page.locator("h1")).to_have_text("Monatliche Serviceberichte")

    page.select_option("#id_delivery", "attachment")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Einstellung für den monatlichen Servicebericht gespeichert.")).to_be_visible()
    assert ServiceReportSetting.objects.get(customer=acme).delivery == "attachment"

    page.fill("#id_month", "2026-13")
    page.get_by_role("button", name="Erstellen", exact=True).click()
    expect(page.get_by_text("Schreiben Sie den Monat als JJJJ-MM, z. B. 2026-11.")).to_be_visible()

    page.fill("#id_month", "2026-11")
    page.get_by_role("button", name="Erstellen", exact=True).click()  # rendered on commit (tasks run inline here)
    link = page.get_by_role("link", name="PDF herunterladen")
    expect(link).to_be_visible()
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages).split())
    assert "Monatlicher Servicebericht" in text and "November 2026" in text and "99,72 %" in text
    assert problems == []
