"""The Insight console page and its CSV downloads: permissions, filters, bad input."""

import csv
import io

import pytest
from django.urls import reverse

from tests.insight.kpi_fixtures import made_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
URL = "/console/insight/"
NOVEMBER = {"period": "month", "month": "2026-11"}


def test_manager_sees_every_customer_and_the_period_figures(client, manager, made, customer):
    client.force_login(manager)
    response = client.get(URL, NOVEMBER)
    assert response.status_code == 200
    tiles = {tile.code: tile for tile in response.context["tiles"]}
    assert tiles["incidents"].value == "6"  # five of MidSize, one of Northwind; no drill
    assert tiles["deliveries"].value == "5"
    page = response.content.decode()
    assert reverse("insight:dashboard") == URL
    assert "<svg" in page and 'role="img"' in page and "<caption>" in page and 'scope="row"' in page
    assert "style=" not in page.split("<main", 1)[1]  # the CSP forbids inline style


def test_account_manager_sees_only_their_customers(client, account_manager, made):
    client.force_login(account_manager)
    response = client.get(URL, NOVEMBER)
    tiles = {tile.code: tile for tile in response.context["tiles"]}
    assert tiles["incidents"].value == "5"
    assert "Northwind" not in response.content.decode()


def test_another_customers_slug_answers_404(client, account_manager, made, other_customer):
    client.force_login(account_manager)
    assert client.get(URL, {**NOVEMBER, "customer": other_customer.slug}).status_code == 404
    assert client.get(reverse("insight:csv", args=["incidents"]),
                      {**NOVEMBER, "customer": other_customer.slug}).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("query", "field"), [
    ({"period": "month", "month": "2026-13"}, "month"),
    ({"period": "month", "month": "0001-01"}, "month"),
    ({"period": "quarter", "quarter": "2026-Q5"}, "quarter"),
    ({"period": "custom", "start": "2026-11-01", "end": "9999-12-31"}, "end"),
    ({"period": "custom", "start": "31-02-2026", "end": "2026-03-01"}, "start"),
    ({"period": "custom", "start": "2026-11-01", "end": "2026-10-01"}, "end"),
    ({"period": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ({"period": "custom", "start": "2026-11-01"}, "end"),
    ({"period": "century"}, "period"),
    ({"category": "weather"}, "category"),
    ({"month": "2026-11\x00"}, "month"),
])
def test_bad_filters_answer_400_naming_the_field(client, manager, query, field):
    client.force_login(manager)
    response = client.get(URL, query)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}"' in response.content.decode()
    csv_response = client.get(reverse("insight:csv", args=["incidents"]), query)
    assert csv_response.status_code == 400 and field in csv_response.content.decode()


def test_custom_range_and_quarter(client, manager, made):
    client.force_login(manager)
    response = client.get(URL, {"period": "custom", "start": "10-11-2026", "end": "11-11-2026", "customer": "midsize"})
    tiles = {tile.code: tile for tile in response.context["tiles"]}
    assert tiles["incidents"].value == "2"  # A (10 Nov) and B (11 Nov); the drill never
    response = client.get(URL, {"period": "quarter", "quarter": "2026-Q4", "customer": "midsize"})
    assert {tile.code: tile for tile in response.context["tiles"]}["incidents"].value == "6"  # with October's


def test_chart_csv_has_twelve_months_and_safe_cells(client, manager, made):
    client.force_login(manager)
    response = client.get(reverse("insight:csv", args=["acknowledge"]), {**NOVEMBER, "customer": "midsize"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="kalm-acknowledge-202611.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "median_minutes", "p90_minutes"]
    assert len(rows) == 13 and rows[1][0] == "2025-12" and rows[-1] == ["2026-11", "15", "34"]
    assert rows[-2] == ["2026-10", "30", "30"]
    assert rows[-3] == ["2026-09", "", ""]
    assert client.get(reverse("insight:csv", args=["nothing"])).status_code == 404

