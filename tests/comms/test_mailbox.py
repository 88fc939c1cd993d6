"""The development mail viewer reads what the file-based mailer wrote."""

from django.core import mail
from django.urls import reverse


def file_mailer(settings, tmp_path):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                                    "OPTIONS": {"file_path": str(tmp_path)}}}


def test_shows_sent_mail_in_debug(client, manager, settings, tmp_path):
    file_mailer(settings, tmp_path)
    settings.DEBUG = True
    message = mail.EmailMessage("[UPDATE] Fileserver", "De server is terug.", to=["it@midsize.example"],
                                headers={"Content-Language": "nl"})
    mail.mailers.default.send_messages([message])
    client.force_login(manager)
    response = client.get(reverse("comms:mailbox"))
    assert response.text.count("[UPDATE] Fileserver") == 1  # shown once, not echoed as a flash message
    assert "De server is terug." in response.text


def test_absent_outside_debug(client, manager, settings, tmp_path):
    file_mailer(settings, tmp_path)
    settings.DEBUG = False
    client.force_login(manager)
    assert client.get(reverse("comms:mailbox")).status_code == 404
