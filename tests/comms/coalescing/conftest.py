"""The coalescing tests (comms.outbox.coalescing): a stopped clock at T0 (10:00 in Amsterdam), two
stakeholders (IT in Dutch, staff in English), and steps that run what they enqueue, as the
workers would. Messages go to the real SMTP server on loopback (``smtp_server``)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comms import tasks
from comms.models import Delivery, Stakeholder
from flows import incidents as incident_flow

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
IT, STAFF = "it@midsize.example", "staff@midsize.example"


@pytest.fixture(autouse=True)
def interval(settings):
    settings.KALM_COALESCE_MINUTES = 10


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(customer):
    make = Stakeholder.objects.create
    return [make(customer=customer, name="IT", role="customer_it", audience="technical", language="nl", email=IT),
            make(customer=customer, name="Staff", role="affected_users", audience="end_user", language="en",
                 email=STAFF)]


@pytest.fixture
def at(clock, django_capture_on_commit_callbacks):
    """``at(minutes, action)``: at T0 + minutes, run ``action`` and everything it enqueues after commit."""

    def run(minutes: float, action):
        clock.move_to(T0 + timedelta(minutes=minutes))
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


@pytest.fixture
def sweep_at(at):
    """``sweep_at(minutes)``: what beat does every minute (tasks run inline in tests)."""
    return lambda minutes: at(minutes, tasks.sweep)


def open_incident(customer, author):
    return incident_flow.open_incident(customer=customer, title="File server outage", category="server",
                                  severity="high", message="We are investigating.", author=author)


def post(incident, author, message="", **facts):
    return lambda: incident_flow.post_update(incident=incident, author=author, message=message, **facts)


def inbox(smtp_server, address):
    return [mail.message for mail in smtp_server.messages if address in mail.rcpt_tos]


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def deliveries(update, address=IT):
    return Delivery.objects.filter(communication__update=update, address=address)
