"""Login throttling with django-axes: five failures for one username from one address lock that
pair out (HTTP 429, a page that says what to do), on the password form and on the second-factor
step alike; managers see and lift lockouts in the console, account managers cannot."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from accounts.services import remember_language
from tests.accounts.conftest import PASSWORD, log_in
from tests.accounts.test_mfa import give_totp, totp_code

pytestmark = pytest.mark.django_db

LOCKOUTS = "/console/security/lockouts/"


def fail(client, username="anna", times=1, **extra):
    return [log_in(client, username, "not-the-password", **extra) for _ in range(times)]


def test_the_fifth_failure_locks_the_pair_out_even_for_the_right_password(client, account_manager):
    responses = fail(client, times=4)
    assert [response.status_code for response in responses] == [200] * 4
    locked = fail(client)[0]
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text and "30 minutes" in locked.text
    assert 'class="card narrow auth"' in locked.text  # the console's look
    assert log_in(client, "anna").status_code == 429
    assert client.get(reverse("incidents:dashboard")).status_code == 302


def test_the_count_is_per_username_and_address(client, account_manager, other_account_manager):
    fail(client, times=5)
    assert log_in(client, "otto").status_code == 302  # another user from the same address
    client.logout()
    assert log_in(client, "anna", REMOTE_ADDR="192.0.2.44").status_code == 302  # anna from elsewhere


def test_changing_the_usernames_case_does_not_buy_more_attempts(client, account_manager):
    for username in ["anna", "Anna", "ANNA", "aNNa"]:
        fail(client, username)
    assert fail(client, "AnNa")[0].status_code == 429


def test_the_trusted_proxys_client_address_is_the_one_counted(client, account_manager, settings):
    settings.KALM_TRUSTED_PROXY_COUNT = 1
    fail(client, times=5, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    assert log_in(client, "anna", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302


def test_wrong_codes_at_the_second_factor_count_and_lock_out_too(client, account_manager):
    secret = give_totp(account_manager)
    assert log_in(client, "anna").url == reverse("mfa_authenticate")
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    answers = [client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert right.status_code == 429 and "Too many failed sign-in attempts" in right.text
    assert client.get(reverse("incidents:dashboard")).status_code == 302


def test_password_and_code_failures_share_one_count(client, account_manager):
    secret = give_totp(account_manager)
    fail(client, times=3)
    log_in(client, "anna")
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    assert client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code == 200
    assert client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code == 429


def test_a_successful_sign_in_clears_the_count(client, account_manager):
    fail(client, times=4)
    assert log_in(client, "anna").status_code == 302
    client.logout()
    assert [response.status_code for response in fail(client, times=4)] == [200] * 4


def test_a_password_reset_by_email_lifts_the_lockout(client, account_manager, smtp_server):
    remember_language(account_manager, "en")
    fail(client, times=5)
    client.post(reverse("account_reset_password"), {"email": "anna@msp.example"})
    body = smtp_server.messages[0].message.get_body(preferencelist=("plain",)).get_content()
    link = next(word for word in body.split() if "/accounts/password/reset/key/" in word)
    link = link.replace("http://testserver", "")
    form_url = client.get(link).url
    client.post(form_url, {"password1": "A-new-and-long-one-2026", "password2": "A-new-and-long-one-2026"})
    assert log_in(client, "anna", "A-new-and-long-one-2026").status_code == 302


class TestLockoutsPage:
    def test_a_manager_sees_the_lockout_and_lifting_it_lets_the_user_in(self, client, manager, account_manager):
        fail(client, times=5)
        fail(client, "otto", times=2)  # counting, not locked
        client.force_login(manager)
        dashboard = client.get(reverse("incidents:dashboard")).text
        assert f'href="{LOCKOUTS}"' in dashboard
        page = client.get(LOCKOUTS)
        assert page.status_code == 200
        locked = page.text.split('id="locked-heading"')[1].split("</section>")[0]
        assert "anna" in locked and "127.0.0.1" in locked and "Lift lockout of anna" in locked
        counting = page.text.split('id="counting-heading"')[1].split("</section>")[0]
        assert "otto" in counting and "2 / 5" in counting
        recent = page.text.split('id="failures-heading"')[1].split("</section>")[0]
        assert recent.count("/accounts/login/") == 7

        response = client.post(reverse("accounts:lift_lockout"), {"username": "anna", "ip_address": "127.0.0.1"},
                               follow=True)
        assert "Lockout of anna from 127.0.0.1 lifted" in response.text
        assert "Nobody is locked out." in response.text
        client.logout()
        assert log_in(client, "anna", PASSWORD).status_code == 302

    def test_an_account_manager_cannot_see_or_lift_lockouts(self, client, account_manager, other_account_manager):
        fail(client, "otto", times=5)
        client.force_login(account_manager)
        assert LOCKOUTS not in client.get(reverse("incidents:dashboard")).text
        assert client.get(LOCKOUTS).status_code == 404
        response = client.post(reverse("accounts:lift_lockout"), {"username": "otto", "ip_address": "127.0.0.1"})
        assert response.status_code == 404
        assert AccessAttempt.objects.filter(username="otto").exists()

    def test_anonymous_is_sent_to_login_and_staff_without_customers_get_403(self, client, db):
        from tests.factories import UserFactory

        response = client.get(LOCKOUTS)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        client.force_login(UserFactory(username="nobody"))
        assert client.get(LOCKOUTS).status_code == 403

    def test_lifting_takes_a_post(self, client, manager):
        client.force_login(manager)
        assert client.get(reverse("accounts:lift_lockout")).status_code == 405
