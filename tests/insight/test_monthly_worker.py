"""The monthly report with a real Celery worker (PostgreSQL + Redis): the tick on the 1st dispatches the
job, the worker claims it, renders the PDF on the "reports" queue and mails it through the outbox to the
management stakeholder at aiosmtpd, exactly once although the tick runs three times.

Run with ``DATABASE_URL=postgres://…/kalm_monthly REDIS_URL=redis://127.0.0.1:6379/13``: the broker
is REDIS_URL's own database, flushed here (not the comms tests' database 14).
"""

import subprocess
import time
from datetime import UTC, datetime

import pytest
import redis
from django.conf import settings
from django.db import connection

from cadence.tasks import tick_dispatch
from comms.models import FINAL_DELIVERY_STATES, Delivery
from insight.models import ServiceReport, ServiceReportSetting
from insight.monthly.mail import texts
from tests.comms.processes import CeleryWorker, database_url, wait_for, worker_test_marks
from tests.comms.test_worker import celery_app, show_logs, use_broker  # noqa: F401 - fixtures
from tests.insight.monthly_month import NOVEMBER, add_management, make_customer, make_month

pytestmark = worker_test_marks()

AFTER_MIDNIGHT = datetime(2026, 11, 30, 23, 5, tzinfo=UTC)  # 00:05 on 1 December in Amsterdam


@pytest.fixture
def own_broker(celery_app) -> str:  # noqa: F811 - the imported fixture
    url = settings.REDIS_URL
    redis.Redis.from_url(url).flushdb()
    use_broker(celery_app, url)
    return url


@pytest.fixture
def report_worker(request, own_broker, tmp_path, smtp_server):
    failed_before = request.session.testsfailed
    env = {"DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": own_broker,
           "EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port)}
    worker = CeleryWorker(env, tmp_path / "worker.log", concurrency=2, queue="celery,reports").start()
    yield worker
    worker.kill()
    if request.session.testsfailed > failed_before:
        show_logs(request, [worker])


def mailed() -> bool:
    report = ServiceReport.objects.filter(sent_at__isnull=False).first()
    return (report is not None and Delivery.objects.exists()
            and not Delivery.objects.exclude(state__in=FINAL_DELIVERY_STATES).exists())


def test_the_tick_on_the_1st_mails_the_report_once_through_a_real_worker(report_worker, smtp_server, tmp_path):
    customer = make_customer()
    make_month(customer)
    add_management(customer, email="directie@acme.example", language="nl")
    ServiceReportSetting.objects.create(customer=customer, delivery="attachment")

    first, second = tick_dispatch(AFTER_MIDNIGHT), tick_dispatch(AFTER_MIDNIGHT)  # two ticks before either ran
    assert first.dispatched["service_report"] == 1
    wait_for(mailed, timeout=90, what="the report rendered and mailed by the worker")
    tick_dispatch(AFTER_MIDNIGHT.replace(minute=7))  # a third tick, after it all: nothing is due any more
    time.sleep(3)  # room for a second e-mail, if anything were to send one

    report = ServiceReport.objects.get()
    assert (report.month, report.status, report.delivered_as) == (NOVEMBER, "done", "attachment")
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["directie@acme.example"]
    message = mail.message
    subject = texts(report, "nl")[0]
    assert message["Subject"] == subject and "november 2026" in subject  # the Dutch month name
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "acme-2026-11.pdf"
    path = tmp_path / "mailed.pdf"
    path.write_bytes(attachment.get_content())
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                                   text=True).stdout.split())
    for fact in ["november 2026", "Acme Logistiek BV", "Bestandsserver", "99,72 %", "99,93 %", "01-11-2026 00:30"]:
        assert fact in text, fact
    # Rendered on the 1st, in the worker, seconds after the tick: not on a later sweep.
    assert (report.rendered_at - report.created_at).total_seconds() < 60
    assert second.dispatched["service_report"] in (0, 1)  # found again before the first claim; skipped there
