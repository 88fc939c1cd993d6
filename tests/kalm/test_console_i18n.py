"""The nl/de console shows no English from Django or the browser: the empty choice, native validation."""

import re

import pytest
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.urls import reverse
from django.utils import translation

from kalm.django_strings import UNTRANSLATED_BY_DJANGO

pytestmark = pytest.mark.django_db


def test_the_marked_strings_are_still_djangos_own():
    """Django's msgid must match ours exactly, or the project's translation never applies."""
    with translation.override("en"):
        assert str(BLANK_CHOICE_LABEL) in UNTRANSLATED_BY_DJANGO


@pytest.mark.parametrize("language", ["nl", "de"])
def test_console_pages_show_no_english_empty_choice(client, manager, incident, customer, other_customer, settings,
                                                     language):
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    pages = [reverse("incidents:detail", args=[incident.pk]), reverse("incidents:open"),
             reverse("incidents:maintenance_new"), reverse("comms:stakeholder_new", args=[customer.slug]),
             reverse("incidents:contract", args=[customer.slug]), reverse("reports:review", args=[incident.pk]),
             reverse("comms:log"), reverse("comms:templates")]
    for url in pages:
        html = client.get(url).text
        assert "Select an option" not in html, url
    detail = client.get(pages[0]).text
    add_customer = detail.split('name="customer"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option value="" selected>—</option>', add_customer)


@pytest.mark.parametrize("url_name", ["detail", "review"])
def test_forms_with_required_inputs_leave_validation_to_the_server(client, manager, incident, url_name):
    """A browser validates in its own language ("Please select an item in the list."), not the console's."""
    client.force_login(manager)
    url = reverse("incidents:detail" if url_name == "detail" else "reports:review", args=[incident.pk])
    html = client.get(url).text
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S):
        if re.search(r"\brequired\b", form):
            assert "novalidate" in form.split(">", 1)[0], form[:200]


def test_login_shows_the_servers_field_errors(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    html = client.post(reverse("login"), {"username": "", "password": ""}).text
    assert "novalidate" in html and "Dit veld is verplicht." in html
