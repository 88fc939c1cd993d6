"""The Insight page in Chromium, in Dutch: the period's KPIs, the SVG charts and their tables read
in the console's language (month names, decimal commas), the CSV link downloads the chart's
figures, and axe-core finds nothing serious."""

import csv
import io
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.browser.test_console_layout import WIDTH, widths
from tests.factories import CustomerFactory, UserFactory
from tests.insight.kpi_builders import november

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def figures(db):
    midsize = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="nl")
    northwind = CustomerFactory(name="Northwind Ltd", slug="northwind", incident_prefix="NWL")
    user = UserFactory(username="anna", password="anna-browser-pw")
    midsize.account_managers.add(user)
    return november(midsize, northwind)


def log_in_dutch(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "anna-browser-pw")
    with page.expect_navigation():
        page.press("#id_password", "Enter")


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())  # through DevTools, so the page's CSP (no inline script) stays on
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.html).slice(0, 3)}));
    }""")


def test_insight_reads_in_dutch_with_charts_tables_and_csv(new_page, live_server, figures):
    page = new_page(viewport={"width": WIDTH, "height": 900}, locale="en-US", accept_downloads=True)
    log_in_dutch(page, live_server)
    page.goto(f"{live_server.url}/console/")
    page.get_by_role("link", name=_dutch("Insight"), exact=True).click()
    page.goto(f"{live_server.url}/console/insight/?period=month&month=2026-11")
    assert page.locator("html").get_attribute("lang") == "nl"
    tiles = page.inner_text(".kpi-tiles")
    assert "1 november 2026" in page.inner_text("#period-heading")  # Dutch month names, in Amsterdam
    assert _dutch("Incidents") in tiles and "\n5\n" in f"\n{tiles}\n"  # the drill and Northwind do not count
    assert "15 min" in tiles and "63,6 %" in tiles  # median to acknowledge; updates on time, decimal comma
    assert "200,00 EUR" in tiles
    # five charts, each an SVG image with an accessible name and bars, and a table of the same figures
    charts = page.locator("figure.kpi-chart")
    assert charts.count() == 5
    chart = page.locator("#chart-acknowledge")
    assert chart.locator("svg[role=img] title").first.text_content().startswith(_dutch("Time to acknowledge"))
    assert chart.locator("rect.bar").count() == 24  # 12 months × median and p90
    assert chart.locator("line.target").count() == 1  # the contract's 15 minutes
    chart.locator("summary").click()
    table = chart.locator("table")
    assert table.locator("caption").inner_text().startswith(_dutch("Time to acknowledge"))
    november_row = table.locator("tbody tr").last.inner_text().split("\t")
    assert november_row == ["november 2026", "15,0", "34,0"]
    assert table.locator("tbody tr").nth(10).inner_text().split("\t") == ["oktober 2026", "30,0", "30,0"]
    assert widths(page)["page"] <= WIDTH
    link = chart.locator("a[download]")
    assert _dutch("Time to acknowledge") in link.inner_text()
    with page.expect_download() as download:
        link.click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0] == ["month", "median_minutes", "p90_minutes"] and rows[-1] == ["2026-11", "15", "34"]
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def _dutch(text: str) -> str:
    """The console's Dutch for ``text`` (its catalog entry; the English until the lead merges it)."""
    with translation.override("nl"):
        return gettext(text)
