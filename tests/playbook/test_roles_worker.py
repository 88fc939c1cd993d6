"""Roles with a real Celery worker (PostgreSQL + Redis) and aiosmtpd: the console assigns, the
person's inbox gets the one-click link that acknowledges; a role nobody takes up is escalated by
the worker that runs the tick's job, to the incident lead, once although the tick runs twice.

Run with ``DATABASE_URL=postgres://… REDIS_URL=redis://…``; the broker is REDIS_URL's database.
"""

import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountPreferences
from cadence.tasks import tick_dispatch
from flows import incidents as incident_flow
from playbook.models import RoleAssignment
from tests.comms.processes import CeleryWorker, database_url, wait_for, worker_test_marks
from tests.comms.test_worker import celery_app, show_logs, use_broker  # noqa: F401 - fixtures
from tests.factories import UserFactory

pytestmark = worker_test_marks()


@pytest.fixture
def tick_worker(request, celery_app, tmp_path, smtp_server):  # noqa: F811 - the imported fixture
    url = settings.REDIS_URL
    redis.Redis.from_url(url).flushdb()
    use_broker(celery_app, url)
    failed_before = request.session.testsfailed
    env = {"DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": url,
           "EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port), "SITE_URL": "http://testserver"}
    worker = CeleryWorker(env, tmp_path / "worker.log", concurrency=2).start()
    yield worker
    worker.kill()
    if request.session.testsfailed > failed_before:
        show_logs(request, [worker])


def inbox(smtp_server, address: str) -> list:
    return [mail.message for mail in smtp_server.messages if address in mail.rcpt_tos]


def test_assign_acknowledge_and_escalate_through_a_real_worker(tick_worker, smtp_server, client, customer,
                                                               account_manager, settings):
    settings.SITE_URL = "http://testserver"
    tom = UserFactory(username="tom", first_name="Tom", last_name="Berger")
    cor = UserFactory(username="cor", first_name="Cor", last_name="Smit")
    for user in (tom, cor):
        customer.account_managers.add(user)
    AccountPreferences.objects.create(user=tom, language="de")
    incident = incident_flow.open_incident(customer=customer, title="Fileserver down", category="server",
                                           severity="high", message="We are investigating.", author=account_manager)
    number = incident.customer_links.get().number
    client.force_login(account_manager)
    assign = reverse("playbook:role_assign", args=[incident.pk])
    for role, user in (("incident_lead", account_manager), ("technical_lead", tom), ("scribe", cor)):
        assert client.post(assign, {"role": role, "user": user.pk}).status_code in (200, 302)
    lead = RoleAssignment.objects.get(role="incident_lead")
    assert client.post(reverse("playbook:role_ack", args=[lead.pk])).status_code in (200, 302)  # Anna takes the lead

    # Tom's inbox: German, with the link that acknowledges once he is signed in.
    [mail] = inbox(smtp_server, "tom@msp.example")
    assert number in mail["Subject"]
    body = mail.get_content()
    assert "Technische Leitung" in body or "Technischer Leiter" in body, body
    link = next(line for line in body.splitlines() if "/console/playbook/acknowledge/" in line).strip()
    client.force_login(tom)
    assert client.get(link.removeprefix("http://testserver")).status_code == 302
    assert RoleAssignment.objects.get(role="technical_lead").acknowledged_at is not None

    # Cor never acknowledges: the worker escalates to the lead, once, whatever the ticks.
    later = timezone.now() + timedelta(minutes=settings.KALM_ROLE_ACK_MINUTES + 1)
    first, _second = tick_dispatch(later), tick_dispatch(later)
    assert first.dispatched["role_ack"] >= 1
    wait_for(lambda: inbox(smtp_server, "anna@msp.example") and any(
        "Not acknowledged" in m["Subject"] for m in inbox(smtp_server, "anna@msp.example")),
        timeout=60, what="the escalation mailed by the worker")
    time.sleep(3)  # room for a second e-mail, if anything were to send one
    escalations = [m for m in inbox(smtp_server, "anna@msp.example") if "Not acknowledged" in m["Subject"]]
    assert len(escalations) == 1 and number in escalations[0]["Subject"]
    assert "Cor Smit" in escalations[0].get_content()
    assert RoleAssignment.objects.get(role="scribe").escalated_at is not None
    assert not inbox(smtp_server, "tom@msp.example")[1:], "an acknowledged role is never escalated"
