"""The development mail viewer reads what the file-based mailer wrote."""

from django.core import mail
from django.urls import reverse

from comms.models import Stakeholder


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


# --- scoped to the reader (issue 11, finding 6) ---------------------------------------------------------------


def send(subject: str, *to: str) -> None:
    mail.mailers.default.send_messages([mail.EmailMessage(subject, "Text.", to=list(to))])


def test_an_account_manager_reads_only_mail_to_her_customers_people_and_herself(
        client, account_manager, other_account_manager, manager, customer, other_customer, settings, tmp_path):
    file_mailer(settings, tmp_path)
    settings.DEBUG = True
    Stakeholder.objects.create(customer=customer, name="Jan", role="customer_it", audience="technical",
                               email="Jan@MidSize.example")
    Stakeholder.objects.create(customer=other_customer, name="Nora", role="customer_it", audience="technical",
                               email="nora@northwind.example")
    send("[MidSize] update", "Jan de Vries <jan@midsize.example>")
    send("[Northwind] update", "nora@northwind.example")
    send("Reminder for anna", account_manager.email)
    send("Password reset for maria", manager.email)
    send("[Both] update", "jan@midsize.example", "nora@northwind.example")

    client.force_login(account_manager)
    page = client.get(reverse("comms:mailbox")).text
    assert "[MidSize] update" in page and "Reminder for anna" in page
    for hidden in ("[Northwind] update", "Password reset for maria", "[Both] update", "nora@northwind.example"):
        assert hidden not in page, hidden

    client.force_login(other_account_manager)
    page = client.get(reverse("comms:mailbox")).text
    assert "[Northwind] update" in page and "[MidSize] update" not in page

    client.force_login(manager)
    page = client.get(reverse("comms:mailbox")).text
    assert all(subject in page for subject in ("[MidSize] update", "[Northwind] update", "Password reset for maria"))


def test_the_newest_fifty_are_the_newest_fifty_she_may_read(client, account_manager, customer, settings, tmp_path):
    file_mailer(settings, tmp_path)
    settings.DEBUG = True
    Stakeholder.objects.create(customer=customer, name="Jan", role="customer_it", audience="technical",
                               email="jan@midsize.example")
    send("Hers", "jan@midsize.example")
    for number in range(60):
        send(f"Someone else's {number}", "stranger@elsewhere.example")
    client.force_login(account_manager)
    assert "Hers" in client.get(reverse("comms:mailbox")).text
