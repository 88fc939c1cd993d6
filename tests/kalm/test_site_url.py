"""SITE_URL, the base of every absolute link Kalm sends out, follows HOST/PORT unless it is set.

Settings are read once at import, so the helper that computes the default is tested directly,
the import once in a child process, and the rendered messages and feeds against an overridden
``settings.SITE_URL``.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from comms.models import Stakeholder
from core.env import default_site_url, env_site_url, site_host
from flows import incidents as incident_flow

ELSEWHERE = "http://127.0.0.1:18200"


class TestDefaultSiteUrl:
    @pytest.mark.parametrize(("host", "port", "expected"), [
        ("127.0.0.1", "8000", "http://127.0.0.1:8000"),
        ("127.0.0.1", "18200", "http://127.0.0.1:18200"),
        ("localhost", "9000", "http://localhost:9000"),
        ("0.0.0.0", "18200", "http://127.0.0.1:18200"),  # listens everywhere: link to loopback
        ("::", "18200", "http://127.0.0.1:18200"),
        ("[::]", "18200", "http://127.0.0.1:18200"),
        ("", "8000", "http://127.0.0.1:8000"),
        ("::1", "8080", "http://[::1]:8080"),
        ("192.0.2.7", " 8001 ", "http://192.0.2.7:8001"),
    ])
    def test_follows_host_and_port(self, host, port, expected):
        assert default_site_url(host, port) == expected

    @pytest.mark.parametrize("port", ["", "http", "0", "70000", "80.5"])
    def test_a_bad_port_names_the_variable(self, port):
        with pytest.raises(ImproperlyConfigured, match="PORT"):
            default_site_url("127.0.0.1", port)

    def test_site_host_is_spelled_for_allowed_hosts(self):
        assert site_host("http://127.0.0.1:8000") == "127.0.0.1"
        assert site_host("http://[::1]:8080") == "[::1]"
        assert site_host("https://Status.MSP.example") == "status.msp.example"

    def test_site_url_wins_over_host_and_port(self, monkeypatch):
        monkeypatch.setenv("HOST", "0.0.0.0")
        monkeypatch.setenv("PORT", "18200")
        monkeypatch.setenv("SITE_URL", "https://status.msp.example/")
        assert env_site_url() == "https://status.msp.example"

    def test_without_site_url_the_listening_address(self, monkeypatch):
        monkeypatch.delenv("SITE_URL", raising=False)
        monkeypatch.setenv("HOST", "0.0.0.0")
        monkeypatch.setenv("PORT", "18200")
        assert env_site_url() == ELSEWHERE
        monkeypatch.delenv("HOST")
        monkeypatch.delenv("PORT")
        assert env_site_url() == "http://127.0.0.1:8000"


def _settings(env: dict[str, str], name: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT", "ALLOWED_HOSTS"}}
    result = subprocess.run([sys.executable, "-c", f"import kalm.settings as s; print(s.{name})"],
                            env=base | env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_settings_read_the_port_make_run_exports():
    """`PORT=18200 make run` exports HOST and PORT to every process, the worker's too."""
    assert _settings({"HOST": "0.0.0.0", "PORT": "18200"}, "SITE_URL") == ELSEWHERE
    assert _settings({"HOST": "0.0.0.0", "PORT": "18200", "SITE_URL": "https://kalm.example"}, "SITE_URL") == (
        "https://kalm.example")


def test_the_links_host_is_allowed_by_default():
    assert "'192.0.2.7'" in _settings({"HOST": "192.0.2.7", "PORT": "8000"}, "ALLOWED_HOSTS")
    assert "'kalm.example'" in _settings({"SITE_URL": "https://kalm.example"}, "ALLOWED_HOSTS")
    assert _settings({"HOST": "192.0.2.7", "ALLOWED_HOSTS": "only.example"}, "ALLOWED_HOSTS") == "['only.example']"


@pytest.mark.django_db(transaction=True)
def test_messages_and_feeds_link_to_the_site_url(client, settings, customer, file_server, account_manager):
    settings.SITE_URL = ELSEWHERE
    Stakeholder.objects.create(customer=customer, name="IT", role="customer_it", audience="technical",
                               language="en", email="it@midsize.example")
    mail.outbox = []
    incident_flow.open_incident(customer=customer, title="File server down", category="server", severity="critical",
                           message="We are looking into it.", author=account_manager,
                           component_statuses={file_server: "major_outage"})

    assert mail.outbox, "the acknowledgment went out"
    message = mail.outbox[0].message().as_string()
    assert f"{ELSEWHERE}/status/midsize/" in message  # the HTML part's link to the status page
    assert "127.0.0.1:8000" not in message

    channel = ET.fromstring(client.get("/status/midsize/history.rss").content).find("channel")
    assert channel.findtext("link") == f"{ELSEWHERE}/status/midsize/"
    assert channel.find("item").findtext("link").startswith(f"{ELSEWHERE}/status/midsize/incidents/")
    summary = client.get("/status/midsize/api/v2/summary.json").json()
    assert summary["page"]["url"] == f"{ELSEWHERE}/status/midsize/"
