"""Password reset by e-mail (django-allauth): the mail reaches a real SMTP server in the user's
language, and its link sets a new password."""

import re

import pytest
from django.urls import reverse

from accounts.services import remember_language
from tests.accounts.conftest import log_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nieuw-en-lang-2026!"


def reset_link(mail) -> str:
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", text)
    assert match, text
    return match.group(1)


def test_the_reset_mail_comes_in_the_users_language_and_its_link_sets_a_new_password(client, smtp_server,
                                                                                     account_manager):
    remember_language(account_manager, "nl")  # anna last used the console in Dutch
    response = client.post(reverse("account_reset_password"), {"email": "ANNA@msp.example"})  # an English page
    assert response.status_code == 302 and response.url == reverse("account_reset_password_done")

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["anna@msp.example"]
    assert mail.message["Subject"] == "[Kalm] Nieuw wachtwoord"
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert "Hallo van Kalm Managed Services!" in text and "wachtwoord" in text
    assert "Deze link hoort bij je account met gebruikersnaam anna." in text

    link = reset_link(mail)
    response = client.get(link)  # allauth moves the key into the session and redirects
    assert response.status_code == 302
    form_url = response.url
    assert 'name="password1"' in client.get(form_url).text
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("account_reset_password_from_key_done")

    assert log_in(client, "anna").status_code == 200  # the old password no longer works
    assert log_in(client, "anna", NEW_PASSWORD).status_code == 302
    assert client.get(link).status_code in (200, 302)  # a used link sets nothing again
    client.logout()
    assert log_in(client, "anna", NEW_PASSWORD).status_code == 302


def test_without_a_remembered_language_the_mail_follows_the_page(client, smtp_server, account_manager, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.post(reverse("account_reset_password"), {"email": "anna@msp.example"})
    [mail] = smtp_server.messages
    assert mail.message["Subject"] == "[Kalm] E-Mail zum Zurücksetzen des Passworts"


def test_an_unknown_address_gets_no_mail_and_the_same_answer(client, smtp_server, account_manager):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@msp.example"})
    assert response.status_code == 302 and response.url == reverse("account_reset_password_done")
    assert smtp_server.messages == []


def test_signing_in_remembers_the_consoles_language(client, account_manager, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    log_in(client, "anna")
    assert account_manager.kalm_preferences.language == "de"
    client.post(reverse("set_language"), {"language": "nl", "next": "/console/"})
    account_manager.kalm_preferences.refresh_from_db()
    assert account_manager.kalm_preferences.language == "nl"
