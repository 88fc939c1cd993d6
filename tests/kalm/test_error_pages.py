"""403 and 404 are console pages: styled (the console's stylesheet and navigation) and translated."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

pytestmark = pytest.mark.django_db

MSP_WIDE_EDIT = reverse("comms:template_edit") + "?" + urlencode(
    {"kind": "update", "audience": "end_user", "language": "nl"})


def test_forbidden_is_a_styled_console_page(client, account_manager, customer):
    client.force_login(account_manager)
    response = client.get(MSP_WIDE_EDIT)  # MSP-wide templates: managers only
    assert response.status_code == 403
    page = response.content.decode()
    assert "css/console.css" in page and 'class="topbar"' in page
    assert "You may not do this" in page
    assert f'href="{reverse("incidents:dashboard")}"' in page


# The page's own sentences are new (TRANSLATIONS-console.txt until they are merged into locale/);
# the catalogs already hold the way back.
@pytest.mark.parametrize(("language", "expected"), [("nl", "Terug naar het dashboard"),
                                                    ("de", "Zurück zum Dashboard")])
def test_forbidden_is_translated(client, account_manager, customer, language, expected, settings):
    client.force_login(account_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(MSP_WIDE_EDIT).content.decode()
    assert f'<html lang="{language}">' in page
    assert expected in page


def test_not_found_is_a_styled_console_page(client, account_manager, other_customer):
    client.force_login(account_manager)
    response = client.get(reverse("comms:stakeholders", args=[other_customer.slug]))  # not anna's customer
    assert response.status_code == 404
    page = response.content.decode()
    assert "css/console.css" in page and "Page not found" in page
    assert "a customer you do not look after" in page


def test_not_found_for_a_visitor_says_nothing_about_customers(client, db):
    response = client.get("/status/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "customer" not in page
