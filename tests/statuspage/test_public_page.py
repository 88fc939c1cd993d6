"""The public status page /status/<slug>/: what it shows, what it never shows, how it renders."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from flows import incidents as incident_flow
from tests.factories import ComponentFactory, CustomerFactory
from tests.statuspage.dom import components, find, find_all, text

pytestmark = pytest.mark.django_db

SECRET = "SECRET-internal-note-7f3a"


@pytest.fixture
def internet(customer):
    return ComponentFactory(customer=customer, name="Internet", group="", position=0)


@pytest.fixture
def mail(other_customer):
    return ComponentFactory(customer=other_customer, name="Mail gateway", group="Cloud", position=1)


def open_incident(customer, author, *, title="Printer queue stuck", severity="medium", **kwargs):
    kwargs.setdefault("message", f"{title}: we are looking into it.")
    return incident_flow.open_incident(customer=customer, title=title, category="server", severity=severity,
                                  author=author, **kwargs)


def resolve(incident, author, message="Fixed: service restored."):
    return incident_flow.post_update(incident=incident, author=author, status="resolved", message=message)


def live(page):
    return find(page, "div", id="status-live")


# --- what the page shows -------------------------------------------------------------------


def test_components_grouped_ungrouped_first_with_text_status(get_page, incident, internet):
    _response, page = get_page()

    section = find(page, "section", cls="components-block")
    assert [text(h) for h in find_all(section, "h3", cls="group-name")] == ["Applications", "Servers"]
    assert components(section) == [
        ("Internet", "operational", "Operational"),
        ("ERP", "partial_outage", "Partial outage"),
        ("File server", "major_outage", "Major outage"),
    ]
    assert text(find(page, "section", cls="overall")).startswith("Critical outage")


def test_all_quiet_page(get_page, file_server):
    _response, page = get_page()

    assert "overall-none" in dict(find(page, "section", cls="overall").attributes)["class"]
    assert "All systems operational" in text(find(page, "section", cls="overall"))
    assert "There are no active incidents." in text(live(page))
    assert components(page) == [("File server", "operational", "Operational")]


def test_active_incident_facts(get_page, incident, account_manager):
    with time_machine.travel(datetime(2025, 6, 3, 9, 0, tzinfo=UTC), tick=False):
        incident_flow.post_update(incident=incident, author=account_manager, message="Cause found.",
                                      status="identified", workaround="Save your work on the **local** disk.")
        _response, page = get_page()

    article = find(page, "article", id=f"incident-{incident.customer_links.get().number}")
    assert text(find(article, "h3")) == "Server outage"
    facts = text(find(article, "dl", cls="facts"))
    assert incident.customer_links.get().number in facts
    assert "Critical – everything is down" in facts
    assert "Identified" in facts
    assert "Started" in facts
    # Critical cadence is 30 minutes after the last public update (11:00 in Amsterdam).
    assert text(find(article, "p", cls="next-update")) == "Next update expected at 11:30 CEST"
    workaround = find(article, "div", cls="workaround")
    assert "What you can do meanwhile" in text(workaround)
    assert text(find(workaround, "strong")) == "local"  # the workaround is rendered Markdown
    assert components(find(article, "ul", cls="components")) == [
        ("File server", "major_outage", "Major outage"),
        ("ERP", "partial_outage", "Partial outage"),
    ]


def test_resolved_incident_promises_no_next_update(get_page, incident, account_manager):
    resolve(incident, account_manager)

    response, page = get_page()

    assert list(find_all(page, "p", cls="next-update")) == []
    assert "Next update expected" not in response.content.decode()
    assert "There are no active incidents." in text(find(page, "section", cls="active"))


def test_public_updates_newest_first(get_page, incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, message="Second: disk replaced.")
    incident_flow.post_update(incident=incident, author=account_manager, message="Third: restoring data.",
                                  status="monitoring")

    _response, page = get_page()

    updates = [text(li) for li in find_all(page, "li", cls="update")]
    assert len(updates) == 3
    assert updates[0].startswith("Monitoring") and "Third: restoring data." in updates[0]
    assert updates[1].startswith("Investigating") and "Second: disk replaced." in updates[1]
    assert "We are investigating an outage of the file server." in updates[2]


def test_reopened_update_is_labelled(get_page, incident, account_manager):
    resolve(incident, account_manager)
    incident_flow.reopen(incident=incident, author=account_manager, message="The outage is back.")

    _response, page = get_page()

    newest = next(find_all(page, "li", cls="update"))
    assert text(newest).startswith("Reopened")
    assert "The outage is back." in text(newest)


def test_each_incident_shows_its_own_component_status(get_page, incident, file_server, account_manager):
    second = open_incident(incident.customers.get(), account_manager, title="Slow backups",
                           component_statuses={file_server: "degraded_performance"})
    number = second.customer_links.get().number

    _response, page = get_page()

    article = find(page, "article", id=f"incident-{number}")
    assert components(article) == [("File server", "degraded_performance", "Degraded performance")]
    # The component itself shows the worst status across open incidents.
    assert ("File server", "major_outage", "Major outage") in components(find(page, "section", cls="components-block"))


def test_active_incidents_most_severe_first(get_page, customer, account_manager, incident):
    open_incident(customer, account_manager, title="Low thing", severity="low")
    open_incident(customer, account_manager, title="High thing", severity="high")

    _response, page = get_page()

    titles = [text(find(article, "h3")) for article in find_all(page, "article", cls="incident")]
    assert titles == ["Server outage", "High thing", "Low thing"]


# --- what the page never shows ---------------------------------------------------------------


def test_internal_notes_authors_and_internal_facts_never_shown(get_page, incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, message=SECRET, is_internal=True)
    incident_flow.post_update(incident=incident, author=account_manager, message="Public news.",
                                  root_cause="ROOTCAUSE-raid-controller")

    for htmx in (False, True):
        response, _page = get_page(htmx=htmx)
        html = response.content.decode()
        assert "Public news." in html
        assert SECRET not in html
        assert "anna" not in html  # the author's username
        assert "Production planning is down." not in html  # business impact is internal-facing
        assert "ROOTCAUSE-raid-controller" not in html


def test_shared_incident_shows_each_customer_only_its_own(get_page, incident, other_customer, mail,
                                                         account_manager):
    incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                                   component_statuses={mail: "partial_outage"})
    ours = incident.customer_links.get(customer__slug="midsize").number
    theirs = incident.customer_links.get(customer=other_customer).number

    response, page = get_page("midsize")
    html = response.content.decode()
    assert ours in html
    assert theirs not in html
    assert "Northwind" not in html
    assert "Mail gateway" not in html
    assert [name for name, *_ in components(find(page, "article", id=f"incident-{ours}"))] == ["File server", "ERP"]

    response, page = get_page("northwind")
    html = response.content.decode()
    assert theirs in html
    assert ours not in html
    assert "MidSize" not in html
    assert "File server" not in html and "ERP" not in html
    assert components(find(page, "article", id=f"incident-{theirs}")) == [
        ("Mail gateway", "partial_outage", "Partial outage")
    ]
    assert "Server outage" in html  # the shared facts are shown to both


def test_other_customers_incidents_not_listed(get_page, incident, other_customer, other_account_manager):
    open_incident(other_customer, other_account_manager, title="Northwind only problem")

    response, _page = get_page("midsize")

    assert "Northwind only problem" not in response.content.decode()


def test_script_and_html_in_user_text_are_escaped(get_page, customer, account_manager):
    incident = open_incident(customer, account_manager, title='<img src=x onerror="alert(1)">',
                             message="<script>alert(1)</script> and [click](javascript:alert(2))",
                             workaround="<b onmouseover=alert(3)>hover</b>")

    for htmx in (False, True):
        response, _page = get_page(htmx=htmx)
        html = response.content.decode()
        assert incident.customer_links.get().number in html
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img" not in html
        assert "&lt;img src=x onerror=" in html
        assert 'href="javascript' not in html.replace(" ", "")
        assert "<b onmouseover" not in html


# --- resolved incidents ----------------------------------------------------------------------


def test_resolved_in_last_seven_days_shown_older_not(get_page, customer, account_manager):
    now = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=10), tick=False):
        old = open_incident(customer, account_manager, title="Old outage")
    with time_machine.travel(now - timedelta(days=8), tick=False):
        resolve(old, account_manager, message="Old outage fixed.")
    with time_machine.travel(now - timedelta(days=3), tick=False):
        recent = open_incident(customer, account_manager, title="Recent outage")
    with time_machine.travel(now - timedelta(days=2), tick=False):
        resolve(recent, account_manager, message="Recent outage **fixed**: switch replaced.")

    with time_machine.travel(now, tick=False):
        response, page = get_page()

    section = find(page, "section", cls="resolved")
    assert text(find(section, "h2")) == "Resolved in the last 7 days"
    article = find(section, "article", id=f"incident-{recent.customer_links.get().number}")
    assert text(find(article, "h3")) == "Recent outage"
    assert "switch replaced." in text(article)
    assert "we are looking into it" not in text(article)  # only the last public message
    assert text(find(article, "strong")) == "fixed"  # the resolution message is rendered Markdown
    assert "8 June 2025, 14:00 CEST" in text(article)
    html = response.content.decode()
    assert "Old outage" not in html
    assert old.customer_links.get().number not in html
    assert "There are no active incidents." in html


def test_no_resolved_section_when_nothing_resolved(get_page, incident):
    response, _page = get_page()

    assert "Resolved in the last" not in response.content.decode()


# --- time zone and language ------------------------------------------------------------------


def test_times_in_the_customers_time_zone(get_page, customer, other_customer, mail, account_manager,
                                          other_account_manager):
    with time_machine.travel(datetime(2025, 6, 3, 12, 0, tzinfo=UTC), tick=False):
        ours = open_incident(customer, account_manager, title="Amsterdam outage", severity="critical")
        theirs = open_incident(other_customer, other_account_manager, title="London outage", severity="critical",
                               component_statuses={mail: "major_outage"})
        _response, amsterdam = get_page("midsize")
        _response, london = get_page("northwind")

    article = find(amsterdam, "article", id=f"incident-{ours.customer_links.get().number}")
    assert "3 June 2025, 14:00 CEST" in text(article)
    assert text(find(article, "p", cls="next-update")) == "Next update expected at 14:30 CEST"
    # "Last updated" is the last public change (here the fixtures' creation, after 2025), in Amsterdam time.
    assert text(find(amsterdam, "section", cls="overall")).endswith((" CET", " CEST"))

    article = find(london, "article", id=f"incident-{theirs.customer_links.get().number}")
    assert "3 June 2025, 13:00 BST" in text(article)
    assert text(find(article, "p", cls="next-update")) == "Next update expected at 13:30 BST"
    assert "Europe/London" in text(find(london, "footer"))


def test_winter_time_abbreviation(get_page, customer, account_manager):
    with time_machine.travel(datetime(2025, 1, 15, 8, 5, tzinfo=UTC), tick=False):
        incident = open_incident(customer, account_manager)
        _response, page = get_page()

    article = find(page, "article", id=f"incident-{incident.customer_links.get().number}")
    assert "15 January 2025, 09:05 CET" in text(article)


def test_language_defaults_to_the_customers(get_page, customer, other_customer):
    response, page = get_page("midsize", lang=None)
    assert dict(page.attributes)["lang"] == "nl"
    assert response.headers["Content-Language"] == "nl"
    current = [a for a in find_all(page, "a") if ("aria-current", "true") in a.attributes]
    assert [dict(a.attributes)["hreflang"] for a in current] == ["nl"]
    with translation.override("nl"):  # whatever the nl catalog says, the page says it too
        assert text(find(page, "h2", id="overall-heading")) == gettext("All systems operational")

    response, page = get_page("northwind", lang=None)
    assert dict(page.attributes)["lang"] == "en"
    assert response.headers["Content-Language"] == "en"
    assert text(find(page, "h2", id="overall-heading")) == "All systems operational"


def test_language_switch_overrides_for_the_request(get_page, customer):
    response, page = get_page(lang="de")

    assert dict(page.attributes)["lang"] == "de"
    assert response.headers["Content-Language"] == "de"
    with translation.override("de"):
        assert text(find(page, "h2", id="overall-heading")) == gettext("All systems operational")
    links = {dict(a.attributes)["hreflang"]: a for a in find_all(find(page, "nav", cls="languages"), "a")}
    assert {code: dict(a.attributes)["href"] for code, a in links.items()} == {
        "en": "?lang=en", "nl": "?lang=nl", "de": "?lang=de"}
    assert ("aria-current", "true") in links["de"].attributes
    assert dict(live(page).attributes)["hx-get"] == "/status/midsize/?lang=de"

    # The override lasts for that request only.
    _response, page = get_page(lang=None)
    assert dict(page.attributes)["lang"] == "nl"
    assert dict(live(page).attributes)["hx-get"] == "/status/midsize/"


@pytest.mark.parametrize("value", ["xx", "", "NL", "en-gb", "<script>"])
def test_invalid_language_is_ignored(get_page, customer, value):
    response, page = get_page(lang=value)

    assert dict(page.attributes)["lang"] == "nl"
    assert dict(live(page).attributes)["hx-get"] == "/status/midsize/"
    assert "&lt;script" not in response.content.decode()


# --- live refresh, headers, access -----------------------------------------------------------


def test_poll_attributes_follow_the_setting(get_page, customer, settings):
    settings.KALM_STATUS_POLL_SECONDS = 45

    response, page = get_page(lang=None)

    attrs = dict(live(page).attributes)
    assert attrs["hx-trigger"] == "every 45s"
    assert attrs["hx-get"] == "/status/midsize/"
    assert attrs["hx-swap"] == "outerHTML"
    html = response.content.decode()
    assert '<meta name="htmx-config"' in html
    assert "/static/vendor/htmx.min.js" in html
    assert "/static/css/status.css" in html


def test_no_inline_script_or_style(get_page, incident):
    response, page = get_page()

    html = response.content.decode()
    assert "style=" not in html
    assert "<style" not in html
    assert [dict(s.attributes).get("src") for s in find_all(page, "script")] == ["/static/vendor/htmx.min.js"]


def test_htmx_request_gets_only_the_live_partial(get_page, incident):
    response, page = get_page(htmx=True, lang="en")

    html = response.content.decode()
    assert "<html" not in html
    assert "<head" not in html
    assert html.strip().startswith('<div id="status-live"')
    assert dict(page.attributes)["hx-get"] == "/status/midsize/?lang=en"
    assert components(page) != []
    assert "Server outage" in html
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_full_page(client, customer):
    response = client.get("/status/midsize/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert b"<html" in response.content


def test_cache_headers(get_page, customer):
    response, _page = get_page()

    assert response.headers["Cache-Control"] == "no-cache"
    vary = {v.strip() for v in response.headers["Vary"].split(",")}
    assert {"HX-Request", "Accept-Language"} <= vary


def test_private_page_is_not_found(client, db):
    CustomerFactory(slug="secretive", status_page_public=False)

    assert client.get("/status/secretive/").status_code == 404
    assert client.get("/status/secretive/", headers={"HX-Request": "true"}).status_code == 404


def test_unknown_slug_is_not_found(client, customer):
    assert client.get("/status/nobody/").status_code == 404


def test_only_safe_methods(client, customer):
    assert client.post("/status/midsize/").status_code == 405
    assert client.head("/status/midsize/").status_code == 200


# --- performance -----------------------------------------------------------------------------


def _queries_for_page(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/status/midsize/").status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_incidents(client, customer, file_server, erp, account_manager):
    def add_incident(n):
        incident = open_incident(customer, account_manager, title=f"Outage {n}",
                                 component_statuses={file_server: "partial_outage", erp: "degraded_performance"})
        incident_flow.post_update(incident=incident, author=account_manager, message=f"Update {n}.")
        incident_flow.post_update(incident=incident, author=account_manager, message="note", is_internal=True)
        return incident

    resolve(add_incident(0), account_manager)
    add_incident(1)
    one = _queries_for_page(client)

    for n in range(2, 7):
        add_incident(n)
    resolve(add_incident(7), account_manager)
    many = _queries_for_page(client)

    assert one == many
    # customer, maintenance windows, components, component changes (uptime), incident links, public updates,
    # affected components (maintenance components only when there are windows: tests/statuspage/test_uptime.py)
    assert many <= 8  # + the last public change ("Last updated")


def test_dates_are_written_the_way_each_language_writes_them(client, customer, account_manager):
    """The Dutch page wrote "6 Dec 2026" (English month, capital): each language has its own style now."""
    open_incident(customer, account_manager, started_at=datetime(2026, 12, 6, 9, 30, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 6, 10, 0, tzinfo=UTC)):
        pages = {language: client.get(f"/status/{customer.slug}/?lang={language}").text
                 for language in ("nl", "de", "en")}
    assert "6 december 2026, 10:30" in pages["nl"] and "Dec 2026" not in pages["nl"]
    assert "6. Dezember 2026, 10:30" in pages["de"]
    assert "6 December 2026, 10:30" in pages["en"]
