"""The same story as ``test_story.py``, delivered by a real Celery worker (PostgreSQL + Redis).

The console requests commit for real; ``on_commit`` puts the tasks on Redis; a ``celery worker``
subprocess expands and sends them to the SMTP server, the SMS endpoint and the webhook receiver
running in this process. The steps follow each other in seconds rather than minutes (a worker
process cannot share a travelled clock); what people receive is held to the same checks.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from comms.models import FINAL_DELIVERY_STATES, Communication, Delivery
from tests.comms.processes import CeleryWorker, database_url, wait_for, worker_test_marks
from tests.comms.servers import LOOPBACK
from tests.comms.test_worker import broker, celery_app, show_logs  # noqa: F401 - fixtures
from tests.scenarios import checks, people
from tests.scenarios.inbox import received
from tests.scenarios.story import STAFF_SENTINEL, Story, tell

pytestmark = worker_test_marks()


@pytest.fixture
def worker(request, broker, tmp_path, smtp_server, http_sink):  # noqa: F811 - the imported fixture
    failed_before = request.session.testsfailed
    env = {"DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": broker,
           "EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port),
           "KALM_SMS_PROVIDER": "http", "SMS_API_URL": http_sink.url("/sms"), "SMS_API_TOKEN": "t",
           "KALM_OUTBOUND_ALLOW": LOOPBACK}  # the webhook receiver listens on loopback, an internal host
    process = CeleryWorker(env, tmp_path / "worker.log", concurrency=4).start()
    yield process
    process.kill()
    if request.session.testsfailed > failed_before:
        show_logs(request, [process])


def settled() -> bool:
    return (not Communication.objects.exclude(state="done").exists()
            and not Delivery.objects.exclude(state__in=FINAL_DELIVERY_STATES).exists())


def test_a_real_worker_delivers_the_story_to_everyone_in_their_language(
        client, account_manager, worker, smtp_server, http_sink):
    account_manager.first_name = STAFF_SENTINEL
    account_manager.save()
    story = Story(people.cast(account_manager, http_sink.url("/hook")))
    client.force_login(account_manager)

    def postpone_to() -> str:
        due = story.incident.next_update_due_at + timedelta(minutes=30)
        return due.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%dT%H:%M")

    for _step in tell(client, story, postpone_to=postpone_to):
        pass
    wait_for(settled, timeout=60, what="every message delivered by the worker")
    messages = received(story, smtp_server, http_sink)

    checks.check_inboxes(story, messages)
    checks.check_first_messages(messages)
    checks.check_webhook(messages)
    checks.check_public_face(client, story)
    checks.check_reports(story, messages)
