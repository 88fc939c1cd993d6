"""A status page read in a chosen language (``?lang=en`` on a Dutch customer's page) stays in that
language wherever its links lead: history, permalinks, subscribe, feeds, JSON, calendar, badge.

Tested from the receiving end: fetch the page, follow each of its links as a visitor would, and
read the language of what comes back; once computed, once from the published snapshot store.
"""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from statuspage import snapshots
from tests.statuspage.dom import find, find_all, parse
from tests.statuspage.helpers import NOW, maintenance, number, open_incident

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def dutch_page(customer, file_server, account_manager):
    """The customer's language is Dutch; one active incident and one planned window."""
    assert customer.language == "nl"
    with time_machine.travel(NOW, tick=False):
        incident = open_incident(customer, account_manager, title="Printer queue stuck",
                                 component_statuses={file_server: "partial_outage"})
        maintenance(customer, title="Firmware", start=timedelta(days=1), components=[file_server])
    return incident


@pytest.fixture(params=["computed", "published"])
def serving(request, dutch_page, customer, settings, tmp_path):
    if request.param == "published":
        settings.KALM_STATUS_SNAPSHOTS = True
        settings.KALM_SNAPSHOT_DIR = tmp_path / "snapshots"
        customer.refresh_from_db()
        with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
            snapshots.publish(customer)
    return request.param


def hrefs(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = parse(response.content.decode())
    links = {dict(a.attributes).get("href") for a in find_all(page, "a")}
    links |= {dict(link.attributes)["href"] for link in find_all(page, "link")
              if dict(link.attributes).get("rel") == "alternate"}
    return page, {href for href in links if href and href.startswith("/status/midsize/")}


def follow(client, href):
    response = client.get(href)
    assert response.status_code == 200, href
    return response


def test_every_link_of_a_language_variant_carries_the_language(client, serving, dutch_page):
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        _page, links = hrefs(client, "/status/midsize/?lang=en")
        number_ = number(dutch_page)
        expected = {
            "/status/midsize/history/", f"/status/midsize/incidents/{number_}/", "/status/midsize/subscribe/",
            "/status/midsize/history.rss", "/status/midsize/history.atom", "/status/midsize/maintenance.ics",
            "/status/midsize/api/v2/summary.json", "/status/midsize/badge.svg",
        }
        assert {urlsplit(href).path for href in links} >= expected
        for href in links:
            if urlsplit(href).path == "/status/midsize/":
                continue  # the language switcher's own ?lang= links
            assert parse_qs(urlsplit(href).query).get("lang") == ["en"], href
            assert follow(client, href)["Content-Language"] == "en", href


def test_feeds_json_calendar_and_badge_linked_from_the_english_page_are_english(client, serving, dutch_page):
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        _page, links = hrefs(client, "/status/midsize/?lang=en")
        by_path = {urlsplit(href).path.removeprefix("/status/midsize/"): href for href in links}

        rss = ET.fromstring(follow(client, by_path["history.rss"]).content).find("channel")
        assert rss.findtext("language") == "en"
        assert rss.findtext("title") == "MidSize Manufacturing BV – incident history"
        item = rss.find("item")
        assert item.findtext("title") == "Printer queue stuck (Investigating)"  # nl: "Onderzoek loopt"
        # The feed's own links lead on to the English pages.
        assert item.findtext("link").endswith(f"/incidents/{number(dutch_page)}/?lang=en")
        english_permalink = urlsplit(item.findtext("link"))
        assert "Investigating" in follow(client, f"{english_permalink.path}?{english_permalink.query}"
                                         ).content.decode()

        atom = ET.fromstring(follow(client, by_path["history.atom"]).content)
        assert atom.find(f"{ATOM}entry").findtext(f"{ATOM}title") == "Printer queue stuck (Investigating)"

        summary = json.loads(follow(client, by_path["api/v2/summary.json"]).content)
        assert summary["status"]["description"] == "Major outage"
        assert summary["page"]["url"].endswith("/status/midsize/?lang=en")
        assert summary["incidents"][0]["shortlink"].endswith("?lang=en")

        calendar = follow(client, by_path["maintenance.ics"]).content.decode()
        assert "SUMMARY:Maintenance: Firmware" in calendar
        assert "?lang=en#maintenance-" in calendar.replace("\r\n ", "")

        history = follow(client, by_path["history/"]).content.decode()
        assert "Printer queue stuck" in history and "Incident history" in history  # nl: Incidentgeschiedenis

        badge = follow(client, by_path["badge.svg"]).content.decode()
        assert 'aria-label="status: partial outage"' in badge  # nl: "gedeeltelijke storing"


def test_the_default_page_links_stay_without_a_language(client, serving, dutch_page):
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        _page, links = hrefs(client, "/status/midsize/")
        feed = next(href for href in links if href.endswith("history.rss"))
        assert feed == "/status/midsize/history.rss"
        rss = ET.fromstring(follow(client, feed).content).find("channel")
        assert rss.findtext("language") == "nl"
        assert rss.find("item").findtext("title") == "Printer queue stuck (Onderzoek loopt)"
        assert rss.find("item").findtext("link").endswith(f"/incidents/{number(dutch_page)}/")
        summary = json.loads(follow(client, "/status/midsize/api/v2/summary.json").content)
        assert summary["page"]["url"].endswith("/status/midsize/")


def test_a_private_pages_machine_links_carry_token_and_language(client, customer, dutch_page):
    from statuspage.access import access_token

    customer.status_page_public = False
    customer.save()
    token = access_token(customer)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        page = parse(client.get("/status/midsize/", {"token": token, "lang": "de"}).content.decode())
        footer = {dict(a.attributes)["href"] for a in find_all(find(page, "footer"), "a")}
        feed = next(href for href in footer if "history.rss" in href)
        assert parse_qs(urlsplit(feed).query) == {"token": [token], "lang": ["de"]}
        client.cookies.clear()  # a feed reader has no cookie: the link alone must open it
        rss = ET.fromstring(follow(client, feed).content).find("channel")
        assert rss.findtext("language") == "de"
        assert parse_qs(urlsplit(rss.find("item").findtext("link")).query) == {"token": [token], "lang": ["de"]}
