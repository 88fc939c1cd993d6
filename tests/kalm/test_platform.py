"""Health endpoints, settings readers, Markdown sanitising and the demo data."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from core.env import env_bool, env_int, env_str
from core.markdown import render_markdown
from demo.data import load_demo
from incidents.models import Component, Customer, Incident, Maintenance


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database(client):
    assert client.get("/readyz").json()["checks"]["database"] == "ok"  # more in tests/kalm/test_readyz.py


@pytest.mark.django_db
def test_readyz_reports_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "fail"


class TestEnv:
    def test_bool_accepts_common_spellings_and_refuses_others(self, monkeypatch):
        monkeypatch.setenv("KALM_FLAG", "yes")
        assert env_bool("KALM_FLAG") is True
        monkeypatch.setenv("KALM_FLAG", "Off")
        assert env_bool("KALM_FLAG", True) is False
        monkeypatch.setenv("KALM_FLAG", "maybe")
        with pytest.raises(ImproperlyConfigured, match="KALM_FLAG"):
            env_bool("KALM_FLAG")

    def test_int_names_the_variable_on_error(self, monkeypatch):
        monkeypatch.setenv("KALM_NUMBER", "ten")
        with pytest.raises(ImproperlyConfigured, match="KALM_NUMBER"):
            env_int("KALM_NUMBER", 1)

    def test_file_variant_reads_a_secret(self, monkeypatch, tmp_path):
        secret = tmp_path / "secret"
        secret.write_text("s3cret\n")
        monkeypatch.setenv("KALM_SECRET_FILE", str(secret))
        assert env_str("KALM_SECRET") == "s3cret"


class TestMarkdown:
    def test_script_and_javascript_links_never_survive(self):
        html = render_markdown('<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>')
        assert "<script" not in html and "&lt;script&gt;" in html
        assert 'href="javascript' not in html
        assert "<img" not in html

    def test_ordinary_markdown_renders(self):
        html = render_markdown("**Next update** at 12:30\n\n- save files locally")
        assert "<strong>Next update</strong>" in html and "<li>save files locally</li>" in html


@pytest.mark.django_db
def test_demo_data_is_idempotent():
    def counts():
        return tuple(model.objects.count() for model in (Customer, Incident, Maintenance, Component))

    load_demo()
    before = counts()
    again = load_demo()
    assert before == (3, 1, 1, 10)
    assert counts() == before and again == []
    midsize = Customer.objects.get(slug="midsize")
    assert midsize.language == "nl" and midsize.incident_prefix == "MSM"


def _production_settings(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "EMAIL_HOST"}} | env_overrides
    code = "import json, kalm.settings_production as s; print(json.dumps([s.DEBUG, s.MAILERS['default']['BACKEND']]))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def test_production_settings_refuse_the_development_key():
    result = _production_settings({})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_settings_never_write_mail_to_files():
    result = _production_settings({"SECRET_KEY": "p" * 60})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, "django.core.mail.backends.smtp.EmailBackend"]
