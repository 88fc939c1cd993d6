"""API tokens from the receiving end: a token is created on the console page, its raw value
read from the HTML that answered, and then a client uses it against /api/v1/ — until it is
revoked (401 "Token revoked."), expires (401 "Token expired."), or because it may only read
(403 on anything but GET/HEAD, with nothing written). Who sees and revokes which tokens:
everyone their own, managers everyone's; an account manager gets 404 for another user's.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.models import ApiToken, token_hash
from incidents.models import Incident
from tests.api.test_api import ApiClient, nothing_written, open_body
from tests.factories import UserFactory
from tests.statuspage.dom import find, find_all, parse, text

URL = "/console/api-tokens/"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def console(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client: Client, **data: str) -> str:
    """Create a token on the console page; the raw token as the answering page shows it."""
    response = client.post(URL, {"name": "monitoring", "scope": "write", "days": "90"} | data)
    assert response.status_code == 200, response.content
    return raw_token_in(response.text)


def raw_token_in(html: str) -> str:
    raw = dict(find(parse(html), "input", id="raw-token").attributes)["value"]
    assert raw.startswith("kalm_")
    return raw


def rows(html: str) -> list[list[str]]:
    table = find(parse(html), "table", cls="api-tokens")
    return [[text(cell) for cell in find_all(row, "td")] for row in find_all(table, "tr") if list(find_all(row, "td"))]


def revoke_url(token: ApiToken) -> str:
    return reverse("tokens:revoke", args=[token.pk])


# --- the whole way: create on the page, use, revoke ----------------------------------------


def test_a_token_created_on_the_console_works_until_it_is_revoked(account_manager, incident, customer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(account_manager)
    page = browser.get(URL)
    assert page.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    created = browser.post(URL, {"csrfmiddlewaretoken": csrf, "name": "alertmanager", "scope": "write", "days": "30"})
    assert created.status_code == 200
    raw = raw_token_in(created.text)
    assert "no-store" in created["Cache-Control"]  # the page holding the token is never cached
    assert "only this once" in created.text
    token = ApiToken.objects.get(user=account_manager)
    assert (token.name, token.scope, token.prefix, token.key_hash) == ("alertmanager", "write", raw[:12],
                                                                        token_hash(raw))

    api = ApiClient(raw)
    assert api.get("/incidents").json()["count"] == 1
    opened = api.post("/incidents", open_body(components=[]))
    assert opened.status_code == 201, opened.content

    listed = browser.get(URL).text
    assert raw not in listed  # shown once: the list has the prefix only
    [row] = rows(listed)
    name, prefix, scope, _created, last_used, _expires, state, revoke = row
    assert (name, prefix, scope, state, revoke) == ("alertmanager", f"{raw[:12]}…", "Read and write", "Active",
                                                    f"Revoke {raw[:12]}…")
    assert last_used != "Never"  # the two calls above

    revoked = browser.post(revoke_url(token), {"csrfmiddlewaretoken": csrf})
    assert revoked.status_code == 302 and revoked.url == URL
    assert "revoked: it no longer works" in browser.get(URL).text
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == account_manager

    with nothing_written():
        refused = api.post("/incidents", open_body(components=[]))
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Token revoked."}
    assert api.get("/incidents").json() == {"detail": "Token revoked."}
    assert "Revoked" in rows(browser.get(URL).text)[0][-2]


def test_revoking_needs_the_csrf_token(account_manager):
    raw = create(console(account_manager))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(account_manager)
    token = ApiToken.objects.get()
    assert browser.post(revoke_url(token)).status_code == 403
    assert ApiClient(raw).get("/incidents").status_code == 200


def test_revoking_is_a_post(account_manager):
    create(console(account_manager))
    assert console(account_manager).get(revoke_url(ApiToken.objects.get())).status_code == 405


def test_revoking_twice_keeps_the_first_time(account_manager, clock):
    client = console(account_manager)
    create(client)
    token = ApiToken.objects.get()
    client.post(revoke_url(token))
    clock.shift(timedelta(minutes=5))
    response = client.post(revoke_url(token), follow=True)
    assert "already revoked" in response.text
    token.refresh_from_db()
    assert token.revoked_at == T0


# --- expiry ----------------------------------------------------------------------------------


def test_a_token_stops_working_when_it_expires(account_manager, incident, clock):
    raw = create(console(account_manager), days="1")
    api = ApiClient(raw)
    clock.shift(timedelta(days=1) - timedelta(seconds=1))
    assert api.get("/incidents").status_code == 200
    clock.shift(timedelta(seconds=1))
    response = api.get("/incidents")
    assert response.status_code == 401
    assert response.json() == {"detail": "Token expired."}
    with nothing_written():
        assert api.post("/incidents", open_body(components=[])).json() == {"detail": "Token expired."}
    [row] = rows(console(account_manager).get(URL).text)
    assert "Expired" in row[-2] and row[-1] == ""  # nothing left to revoke


def test_the_default_expiry_is_KALM_API_TOKEN_DAYS(account_manager, settings, clock):
    settings.KALM_API_TOKEN_DAYS = 30
    client = console(account_manager)
    days = dict(find(parse(client.get(URL).text), "input", id="id_days").attributes)
    assert (days["value"], days["min"], days["max"]) == ("30", "1", "365")
    create(client, days="30")
    assert ApiToken.objects.get().expires_at == T0 + timedelta(days=30)
    ApiToken.issue(user=account_manager)
    assert ApiToken.objects.order_by("pk").last().expires_at == T0 + timedelta(days=30)


# --- read-only tokens --------------------------------------------------------------------------


def test_a_read_token_reads_and_writes_nothing(account_manager, incident, customer):
    api = ApiClient(create(console(account_manager), scope="read"))
    number = incident.customer_links.get().number
    assert api.get("/incidents").json()["count"] == 1
    assert api.get(f"/incidents/{number}").status_code == 200
    for path, body in [("/incidents", open_body(components=[])),
                       (f"/incidents/{number}/updates", {"message": "Still on it."}),
                       (f"/incidents/{number}/reopen", {"message": "Back."})]:
        with nothing_written():
            response = api.post(path, body)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "This token can only read."}
    assert Incident.objects.count() == 1


def test_a_read_token_is_the_console_default(account_manager):
    html = console(account_manager).get(URL).text
    checked = [dict(radio.attributes)["value"] for radio in find_all(parse(html), "input")
               if dict(radio.attributes).get("name") == "scope" and "checked" in dict(radio.attributes)]
    assert checked == ["read"]


# --- last use ------------------------------------------------------------------------------------


def test_last_use_is_written_at_most_once_a_minute(account_manager, incident, clock):
    client = console(account_manager)
    api = ApiClient(create(client))
    token = ApiToken.objects.get()
    assert token.last_used_at is None and "Never" in rows(client.get(URL).text)[0]

    def use() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/incidents").status_code == 200
        return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "kalm_apitoken" in q["sql"]]

    assert len(use()) == 1
    clock.shift(timedelta(seconds=59))
    assert use() == [] and use() == []
    token.refresh_from_db()
    assert token.last_used_at == T0
    clock.shift(timedelta(seconds=1))
    assert len(use()) == 1
    token.refresh_from_db()
    assert token.last_used_at == T0 + timedelta(minutes=1)
    assert "23 November 2026, 10:01 CET" in rows(client.get(URL).text)[0]


def test_a_refused_request_is_not_a_use(account_manager, incident):
    api = ApiClient(create(console(account_manager), scope="read"))
    api.post("/incidents", open_body(components=[]))
    assert ApiToken.objects.get().last_used_at is None


# --- the form ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"scope": "admin"}, "scope", "Select a valid choice."),
        ({"scope": ""}, "scope", "This field is required."),
        ({"days": "0"}, "days", "greater than or equal to 1"),
        ({"days": "366"}, "days", "less than or equal to 365"),
        ({"days": "ninety"}, "days", "Enter a whole number."),
        ({"days": ""}, "days", "This field is required."),
    ],
)
def test_bad_input_is_named_per_field_and_creates_nothing(account_manager, data, field, message):
    response = console(account_manager).post(URL, {"name": "monitoring", "scope": "write", "days": "90"} | data)
    assert response.status_code == 422
    assert message in response.text
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert not ApiToken.objects.exists()
    assert 'id="raw-token"' not in response.text


# --- who sees and revokes what -------------------------------------------------------------------


def test_an_account_manager_sees_and_revokes_only_their_own(account_manager, other_account_manager, incident):
    mine = create(console(account_manager), name="mine")
    theirs = create(console(other_account_manager), name="theirs")
    their_token = ApiToken.objects.get(user=other_account_manager)
    client = console(account_manager)

    html = client.get(URL).text
    assert [row[0] for row in rows(html)] == ["mine"]
    assert theirs[:12] not in html and "otto" not in html

    assert client.post(revoke_url(their_token)).status_code == 404
    missing = ApiToken(pk=their_token.pk + 1000)
    assert client.post(revoke_url(missing)).status_code == 404  # the same answer as for no token at all
    their_token.refresh_from_db()
    assert their_token.revoked_at is None
    assert ApiClient(theirs).get("/incidents").status_code == 200
    assert ApiClient(mine).get("/incidents").status_code == 200


def test_a_manager_sees_and_revokes_everyones(account_manager, other_account_manager, manager, incident):
    theirs = create(console(other_account_manager), name="otto's script")
    create(console(account_manager), name="anna's script")
    client = console(manager)

    listed = rows(client.get(URL).text)
    assert [(row[0], row[1]) for row in listed] == [("anna", "anna's script"), ("otto", "otto's script")]
    token = ApiToken.objects.get(user=other_account_manager)
    assert client.post(revoke_url(token)).status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == manager
    assert ApiClient(theirs).get("/incidents").json() == {"detail": "Token revoked."}
    # The owner sees that it was revoked, and by whom.
    [row] = rows(console(other_account_manager).get(URL).text)
    assert "Revoked" in row[-2] and "maria" in row[-2]


def test_anonymous_is_sent_to_sign_in(db):
    client = Client()
    login = resolve_url(settings.LOGIN_URL)
    for response in (client.get(URL), client.post(URL, {"name": "x", "scope": "write", "days": "1"}),
                     client.post(reverse("tokens:revoke", args=[1]))):
        assert response.status_code == 302 and response.url.startswith(login)
    assert not ApiToken.objects.exists()


def test_users_who_are_not_msp_staff_get_403(db):
    assert console(UserFactory(username="nobody")).get(URL).status_code == 403


def test_the_console_navigation_links_to_the_page(account_manager, incident):
    html = console(account_manager).get(reverse("incidents:dashboard")).text
    assert f'href="{URL}"' in html
