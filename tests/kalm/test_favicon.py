"""A favicon: /favicon.ico answers (browsers and feed readers ask for it unprompted) and both
the console and the status pages name the icon."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and "max-age=86400" in response["Cache-Control"]
    assert response["Location"].startswith("/static/") and response["Location"].endswith(".ico")
    icon = Path(finders.find("favicon.ico")).read_bytes()
    assert icon[:4] == b"\x00\x00\x01\x00" and b"PNG" in icon[:40]  # an ICO holding one PNG


@pytest.mark.parametrize("url", ["/accounts/login/", "/status/midsize/"])
def test_pages_name_the_icon(client, customer, url):
    html = client.get(url).text
    icons = re.findall(r'<link rel="icon" href="/static/([^"]+)"', html)
    assert sorted(icons) == ["favicon.ico", "favicon.svg"]
    assert all(finders.find(name) for name in icons)
    assert 'href="data:,"' not in html


def test_console_page_names_the_icon(client, account_manager):
    client.force_login(account_manager)
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get(reverse("incidents:dashboard")).text
