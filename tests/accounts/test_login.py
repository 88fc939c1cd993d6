"""Username/password sign-in through django-allauth at Kalm's old URLs; no public sign-up;
the admin's own login page hands over to it."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from demo.data import DEMO_PASSWORD, load_demo
from tests.accounts.conftest import log_in

pytestmark = pytest.mark.django_db


def signed_in_as(client) -> str | None:
    response = client.get(reverse("incidents:dashboard"))
    if response.status_code != 200:
        return None
    return response.wsgi_request.user.get_username()


def test_the_login_urls_keep_their_names_and_places():
    assert reverse("login") == reverse("account_login") == "/accounts/login/"
    assert reverse("logout") == reverse("account_logout") == "/accounts/logout/"


def test_the_login_page_is_the_consoles_with_the_old_field_ids(client):
    html = client.get("/accounts/login/").text
    assert 'id="id_username"' in html and 'name="login"' in html and 'for="id_username"' in html
    assert 'id="id_password"' in html and 'for="id_password"' in html
    assert re.search(r"<button class=\"primary\">Log in</button>", html)
    assert 'href="/accounts/password/reset/"' in html
    assert "/accounts/signup/" not in html and "sign up" not in html.lower()
    assert "<script>" not in html and " style=" not in html  # CSP: no inline script or style
    assert 'href="/static/css/console.css"' in html  # the console's layout


def test_username_and_password_sign_in_and_land_on_the_dashboard(client, account_manager):
    response = log_in(client, "anna")
    assert response.status_code == 302 and response.url == reverse("incidents:dashboard")
    assert signed_in_as(client) == "anna"


def test_usernames_are_matched_without_regard_to_case(client, account_manager):
    assert log_in(client, "Anna").status_code == 302
    assert signed_in_as(client) == "anna"


def test_the_next_page_is_where_the_login_leads(client, account_manager):
    maintenance = reverse("incidents:maintenance_list")
    response = client.get(maintenance)
    assert response.status_code == 302 and response.url == f"/accounts/login/?next={maintenance}"
    login_page = client.get(response.url).text
    assert f'name="next" value="{maintenance}"' in login_page
    response = log_in(client, "anna", next_url=maintenance)
    assert response.status_code == 302 and response.url == maintenance


def test_a_next_page_elsewhere_is_ignored(client, account_manager):
    response = log_in(client, "anna", next_url="https://evil.example/console/")
    assert response.status_code == 302 and response.url == reverse("incidents:dashboard")


def test_a_wrong_password_says_so_in_the_consoles_language(client, account_manager, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    response = log_in(client, "anna", "wrong-password")
    assert response.status_code == 200
    assert "Je gebruikersnaam en/of wachtwoord zijn incorrect." in response.text
    assert signed_in_as(client) is None


def test_the_demo_users_sign_in_with_the_demo_password(client):
    load_demo()
    for username in ["anna", "maria"]:
        client.logout()
        assert log_in(client, username, DEMO_PASSWORD).status_code == 302
        assert signed_in_as(client) == username


def test_logging_out_takes_a_post_and_leads_to_the_login_page(client, account_manager):
    log_in(client, "anna")
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert signed_in_as(client) is None


class TestNoSignUp:
    def test_the_sign_up_page_says_accounts_come_from_a_manager(self, client):
        response = client.get("/accounts/signup/")
        assert response.status_code == 200
        assert "created by a manager" in response.text and 'name="password1"' not in response.text

    def test_posting_a_sign_up_creates_nobody(self, client, db):
        client.post("/accounts/signup/", {"username": "mallory", "email": "mallory@evil.example",
                                          "password1": "Very-long-pass-123", "password2": "Very-long-pass-123"})
        assert not get_user_model().objects.filter(username="mallory").exists()


def test_the_admin_login_page_hands_over_to_the_kalm_login(client, manager):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert "next=%2Fadmin%2F" in response.url


@pytest.mark.parametrize(("language", "words"), [
    ("nl", ["Inloggen bij Kalm", "Gebruikersnaam", "Wachtwoord vergeten?", "Meld je aan met een passkey"]),
    ("de", ["Bei Kalm anmelden", "Benutzername", "Passwort vergessen?", "Mit einem Passkey anmelden"]),
])
def test_the_login_page_speaks_the_consoles_language(client, settings, language, words):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get("/accounts/login/").text
    for word in words:
        assert word in html, word
    assert "Forgot your password?" not in html and "Log in to Kalm" not in html
