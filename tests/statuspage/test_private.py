"""Private status pages: a secret link or a login that may see the customer; otherwise 404 everywhere."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from statuspage.access import COOKIE_NAME, access_token
from tests.factories import CustomerFactory, UserFactory
from tests.statuspage.dom import find_all, parse
from tests.statuspage.helpers import maintenance, number, open_incident

pytestmark = pytest.mark.django_db

PATHS = [
    "/status/midsize/",
    "/status/midsize/history/",
    "/status/midsize/history.rss",
    "/status/midsize/history.atom",
    "/status/midsize/maintenance.ics",
    "/status/midsize/badge.svg",
    "/status/midsize/api/v2/summary.json",
    "/status/midsize/api/v2/status.json",
    "/status/midsize/api/v2/components.json",
    "/status/midsize/api/v2/incidents.json",
    "/status/midsize/api/v2/incidents/unresolved.json",
    "/status/midsize/api/v2/scheduled-maintenances.json",
    "/status/midsize/api/v2/scheduled-maintenances/upcoming.json",
    "/status/midsize/api/v2/scheduled-maintenances/active.json",
]


@pytest.fixture
def private(customer, incident):
    customer.status_page_public = False
    customer.save()
    return customer


@pytest.fixture
def token(private):
    return access_token(private)


def all_paths(incident):
    return [*PATHS, f"/status/midsize/incidents/{number(incident)}/"]


def assert_private_headers(response):
    assert response.headers["X-Robots-Tag"] == "noindex"
    cache_control = {v.strip() for v in response.headers["Cache-Control"].split(",")}
    assert "private" in cache_control and "public" not in cache_control
    assert "Cookie" in response.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_anonymous_gets_404_everywhere(client, private, incident):
    for path in all_paths(incident):
        assert client.get(path).status_code == 404, path
    assert client.get("/status/midsize/", headers={"HX-Request": "true"}).status_code == 404


def test_secret_link_opens_everything(client, private, incident, token):
    for path in all_paths(incident):
        response = client.get(path, {"token": token})
        assert response.status_code == 200, path
        assert_private_headers(response)


def test_wrong_or_foreign_token_is_404(client, private, incident, token, other_customer):
    other_token = access_token(other_customer)
    for wrong in ("nope", token[:-1], token + "x", other_token, ""):
        assert client.get("/status/midsize/", {"token": wrong}).status_code == 404, wrong
        assert client.get("/status/midsize/api/v2/summary.json", {"token": wrong}).status_code == 404


def test_page_is_noindex_and_its_links_keep_working(client, private, incident, token):
    response = client.get("/status/midsize/", {"token": token})

    html = response.content.decode()
    assert '<meta name="robots" content="noindex">' in html
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["path"] == "/status/midsize/"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert token not in cookie.value
    # The cookie now opens the page's own links without the token …
    assert client.get(f"/status/midsize/incidents/{number(incident)}/").status_code == 200
    assert client.get("/status/midsize/history/").status_code == 200
    # … and links meant for feed readers and calendars carry the token.
    page = parse(html)
    hrefs = {dict(a.attributes)["href"] for a in find_all(page, "a")}
    assert f"/status/midsize/history.rss?token={token}" in hrefs
    assert f"/status/midsize/maintenance.ics?token={token}" in hrefs
    assert f"/status/midsize/api/v2/summary.json?token={token}" in hrefs
    assert f'href="/status/midsize/history.atom?token={token}"' in html  # <link rel="alternate">


def test_feed_items_link_with_the_token(client, private, incident, token):
    body = client.get("/status/midsize/history.rss", {"token": token}).content.decode()

    assert f"/status/midsize/incidents/{number(incident)}/?token={token}</link>" in body


def test_calendar_events_link_with_the_token(client, private, token, erp):
    window = maintenance(private, start=timedelta(days=1), components=[erp], now=timezone.now())

    body = client.get("/status/midsize/maintenance.ics", {"token": token}).content.decode().replace("\r\n ", "")

    assert f"URL:http://127.0.0.1:8000/status/midsize/?token={token}#maintenance-{window.pk}" in body


def test_cookie_does_not_open_another_private_page(client, private, token, account_manager):
    other = CustomerFactory(slug="other-private", status_page_public=False)
    access_token(other)
    response = client.get("/status/midsize/", {"token": token})

    client.cookies[COOKIE_NAME] = response.cookies[COOKIE_NAME].value  # sent to every path from now on
    assert client.get("/status/midsize/").status_code == 200
    assert client.get("/status/other-private/").status_code == 404


def test_rotation_revokes_links_and_cookies(client, private, token):
    response = client.get("/status/midsize/", {"token": token})
    client.cookies[COOKIE_NAME] = response.cookies[COOKIE_NAME].value

    call_command("statuspage_link", "midsize", "--rotate", stdout=io.StringIO())

    assert client.get("/status/midsize/").status_code == 404
    assert client.get("/status/midsize/", {"token": token}).status_code == 404
    assert client.get("/status/midsize/", {"token": access_token(private)}).status_code == 200


def test_account_manager_and_manager_may_look(client, private, incident, account_manager, manager):
    for user in (account_manager, manager):
        client.force_login(user)
        for path in all_paths(incident):
            response = client.get(path)
            assert response.status_code == 200, (user, path)
            assert_private_headers(response)
        assert COOKIE_NAME not in client.get("/status/midsize/").cookies


def test_other_customers_account_manager_may_not(client, private, incident, other_account_manager):
    client.force_login(other_account_manager)

    for path in all_paths(incident):
        assert client.get(path).status_code == 404, path


def test_deactivated_or_unassigned_user_may_not(client, private, account_manager):
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/status/midsize/").status_code == 404

    client.force_login(account_manager)
    assert client.get("/status/midsize/").status_code == 200
    account_manager.is_active = False
    account_manager.save()
    assert client.get("/status/midsize/").status_code == 404


def test_public_page_keeps_public_headers(client, customer, incident):
    token = access_token(customer)

    for params in ({}, {"token": token}):
        response = client.get("/status/midsize/", params)
        assert response.status_code == 200
        assert "X-Robots-Tag" not in response.headers
        assert response.headers["Cache-Control"] == "no-cache"
        assert b'name="robots"' not in response.content
        assert COOKIE_NAME not in response.cookies
        hrefs = {dict(a.attributes)["href"] for a in find_all(parse(response.content.decode()), "a")}
        assert "/status/midsize/history.rss" in hrefs  # no token in a public page's links


def test_statuspage_link_command(capsys, private):
    call_command("statuspage_link", "midsize")
    first = capsys.readouterr().out.strip()
    assert first == f"http://127.0.0.1:8000/status/midsize/?token={access_token(private)}"  # created on demand
    call_command("statuspage_link", "midsize")
    assert capsys.readouterr().out.strip() == first

    call_command("statuspage_link", "midsize", "--rotate")
    rotated = capsys.readouterr().out.strip()

    assert rotated != first
    assert rotated == f"http://127.0.0.1:8000/status/midsize/?token={access_token(private)}"
    with pytest.raises(CommandError):
        call_command("statuspage_link", "nobody")


def test_new_incident_on_a_private_page_is_still_private(client, private, account_manager):
    incident = open_incident(private, account_manager, title="Hidden")

    assert client.get(f"/status/midsize/incidents/{number(incident)}/").status_code == 404
