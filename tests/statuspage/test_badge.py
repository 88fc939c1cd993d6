"""The embeddable SVG status badge /status/<slug>/badge.svg."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.statuspage.helpers import maintenance, open_incident

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def badge(client, **params):
    response = client.get("/status/midsize/badge.svg", {"lang": "en", **params})
    assert response.status_code == 200
    return response, ET.fromstring(response.content)  # well-formed XML or this raises


def message_rect_and_texts(svg):
    rects = svg.find(f"{SVG}g").findall(f"{SVG}rect")
    return rects[1], [t.text for t in svg.iter(f"{SVG}text")]


def test_operational_badge(client, customer):
    response, svg = badge(client)

    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert {v.strip() for v in response.headers["Cache-Control"].split(",")} == {"public", "max-age=60"}
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img" and svg.get("aria-label") == "status: operational"
    assert svg.findtext(f"{SVG}title") == "status: operational"
    rect, texts = message_rect_and_texts(svg)
    assert texts == ["status", "status", "operational", "operational"]  # shadow and text
    assert rect.get("fill") == "#1a7f37"
    label_width, message_width = int(svg.find(f"{SVG}g").find(f"{SVG}rect").get("width")), int(rect.get("width"))
    assert label_width + message_width == int(svg.get("width"))
    assert b"style" not in response.content  # presentation attributes only (CSP)


@pytest.mark.parametrize(("severity", "component_status", "message", "colour"), [
    ("low", None, "minor outage", "#9a6700"),
    ("high", None, "partial outage", "#bc4c00"),
    ("low", "major_outage", "major outage", "#cf222e"),
])
def test_badge_says_the_overall_state(client, customer, file_server, account_manager, severity, component_status,
                                      message, colour):
    open_incident(customer, account_manager, severity=severity,
                  component_statuses={file_server: component_status} if component_status else None)

    _response, svg = badge(client)

    assert svg.findtext(f"{SVG}title") == f"status: {message}"
    rect, texts = message_rect_and_texts(svg)
    assert texts[-1] == message
    assert rect.get("fill") == colour


def test_maintenance_badge(client, customer, erp):
    maintenance(customer, start=timedelta(minutes=-5), components=[erp], now=timezone.now())

    _response, svg = badge(client)

    assert svg.findtext(f"{SVG}title") == "status: maintenance"
