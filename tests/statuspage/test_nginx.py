"""deploy/nginx.conf: nginx accepts it, it says what Django says, and it serves the snapshot store.

A real nginx (Debian's package) on loopback, pointed at a store this test publishes and at an
upstream where nothing listens, so every answer below came from nginx alone.
"""

import re
import urllib.error
import urllib.request

import pytest
import time_machine
from django.conf import settings
from django.utils.csp import build_policy

from statuspage import api, snapshots
from statuspage.snapshot_store import DOCUMENTS, LIVE, PAGE, cache_control, document_path
from tests.comms.servers import free_port
from tests.statuspage.helpers import NOW
from tests.statuspage.nginx import SITE, Nginx, check, nginx_binary, render_site, write_config

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="needs Debian's nginx (apt-get install nginx-light)")


def site_for(tmp_path, store, port):
    return render_site(snapshots=store, static=tmp_path / "static", cache=tmp_path / "cache",
                       upstream=f"127.0.0.1:{free_port()}", port=port)


def test_headers_and_languages_match_the_django_settings():
    text = SITE.read_text()
    assert f'add_header Content-Security-Policy "{build_policy(settings.SECURE_CSP)}" always;' in text
    assert f'add_header Cache-Control "{cache_control()}" always;' in text
    assert f"add_header X-Frame-Options {settings.X_FRAME_OPTIONS} always;" in text
    assert f"add_header Referrer-Policy {settings.SECURE_REFERRER_POLICY} always;" in text
    mapped = set(re.findall(r'"GET:lang=(\w+)"', text))
    assert mapped == {code for code, _name in settings.LANGUAGES}
    for name in api.ENDPOINTS:
        assert name.removesuffix(".json") in text, name


def test_nginx_accepts_the_rendered_configuration(tmp_path):
    config = write_config(tmp_path, site_for(tmp_path, tmp_path / "store", free_port()))
    result = check(config)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def nginx(tmp_path, snapshots):
    port = free_port()
    config = write_config(tmp_path, site_for(tmp_path, snapshots, port), workers_as_root=True)
    server = Nginx(config, port).start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def get(url, **headers):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5)
    except urllib.error.HTTPError as error:
        return error


@pytest.mark.django_db
def test_nginx_serves_published_documents_without_django(nginx, snapshots, customer, incident):
    with time_machine.travel(NOW, tick=False):
        customer.refresh_from_db()
        snapshots_module_publish(customer)
    for document in ["", *(f"api/v2/{name}" for name in api.ENDPOINTS), "history.rss", "maintenance.ics"]:
        response = get(f"{nginx}/status/midsize/{document}?lang=de")
        assert response.status == 200, document
        name = document or PAGE
        assert response.read() == document_path("midsize", "de", name).read_bytes(), document
        assert response.headers["Content-Type"] == DOCUMENTS[name], document
        assert response.headers["Cache-Control"] == cache_control()
        assert response.headers["Content-Language"] == "de"
    page = get(f"{nginx}/status/midsize/")
    assert page.read() == document_path("midsize", "default", PAGE).read_bytes()
    assert "HX-Request" in page.headers.get_all("Vary")
    assert page.headers["Content-Security-Policy"] == build_policy(settings.SECURE_CSP)
    live = get(f"{nginx}/status/midsize/", **{"HX-Request": "true"})
    assert live.read() == document_path("midsize", "default", LIVE).read_bytes()
    unchanged = get(f"{nginx}/status/midsize/", **{"HX-Request": "true", "If-None-Match": live.headers["ETag"]})
    assert unchanged.status == 304
    assert get(f"{nginx}/status/midsize/api/v2/summary.json").headers["Access-Control-Allow-Origin"] == "*"
    # Anything the store cannot answer goes to Django, which is not running here.
    assert get(f"{nginx}/status/midsize/?token=abc").status == 502
    assert get(f"{nginx}/status/northwind/").status == 502


def snapshots_module_publish(customer):
    assert snapshots.publish(customer)


@pytest.mark.django_db
def test_nginx_follows_a_language_variants_links_to_the_same_language(nginx, snapshots, customer, incident):
    """The ?lang=en page's feed, JSON, calendar and badge links are store files in English too."""
    import json
    import re
    import xml.etree.ElementTree as ET
    from html import unescape

    with time_machine.travel(NOW, tick=False):
        customer.refresh_from_db()
        snapshots_module_publish(customer)
    html = get(f"{nginx}/status/midsize/?lang=en").read().decode()
    machine = {unescape(href) for href in re.findall(r'href="(/status/midsize/[^"]+)"', html)
               if re.search(r"\.(rss|atom|ics|json|svg)\?", href)}
    assert len(machine) == 5 and all(href.endswith("?lang=en") for href in machine), machine
    for href in machine:
        response = get(f"{nginx}{href}")
        assert response.status == 200 and response.headers["Content-Language"] == "en", href
        body = response.read()
        if href.endswith(".rss?lang=en"):
            assert ET.fromstring(body).find("channel").findtext("language") == "en"
        if "summary.json" in href:
            assert json.loads(body)["page"]["url"].endswith("/status/midsize/?lang=en")
