"""Second factors (django-allauth MFA): an authenticator app is enrolled with a real code, then
signing in needs the code; a recovery code works once; KALM_MFA_REQUIRED sends the users it
covers to the two-factor page before any console page."""

import time
from datetime import timedelta

import pytest
import time_machine
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from tests.accounts.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db


def totp_code(secret: str, at: float | None = None) -> str:
    """What an authenticator app shows now (RFC 6238, 30-second steps, 6 digits)."""
    return format_hotp_value(hotp_value(secret, int((at or time.time()) // 30)))


def enrol_totp(client, password: str = PASSWORD) -> str:
    """Activate an authenticator app through the pages, as a signed-in user does; returns its secret.

    allauth asks for the password again before a second factor is added (a borrowed session
    cannot lock its owner out with an authenticator of its own)."""
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 302 and page.url.startswith(reverse("account_reauthenticate")), page
    page = client.post(page.url, {"password": password}, follow=True)
    assert page.status_code == 200, page
    secret = page.context["form"].secret
    assert secret in page.text  # shown for typing into the app, beside the QR code
    assert 'src="data:image/svg+xml;base64,' in page.text  # the QR code needs no script (CSP img-src data:)
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302 and response.url == reverse("mfa_view_recovery_codes")
    return secret


def give_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def test_enrolling_an_authenticator_app_then_signing_in_needs_its_code(client, account_manager):
    log_in(client, "anna")
    secret = enrol_totp(client)
    assert Authenticator.objects.filter(user=account_manager, type=Authenticator.Type.TOTP).exists()
    recovery_page = client.get(reverse("mfa_view_recovery_codes")).text
    assert "<textarea" in recovery_page  # the codes to print or store
    client.post(reverse("logout"))

    response = log_in(client, "anna")
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert client.get(reverse("incidents:dashboard")).status_code == 302  # not signed in yet
    page = client.get(reverse("mfa_authenticate")).text
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "Incorrect code." in wrong.text
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):  # the next code: each is used once
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302 and response.url == reverse("incidents:dashboard")
    assert client.get(reverse("incidents:dashboard")).status_code == 200


def test_a_recovery_code_signs_in_once(client, account_manager):
    give_totp(account_manager)
    codes = RecoveryCodes(Authenticator.objects.get(user=account_manager,
                                                    type=Authenticator.Type.RECOVERY_CODES)).get_unused_codes()
    assert len(codes) == 10

    log_in(client, "anna")
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302 and response.url == reverse("incidents:dashboard")
    client.post(reverse("logout"))

    log_in(client, "anna")
    again = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200 and "Incorrect code." in again.text
    assert client.post(reverse("mfa_authenticate"), {"code": codes[1]}).status_code == 302


def test_the_account_pages_are_in_the_console_layout(client, account_manager):
    log_in(client, "anna")
    html = client.get(reverse("mfa_index")).text
    assert 'class="topbar"' in html and 'class="account-nav"' in html
    assert 'href="/accounts/2fa/totp/activate/"' in html and 'href="/accounts/2fa/webauthn/add/"' in html
    assert "<script>" not in html and " style=" not in html


class TestMfaRequired:
    @pytest.fixture(autouse=True)
    def _managers_need_mfa(self, settings):
        settings.KALM_MFA_REQUIRED = "managers"

    def test_a_manager_without_a_second_factor_is_sent_to_set_one_up(self, client, manager, incident):
        client.force_login(manager)
        for url in [reverse("incidents:dashboard"), reverse("incidents:detail", args=[incident.pk]), "/admin/"]:
            response = client.get(url)
            assert response.status_code == 302 and response.url == reverse("mfa_index"), url
        page = client.get(reverse("mfa_index")).text
        assert "Your organisation requires two-factor authentication." in page

    def test_htmx_requests_are_sent_there_as_a_whole_page(self, client, manager):
        client.force_login(manager)
        response = client.get(reverse("incidents:dashboard"), headers={"HX-Request": "true"})
        assert response.headers["HX-Redirect"] == reverse("mfa_index")

    def test_an_account_manager_is_not_covered(self, client, account_manager):
        client.force_login(account_manager)
        assert client.get(reverse("incidents:dashboard")).status_code == 200
        assert "requires two-factor" not in client.get(reverse("mfa_index")).text

    def test_everyone_covers_account_managers_too(self, client, account_manager, settings):
        settings.KALM_MFA_REQUIRED = "everyone"
        client.force_login(account_manager)
        assert client.get(reverse("incidents:dashboard")).url == reverse("mfa_index")

    def test_with_a_second_factor_the_console_opens(self, client, manager):
        give_totp(manager)
        client.force_login(manager)
        assert client.get(reverse("incidents:dashboard")).status_code == 200

    def test_enrolling_from_the_redirect_opens_the_console(self, client, manager):
        log_in(client, "maria")
        assert client.get(reverse("incidents:dashboard")).url == reverse("mfa_index")
        enrol_totp(client)
        assert client.get(reverse("incidents:dashboard")).status_code == 200

    def test_the_api_and_the_status_pages_are_not_touched(self, client, manager, customer):
        _token, raw = ApiToken.issue(user=manager, name="ci")
        response = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 200
        client.force_login(manager)
        assert client.get(f"/status/{customer.slug}/").status_code == 200
        assert client.get(reverse("login")).status_code in (200, 302)

    def test_a_session_signed_in_through_the_idp_is_left_to_the_idp(self, client, manager, rf):
        client.force_login(manager)
        session = client.session
        request = rf.get("/")
        request.session = session
        record_authentication(request, manager, "socialaccount", provider="sso", uid="x")
        session.save()
        assert client.get(reverse("incidents:dashboard")).status_code == 200

    def test_nobody_is_covered_by_default(self, client, manager, settings):
        settings.KALM_MFA_REQUIRED = ""
        client.force_login(manager)
        assert client.get(reverse("incidents:dashboard")).status_code == 200
