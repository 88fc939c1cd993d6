"""The tick for real: ``celery beat`` schedules it, a ``celery worker`` runs it, and the holding
update reaches a real SMTP server without anyone touching the incident.

Beat runs with ``KALM_TICK_SECONDS=2`` (read by ``CELERY_BEAT_SCHEDULE["cadence-tick"]`` in
kalm/settings.py) and keeps its schedule file in the test's temporary directory. The worker
and the tick use the test database on PostgreSQL, so the test needs PostgreSQL and Redis:
``DATABASE_URL=postgres://… REDIS_URL=redis://… pytest -m worker``.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from comms.models import Communication, Stakeholder
from flows import incidents as incident_flow
from incidents.models import Incident, IncidentUpdate
from tests.comms.processes import REPO, CeleryWorker, database_url, redis_url, wait_for, worker_test_marks
from tests.comms.test_worker import use_broker

pytestmark = worker_test_marks()

BROKER_DB = 12  # a Redis database of its own, flushed per test
TICK_SECONDS = 2


class CeleryBeat:
    """``celery -A kalm beat`` as a subprocess; schedule, pid file and log in ``directory``."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kalm.settings", **env}
        self.log_path = directory / "beat.log"
        self.command = [sys.executable, "-m", "celery", "-A", "kalm", "beat", "--loglevel", "INFO",
                        "--schedule", str(directory / "beat-schedule"), "--pidfile", str(directory / "beat.pid")]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30) -> "CeleryBeat":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, cwd=REPO, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        wait_for(lambda: "beat: Starting" in self.output(), timeout=timeout, what=f"beat started ({self.log_path})")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def ticks_sent(self) -> int:
        return self.output().count("Sending due task cadence-tick")


@pytest.fixture
def broker() -> Iterator[str]:
    """The test process publishes to a Redis database of this test's own, as the worker and beat do."""
    from kalm.celery import app

    url = redis_url(settings.REDIS_URL, db=BROKER_DB)
    redis.Redis.from_url(url).flushdb()
    original, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager = False
    use_broker(app, url)
    yield url
    use_broker(app, original)
    app.conf.task_always_eager = eager


@pytest.fixture
def beat(request, transactional_db, tmp_path, smtp_server, broker) -> Iterator[CeleryBeat]:
    """Beat ticking every 2 s and a worker mailing ``smtp_server``; their logs are printed if the test fails."""
    env = {"DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": broker,
           "EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port),
           # The holding update follows the acknowledgment within seconds here, not half an hour:
           # without this the over-communication guard would (rightly) hold it back.
           "KALM_COALESCE_MINUTES": "0", "KALM_TICK_SECONDS": str(TICK_SECONDS)}
    failed_before = request.session.testsfailed
    worker = CeleryWorker(env, tmp_path / "worker.log")
    beat = CeleryBeat(env, tmp_path)
    try:
        worker.start()
        beat.start()
        yield beat
    finally:
        beat.stop()
        worker.kill()
        if request.session.testsfailed > failed_before:
            capture = request.config.pluginmanager.getplugin("capturemanager")
            with capture.global_and_fixture_disabled():
                print(f"\n----- worker -----\n{worker.output()}\n----- beat -----\n{beat.output()}")


def holding_mails(smtp_server, promise: str) -> dict[str, int]:
    """Recipients of update e-mails that state ``promise`` (HH:MM) as the next update."""
    found: dict[str, int] = {}
    for mail in smtp_server.messages:
        body = mail.message.get_body(("plain",)).get_content()
        if mail.message["Subject"].startswith("[UPDATE]") and promise in body:
            for address in mail.rcpt_tos:
                found[address] = found.get(address, 0) + 1
    return found


def test_beat_and_a_worker_send_the_holding_update_on_their_own(customer, account_manager, smtp_server, beat):
    assert settings.CELERY_BEAT_SCHEDULE["cadence-tick"]["task"] == "cadence.tasks.tick"
    people = {"it@midsize.example": "nl", "staff@midsize.example": "en"}
    for address, language in people.items():
        Stakeholder.objects.create(customer=customer, name=address, role="customer_it", audience="technical",
                                   language=language, email=address)
    incident = incident_flow.open_incident(customer=customer, title="File server outage", category="server",
                                      severity="critical", message="We are investigating.", author=account_manager)
    wait_for(lambda: len(smtp_server.messages) >= len(people), timeout=30, what="the acknowledgments")

    # The contract's shortest cadence is 5 minutes (a validator on Customer), too long to wait
    # for in a test. The tick reads nothing but next_update_due_at, so the test moves that
    # promise into the past, which is exactly what the passing minutes would have done.
    Incident.objects.filter(pk=incident.pk).update(next_update_due_at=timezone.now() - timedelta(minutes=1))

    wait_for(lambda: IncidentUpdate.objects.filter(incident=incident, kind="holding").exists(), timeout=30,
             what="the tick's holding update")
    holding = IncidentUpdate.objects.get(incident=incident, kind="holding")
    incident.refresh_from_db()
    promise = f"{timezone.localtime(incident.next_update_due_at, customer.tzinfo):%H:%M}"
    wait_for(lambda: set(holding_mails(smtp_server, promise)) == set(people), timeout=30,
             what="the holding update e-mails")

    ticks = beat.ticks_sent()
    wait_for(lambda: beat.ticks_sent() >= ticks + 3, timeout=30, what="three more ticks")
    wait_for(lambda: not Communication.objects.exclude(state="done").exists(), timeout=10, what="the outbox idle")

    incident.refresh_from_db()
    assert incident.next_update_due_at > timezone.now()  # a new promise, in the future, and stated in the mails
    assert IncidentUpdate.objects.filter(incident=incident, kind="holding").count() == 1
    assert {c.is_automatic for c in Communication.objects.filter(update=holding)} == {True}
    assert holding_mails(smtp_server, promise) == dict.fromkeys(people, 1)
    # Each reader gets the holding update in their own language (the Dutch reader no English, and back).
    bodies = {mail.rcpt_tos[0]: mail.message.get_body(("plain",)).get_content() for mail in smtp_server.messages
              if mail.message["Subject"].startswith("[UPDATE]")}
    assert "Wij werken nog aan incident" in bodies["it@midsize.example"]
    assert "We are still working on incident" in bodies["staff@midsize.example"]
