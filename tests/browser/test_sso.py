"""Single sign-on in Chromium against a real OpenID Connect provider on loopback (django-oauth-toolkit,
tests/accounts/oidc_idp): Kalm's login page, the SSO button, the IdP's own login form, back on
Kalm's dashboard as the manager the IdP's groups claim makes; someone in no mapped group is refused.

Kalm runs on localhost, the IdP on 127.0.0.1: two sites, as in production, and the SSO button's
POST is redirected to the IdP's origin, which Kalm's CSP form-action must allow on that page."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from incidents.selectors import user_is_manager
from tests.accounts.oidc_idp.server import oidc_idp  # noqa: F401  (the session fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_ID = "kalm-live-server"
CLIENT_SECRET = "kalm-live-server-secret-0123456789"
PASSWORD = "idp-browser-password"


@pytest.fixture
def sso(oidc_idp, live_server, settings, monkeypatch):  # noqa: F811
    oidc_idp.seed(
        users=[{"username": "mia", "email": "mia@msp.example", "first_name": "Mia", "last_name": "Manager",
                "password": PASSWORD, "groups": ["Kalm-Managers"]},
               {"username": "guest", "email": "guest@msp.example", "password": PASSWORD, "groups": ["All-Staff"]}],
        clients=[{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                  "redirect_uris": [f"{live_server.url}/accounts/oidc/sso/login/callback/"]}])
    oidc_idp.kalm_settings(settings, monkeypatch, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           name="Microsoft 365", manager_groups="Kalm-Managers",
                           customer_groups={"Team-Industry": ["midsize"]})
    return oidc_idp


def sign_in_at_the_idp(page, live_server, idp, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Microsoft 365").click()
    page.wait_for_url(re.compile(re.escape(idp.origin) + r"/login/"))
    page.fill("#idp-username", username)
    page.fill("#idp-password", PASSWORD)
    page.click("#idp-sign-in")


def test_signing_in_with_the_idp_lands_on_the_dashboard_as_the_mapped_manager(new_page, live_server, sso):
    page = new_page()
    sign_in_at_the_idp(page, live_server, sso, "mia")
    expect(page).to_have_url(f"{live_server.url}/console/")
    expect(page.locator(".topbar .account")).to_contain_text("Mia Manager")
    page.locator(".topbar .nav-more summary").click()  # the set-up pages are under "More"
    expect(page.get_by_role("link", name="Sign-in lockouts")).to_be_visible()  # managers only
    mia = get_user_model().objects.get(email="mia@msp.example")
    assert user_is_manager(mia)


def test_someone_in_no_mapped_group_is_refused(new_page, live_server, sso):
    page = new_page()
    sign_in_at_the_idp(page, live_server, sso, "guest")
    expect(page.get_by_role("heading", name="No access to Kalm")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}/accounts/oidc/sso/login/callback/")
    assert not get_user_model().objects.filter(email="guest@msp.example").exists()
    page.goto(f"{live_server.url}/console/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/console/$"))
