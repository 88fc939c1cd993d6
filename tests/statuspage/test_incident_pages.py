"""The incident permalink /status/<slug>/incidents/<number>/, the monthly history, and the page's links."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from flows import incidents as incident_flow
from tests.factories import ComponentFactory
from tests.statuspage.dom import components, find, find_all, parse, text
from tests.statuspage.helpers import number, open_incident, resolve

pytestmark = pytest.mark.django_db

SECRET = "SECRET-internal-note-7f3a"


def get(client, path, **params):
    response = client.get(path, {"lang": "en", **params})
    assert response.status_code == 200, response.status_code
    return response, parse(response.content.decode())


# --- permalink -----------------------------------------------------------------------------------


def test_permalink_shows_the_whole_public_story(client, incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, message=SECRET, is_internal=True)
    incident_flow.post_update(incident=incident, author=account_manager, message="Disk replaced.",
                                  status="identified", workaround="Use the **backup** share.")

    response, page = get(client, f"/status/midsize/incidents/{number(incident)}/")

    article = find(page, "article", id=f"incident-{number(incident)}")
    assert text(find(article, "h2")) == "Server outage"
    assert number(incident) in text(find(article, "dl", cls="facts"))
    assert text(find(find(article, "div", cls="workaround"), "strong")) == "backup"
    assert components(article) == [("File server", "major_outage", "Major outage"),
                                   ("ERP", "partial_outage", "Partial outage")]
    updates = [text(li) for li in find_all(article, "li", cls="update")]
    assert len(updates) == 2 and "Disk replaced." in updates[0]
    html = response.content.decode()
    assert SECRET not in html and "Production planning is down." not in html
    assert response.headers["Cache-Control"] == "no-cache"
    breadcrumb = {dict(a.attributes)["href"] for a in find_all(find(page, "p", cls="breadcrumb"), "a")}
    assert breadcrumb == {"/status/midsize/?lang=en", "/status/midsize/history/?lang=en"}


def test_resolved_permalink_promises_nothing(client, incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, message="Try the backup share.",
                                  workaround="Use the backup share.")
    resolve(incident, account_manager)

    response, page = get(client, f"/status/midsize/incidents/{number(incident)}/")

    article = find(page, "article", cls="incident-detail")
    assert "Resolved" in text(find(article, "dl", cls="facts"))
    assert list(find_all(article, "div", cls="workaround")) == []
    assert "Next update expected" not in response.content.decode()


def test_permalink_of_another_customer_is_404(client, incident, other_customer, other_account_manager,
                                              account_manager):
    theirs = open_incident(other_customer, other_account_manager, title="Northwind thing")
    mail = ComponentFactory(customer=other_customer, name="Mail gateway")
    incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                                   component_statuses={mail: "partial_outage"})
    shared_theirs = number(incident, other_customer)

    assert client.get(f"/status/midsize/incidents/{number(theirs)}/").status_code == 404
    assert client.get(f"/status/midsize/incidents/{shared_theirs}/").status_code == 404
    assert client.get("/status/midsize/incidents/MSM-1999-0101-001/").status_code == 404
    _response, page = get(client, f"/status/northwind/incidents/{shared_theirs}/")
    assert components(page) == [("Mail gateway", "partial_outage", "Partial outage")]
    assert "MidSize" not in text(page) and number(incident, incident.customers.get(slug="midsize")) not in text(page)


def test_page_links_incidents_to_their_permalinks(client, incident):
    _response, page = get(client, "/status/midsize/")

    link = find(find(page, "article", id=f"incident-{number(incident)}"), "h3").children[0]
    assert dict(link.attributes)["href"] == f"/status/midsize/incidents/{number(incident)}/?lang=en"


# --- history -------------------------------------------------------------------------------------


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=UTC), tick=False)


@pytest.fixture
def months_of_incidents(customer, account_manager):
    made = {}
    for when, title in [((2025, 3, 10, 9), "March thing"), ((2025, 5, 31, 22, 30), "Just June"),
                        ((2025, 6, 2, 9), "June thing"), ((2025, 1, 5, 9), "January thing")]:
        with at(*when):
            made[title] = open_incident(customer, account_manager, title=title)
            resolve(made[title], account_manager, message=f"{title} fixed.")
    return made


def test_history_groups_by_month_in_the_customers_zone(client, months_of_incidents):
    with at(2025, 6, 15, 12):
        _response, page = get(client, "/status/midsize/history/")

    months = list(find_all(page, "section", cls="month"))
    assert [text(find(m, "h3")) for m in months] == ["June 2025", "May 2025", "April 2025"]
    june = [text(find(item, "h4")) for item in find_all(months[0], "article", cls="history-item")]
    assert june == ["June thing", "Just June"]  # 31 May 22:30 UTC is 1 June in Amsterdam
    assert "No incidents reported this month." in text(months[1])
    first = next(find_all(months[0], "article", cls="history-item"))
    assert "June thing fixed." in text(first)
    href = dict(find(first, "a").attributes)["href"]
    assert href == f"/status/midsize/incidents/{number(months_of_incidents['June thing'])}/?lang=en"
    pager = find(page, "nav", cls="pager")
    assert [(dict(a.attributes)["rel"], dict(a.attributes)["href"]) for a in find_all(pager, "a")] == [
        ("next", "?page=2&lang=en")]


def test_history_second_and_last_page(client, months_of_incidents):
    with at(2025, 6, 15, 12):
        _response, page = get(client, "/status/midsize/history/", page=2)
        assert [text(find(m, "h3")) for m in find_all(page, "section", cls="month")] == [
            "March 2025", "February 2025", "January 2025"]
        assert "March thing" in text(page) and "January thing" in text(page)
        rels = [dict(a.attributes)["rel"] for a in find_all(find(page, "nav", cls="pager"), "a")]
        assert rels == ["prev"]
        assert client.get("/status/midsize/history/", {"page": 3}).status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "١", "99999999"])
def test_history_bad_page_numbers(client, customer, page):
    assert client.get("/status/midsize/history/", {"page": page}).status_code == 404


def test_empty_history(client, customer):
    _response, page = get(client, "/status/midsize/history/")

    assert len(list(find_all(page, "section", cls="month"))) == 3
    assert list(find_all(page, "nav", cls="pager")) == []


def test_history_shows_only_this_customer(client, incident, other_customer, other_account_manager):
    open_incident(other_customer, other_account_manager, title="Northwind only")

    response, _page = get(client, "/status/midsize/history/")

    assert "Server outage" in response.content.decode()
    assert "Northwind only" not in response.content.decode()


# --- head and footer -----------------------------------------------------------------------------


def test_feeds_are_announced_and_linked(client, customer):
    _response, page = get(client, "/status/midsize/")

    alternates = {dict(link.attributes)["type"]: dict(link.attributes)["href"]
                  for link in find_all(page, "link") if dict(link.attributes).get("rel") == "alternate"}
    # The page was asked for in English: every link carries the language on.
    assert alternates == {"application/rss+xml": "/status/midsize/history.rss?lang=en",
                          "application/atom+xml": "/status/midsize/history.atom?lang=en"}
    footer = {text(a): dict(a.attributes)["href"] for a in find_all(find(page, "footer"), "a")}
    assert footer == {
        "Incident history": "/status/midsize/history/?lang=en",
        "RSS feed": "/status/midsize/history.rss?lang=en",
        "Atom feed": "/status/midsize/history.atom?lang=en",
        "Maintenance calendar": "/status/midsize/maintenance.ics?lang=en",
        "JSON API": "/status/midsize/api/v2/summary.json?lang=en",
        "Status badge": "/status/midsize/badge.svg?lang=en",
    }
    for href in footer.values():
        assert client.get(href).status_code == 200, href


def test_permalink_times_in_the_customers_zone(client, customer, account_manager):
    with at(2025, 6, 3, 12):
        incident = open_incident(customer, account_manager)
    with time_machine.travel(datetime(2025, 6, 3, 12, tzinfo=UTC) + timedelta(days=1), tick=False):
        _response, page = get(client, f"/status/midsize/incidents/{number(incident)}/")

    assert "3 June 2025, 14:00 CEST" in text(find(page, "dl", cls="facts"))


def test_companion_pages_have_no_inline_style_or_script(client, incident):
    for path in (f"/status/midsize/incidents/{number(incident)}/", "/status/midsize/history/"):
        response, page = get(client, path)
        html = response.content.decode()
        assert "style=" not in html and "<style" not in html
        assert [dict(s.attributes).get("src") for s in find_all(page, "script")] == ["/static/vendor/htmx.min.js"]
