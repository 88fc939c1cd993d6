"""Passkeys in Chromium with a virtual authenticator (Chrome DevTools Protocol, WebAuthn domain):
a signed-in user registers a passkey on the account pages (allauth's own webauthn.js, allowed by
the CSP as a same-origin file), then signs in with it from the login page without a password.

http://localhost is a secure context, so WebAuthn works on the live server as it does on https."""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "anna-passkey-pw"


@pytest.fixture
def anna(customer):
    user = UserFactory(username="anna", password=PASSWORD, first_name="Anna", last_name="Jansen")
    customer.account_managers.add(user)
    return user


def with_virtual_authenticator(page) -> tuple:
    """A platform authenticator that holds passkeys and verifies the user without asking."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def test_register_a_passkey_then_sign_in_with_it(new_page, live_server, anna):
    page = new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    cdp, authenticator_id = with_virtual_authenticator(page)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/console/")

    page.get_by_role("link", name="Account security").click()
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.fill("#id_password", PASSWORD)  # allauth asks again before a second factor is added
    page.get_by_role("button", name="Confirm").click()
    page.check("#id_passwordless")  # a passkey: it signs in on its own, not only as a second factor
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/recovery-codes/")
    passkey = Authenticator.objects.get(user=anna, type=Authenticator.Type.WEBAUTHN)
    assert passkey.wrap().is_passwordless
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{live_server.url}/console/")
    expect(page.locator(".topbar .account")).to_contain_text("Anna Jansen")
    assert not [error for error in errors if "Content Security Policy" in error], errors
