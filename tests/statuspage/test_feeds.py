"""RSS and Atom incident history feeds, and the iCalendar maintenance feed (parsed without feedparser/icalendar,
which are not installed: xml.etree for the feeds, a small RFC 5545 line parser for the calendar)."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import time_machine

from flows import incidents as incident_flow
from statuspage.ics import escape, fold
from tests.factories import ComponentFactory
from tests.statuspage.helpers import NOW, maintenance, number, open_incident, resolve

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET = "SECRET-internal-note-7f3a"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(customer, file_server, account_manager):
    """Three incidents an hour apart, the middle one resolved, the last with an internal note."""
    made = []
    for hour, title in enumerate(["First outage", "Second outage", "Third outage"]):
        with time_machine.travel(NOW + timedelta(hours=hour), tick=False):
            made.append(open_incident(customer, account_manager, title=title,
                                      component_statuses={file_server: "partial_outage"}))
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        resolve(made[1], account_manager, message="Second one **fixed**.")
        incident_flow.post_update(incident=made[2], author=account_manager, message=SECRET, is_internal=True)
    return made


def get(client, path, **params):
    response = client.get(path, {"lang": "en", **params})
    assert response.status_code == 200, response.status_code
    return response


# --- RSS and Atom ------------------------------------------------------------------------------


def test_rss_parses_and_lists_incidents_newest_first(client, history):
    response = get(client, "/status/midsize/history.rss")

    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("title") == "MidSize Manufacturing BV – incident history"
    assert channel.findtext("link") == "http://127.0.0.1:8000/status/midsize/?lang=en"  # read in English
    assert channel.findtext("language") == "en"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == [
        "Third outage (Investigating)", "Second outage (Resolved)", "First outage (Investigating)"]
    links = [i.findtext("link") for i in items]
    guids = [f"http://127.0.0.1:8000/status/midsize/incidents/{number(i)}/" for i in reversed(history)]
    assert links == [f"{guid}?lang=en" for guid in guids]  # the English pages, for an English feed
    assert [i.findtext("guid") for i in items] == guids  # the same ids in every language
    assert items[1].findtext("pubDate") == "Tue, 03 Jun 2025 13:00:00 +0000"
    second = items[1].findtext("description")
    assert "<strong>fixed</strong>" in second and "Second outage: we are looking into it." in second
    assert second.index("Second one") < second.index("we are looking into it")  # newest update first
    assert number(history[1]) in second and "File server" in second
    assert SECRET not in response.content.decode()


def test_atom_parses(client, history):
    response = get(client, "/status/midsize/history.atom")

    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "http://127.0.0.1:8000/status/midsize/history.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Third outage (Investigating)", "Second outage (Resolved)", "First outage (Investigating)"]
    assert entries[1].find(f"{ATOM}link").get("href") == (
        f"http://127.0.0.1:8000/status/midsize/incidents/{number(history[1])}/?lang=en")
    assert entries[1].findtext(f"{ATOM}published") == "2025-06-03T13:00:00+00:00"
    assert entries[1].findtext(f"{ATOM}updated") == "2025-06-03T15:00:00+00:00"  # the resolution
    assert feed.findtext(f"{ATOM}updated") == "2025-06-03T15:00:00+00:00"
    assert "Second one" in entries[1].findtext(f"{ATOM}summary")


def test_feed_keeps_the_latest_fifty(client, history, monkeypatch):
    monkeypatch.setattr("statuspage.feeds.FEED_ITEMS", 2)

    channel = ET.fromstring(get(client, "/status/midsize/history.rss").content).find("channel")

    assert [i.findtext("title") for i in channel.findall("item")] == [
        "Third outage (Investigating)", "Second outage (Resolved)"]


def test_feed_shows_only_this_customers_incidents(client, incident, other_customer, account_manager,
                                                  other_account_manager):
    mail = ComponentFactory(customer=other_customer, name="Mail gateway")
    incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                                   component_statuses={mail: "major_outage"})
    open_incident(other_customer, other_account_manager, title="Northwind only")

    body = get(client, "/status/midsize/history.rss").content.decode()
    assert number(incident, incident.customers.get(slug="midsize")) in body
    assert number(incident, other_customer) not in body
    assert "Northwind only" not in body and "Mail gateway" not in body

    theirs = get(client, "/status/northwind/history.atom").content.decode()
    assert number(incident, other_customer) in theirs and "Mail gateway" in theirs
    assert "File server" not in theirs and number(incident, incident.customers.get(slug="midsize")) not in theirs


def test_feed_headers(client, customer):
    response = get(client, "/status/midsize/history.rss")

    assert {v.strip() for v in response.headers["Cache-Control"].split(",")} == {"public", "max-age=30"}
    assert "X-Robots-Tag" not in response.headers


# --- iCalendar -----------------------------------------------------------------------------------


def parse_ics(raw: bytes) -> list[dict[str, str]]:
    """Unfold and split into components; returns one dict (name → raw value) per VCALENDAR/VEVENT."""
    text = raw.decode()
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical), "bare LF or CR"
    assert all(len(line.encode()) <= 75 for line in physical), "a line is longer than 75 octets"
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    components, stack = [], []
    for line in logical:
        name, _sep, value = line.partition(":")
        if name == "BEGIN":
            stack.append({"BEGIN": value})
        elif name == "END":
            assert stack[-1]["BEGIN"] == value
            components.append(stack.pop())
        else:
            stack[-1][name] = value
    assert not stack
    return components


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


@pytest.fixture
def windows(customer, file_server, erp):
    long_text = "Zeer lange beschrijving met ümlauts en € tekens, puntkomma; en backslash \\ " * 3
    return [
        maintenance(customer, title="Firmware; core, switch", start=timedelta(days=2), hours=1.5,
                    components=[file_server, erp], expected_impact=long_text + "\nSecond line",
                    customer_action="Save your work"),
        maintenance(customer, title="Called off", start=timedelta(days=5), status="cancelled"),
        maintenance(customer, title="Long ago", start=timedelta(days=-200)),
    ]


def test_calendar_parses_with_utc_times(client, windows):
    response = get(client, "/status/midsize/maintenance.ics")

    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    components = parse_ics(response.content)
    calendar = components[-1]
    assert calendar["BEGIN"] == "VCALENDAR" and calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = {unescape(e["SUMMARY"]): e for e in components if e["BEGIN"] == "VEVENT"}
    assert set(events) == {"Maintenance: Firmware; core, switch", "Maintenance: Called off"}  # not 200 days ago
    firmware = events["Maintenance: Firmware; core, switch"]
    assert firmware["DTSTART"] == "20250605T120000Z"
    assert firmware["DTEND"] == "20250605T133000Z"
    assert firmware["DTSTAMP"] == "20250603T120000Z"
    assert firmware["STATUS"] == "CONFIRMED"
    assert events["Maintenance: Called off"]["STATUS"] == "CANCELLED"
    assert firmware["UID"] == f"maintenance-{windows[0].pk}@127.0.0.1"
    assert firmware["UID"] != events["Maintenance: Called off"]["UID"]
    assert firmware["URL"] == f"http://127.0.0.1:8000/status/midsize/?lang=en#maintenance-{windows[0].pk}"
    description = unescape(firmware["DESCRIPTION"])
    assert description.startswith(windows[0].expected_impact)  # newlines, ; , \\ and € survive the round trip
    assert "What you need to do: Save your work" in description
    assert "Affected: File server, ERP" in description
    assert "\\;" in firmware["SUMMARY"] and "\\," in firmware["SUMMARY"]


def test_fold_never_splits_a_character():
    line = "DESCRIPTION:" + "€" * 60  # 3 octets each

    folded = fold(line)

    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert fold("SUMMARY:short") == "SUMMARY:short"
    assert fold("X:" + "a" * 73) == "X:" + "a" * 73  # exactly 75 octets stays on one line


def test_escape():
    assert escape("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_calendar_of_a_customer_without_maintenance(client, customer):
    components = parse_ics(get(client, "/status/midsize/maintenance.ics").content)

    assert [c["BEGIN"] for c in components] == ["VCALENDAR"]
