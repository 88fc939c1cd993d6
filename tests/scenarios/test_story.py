"""Seed 000's outage, told to everyone involved, read from the receiving end (issue 10).

MidSize (Dutch) opens a High incident for a failed file server; it turns out to sit at a
shared supplier, so Northwind (English) and Bergmann (German) are added; the cause is found
two minutes later, severity is raised, the fix is monitored, the incident resolved and the
post-incident summary sent. The account manager works through the console forms, writing
every text in Dutch with English and German versions; an internal note and a postpone
reason carry a staff-only sentinel, the business impact a contacts-only one.

Then the story reads every inbox (aiosmtpd), the SMS provider's endpoint and the webhook
receiver, the public pages, feeds, JSON and calendars in every language, and each
customer's PDF: which messages each person got and in which order, in which language (no
sentence of another language), the next-update time each states against the due time the
incident really had, no Markdown syntax in plain text, nothing staff-only anywhere.

This test drives the pipeline in process, travelling in time; ``test_story_worker.py``
tells the same story to a real Celery worker on PostgreSQL and Redis.
"""

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cadence import tick
from tests.scenarios import checks, people
from tests.scenarios.inbox import inbox, received
from tests.scenarios.story import STAFF_SENTINEL, Story, tell

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)  # 09:30 in Amsterdam, as in the seed
MINUTES = {"identified": 2, "raised": 5, "monitoring": 40, "resolved": 70, "summary": 90}


@pytest.fixture
def scene(settings, account_manager, http_sink, smtp_server):
    settings.KALM_SMS_PROVIDER, settings.SMS_API_URL, settings.SMS_API_TOKEN = "http", http_sink.url("/sms"), "t"
    account_manager.first_name = STAFF_SENTINEL  # an author's name is staff-only too
    account_manager.save()
    return Story(people.cast(account_manager, http_sink.url("/hook")))


def postpone_to(story: Story) -> str:
    """Half an hour after the current promise, typed as the console's ISO form accepts it."""
    due = story.incident.next_update_due_at + timedelta(minutes=30)
    return due.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%dT%H:%M")


def run_story(client, story: Story, capture, *, then) -> None:
    """Tell the story, moving the clock to each step's minute; ``then()`` runs at its last moment."""
    steps = None
    with time_machine.travel(T0, tick=False) as traveller:
        while True:
            with capture(execute=True):
                try:
                    if steps is None:
                        steps = tell(client, story, postpone_to=lambda: postpone_to(story))
                        name = next(steps)
                    else:
                        name = steps.send(None)
                except StopIteration:
                    break
            tick.tick()  # what beat does every minute, at each moment the story visits
            traveller.move_to(T0 + timedelta(minutes=MINUTES[name]))
        then()


def test_every_person_hears_the_story_in_their_language_with_the_promise_kept(
        client, account_manager, scene, smtp_server, http_sink, django_capture_on_commit_callbacks):
    client.force_login(account_manager)
    run_story(client, scene, django_capture_on_commit_callbacks,
              then=lambda: checks.check_public_face(client, scene))  # the resolved incident still shows then
    messages = received(scene, smtp_server, http_sink)

    checks.check_inboxes(scene, messages)
    checks.check_first_messages(messages)
    checks.check_webhook(messages)
    checks.check_reports(scene, messages)
    write_inbox_report(scene, messages)


def write_inbox_report(story: Story, messages) -> None:
    """With KALM_SCENARIO_INBOX=<path>, the Dutch and German IT contacts' inboxes go to that file."""
    path = os.environ.get("KALM_SCENARIO_INBOX")
    if not path:
        return
    lines = []
    for address in ("it@midsize.example", "it@bergmann.example", "cfo@midsize.example"):
        customer = story.cast.customer_of(address)
        lines.append(f"## {address} ({customer.name}, {customer.time_zone})")
        for message in inbox(messages, address):
            promise = message.step.due.astimezone(customer.tzinfo).strftime("%H:%M") if message.step.due else "—"
            lines.append(f"- [{message.language}] {message.subject} — step: {message.step.name}, "
                         f"incident's next update due {promise}")
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
