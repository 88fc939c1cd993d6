"""/readyz as an orchestrator reads it: the JSON answer and its status code, with the database,
the broker and the tick's freshness each able to make it fail; and the JSON log lines."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from cadence import tasks
from cadence.runs import last_run, record_run
from kalm.logs import logging_config

pytestmark = pytest.mark.django_db


def ready(client):
    response = client.get("/readyz", HTTP_HOST="localhost")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, response.json()


def test_ok_with_a_fresh_tick(client):
    record_run(timezone.now() - timedelta(seconds=50), timezone.now() - timedelta(seconds=49))
    assert ready(client) == (200, {"status": "ok", "checks": {"database": "ok", "broker": "ok", "tick": "ok"}})


def test_a_stale_tick_is_not_ready(client):
    started = timezone.now() - timedelta(minutes=4)
    record_run(started, started + timedelta(seconds=1))
    status, body = ready(client)
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["tick"].startswith("fail: last run started 24")  # 240 s and a little
    assert body["checks"]["database"] == body["checks"]["broker"] == "ok"


def test_a_slower_tick_interval_allows_three_intervals(client, settings):
    settings.CELERY_BEAT_SCHEDULE = {**settings.CELERY_BEAT_SCHEDULE,
                                     "cadence-tick": {"task": "cadence.tasks.tick", "schedule": 120.0}}
    started = timezone.now() - timedelta(minutes=5)
    record_run(started, started + timedelta(seconds=1))
    assert ready(client)[0] == 200  # 5 minutes < 3 × 2 minutes


def test_before_the_first_tick_it_says_so_without_failing(client):
    status, body = ready(client)
    assert status == 200 and body["checks"]["tick"] == "pending: no run yet"


def test_the_beat_task_records_its_run(client):
    before = timezone.now()
    tasks.tick()
    run = last_run()
    assert run is not None and run.started_at >= before and run.finished_at >= run.started_at
    assert ready(client)[1]["checks"]["tick"] == "ok"


def test_a_broker_that_does_not_answer_is_not_ready(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    status, body = ready(client)
    assert status == 503 and body["checks"]["broker"] == "fail: ConnectionError"


def test_a_missing_broker_folder_is_not_ready(client, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                                                "data_folder_in": str(tmp_path / "missing")}
    status, body = ready(client)
    assert status == 503 and body["checks"]["broker"] == "fail: OSError"


def test_a_database_that_fails_is_not_ready(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    status, body = ready(client)
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["database"] == "fail: OperationalError"
    assert body["checks"]["tick"] == "fail: database unavailable"


LOG_SCRIPT = """
import logging
import django
django.setup()
from django.test import Client
Client().post("/metrics", HTTP_HOST="localhost", HTTP_X_REQUEST_ID="req-42")
Client().get("/metrics", HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="req-43")
Client().get("/intake/s3cret-intake-address/", HTTP_HOST="localhost", HTTP_X_REQUEST_ID="bad id with spaces")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("kalm.check").exception("Dividing went wrong for %s", "midsize")
"""


def test_json_logs_are_one_object_per_line_with_the_fields():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "kalm.settings", "KALM_LOG_FORMAT": "json",
           "KALM_VAR_DIR": str(django_settings.VAR_DIR)}
    before = datetime.now(UTC)
    result = subprocess.run([sys.executable, "-c", LOG_SCRIPT], cwd=django_settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    refused = next(line for line in lines if line["logger"] == "django.request")
    assert refused["level"] == "WARNING" and refused["message"] == "Method Not Allowed (POST): /metrics"
    assert refused["request_id"] == "req-42" and refused["path"] == "/metrics"
    assert refused["status_code"] == 405 and "request" not in refused  # facts, not objects
    # Logged by Django after the middleware returned (a 403): the request id and path all the same.
    forbidden = next(line for line in lines if line["message"] == "Forbidden: /metrics")
    assert forbidden["request_id"] == "req-43" and forbidden["path"] == "/metrics"
    # An intake address is a credential: the path field never carries it; an unusable id is replaced.
    intake = next(line for line in lines if line.get("status_code") == 405 and "/intake/" in line["message"])
    assert intake["path"] == "/intake/[token]/" and len(intake["request_id"]) == 32
    failed = next(line for line in lines if line["logger"] == "kalm.check")
    assert failed["level"] == "ERROR" and failed["message"] == "Dividing went wrong for midsize"
    assert failed["exception"].startswith("Traceback") and "ZeroDivisionError" in failed["exception"]
    assert "request_id" not in failed and "path" not in failed  # logged outside a request
    logged_at = datetime.fromisoformat(failed["time"])
    assert logged_at.utcoffset() == timedelta(0) and before <= logged_at <= datetime.now(UTC)


def test_an_unknown_log_format_stops_start_up_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match="KALM_LOG_FORMAT"):
        logging_config("xml", "INFO")
