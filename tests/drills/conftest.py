"""Drills: a customer whose directory has everyone a real incident would reach (customer
stakeholders on every channel, status page subscribers by e-mail and webhook) and one internal
(MSP) service desk, so every test can check that a drill reaches the desk and no one else.

The clock is time-machine's, stopped: T0 is 10:00 in Amsterdam. Celery runs inline; ``commit()``
runs the on-commit callbacks (expand → deliver) as the request that wrote the facts would.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from comms.models import Stakeholder
from comms.transports.sms import ConsoleSmsProvider, SentSms
from statuspage import subscriptions

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DESK = "servicedesk@msp.example"
SITE = "https://status.msp.example"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE
    settings.KALM_COALESCE_MINUTES = 0
    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sms_outbox(settings) -> Iterator[list[SentSms]]:
    settings.KALM_SMS_PROVIDER = "console"
    ConsoleSmsProvider.outbox.clear()
    yield ConsoleSmsProvider.outbox
    ConsoleSmsProvider.outbox.clear()


@pytest.fixture
def desk(customer):
    """The MSP's own service desk in MidSize's directory, reading Dutch; its webhook and SMS must stay unused."""
    return Stakeholder.objects.create(customer=customer, name="MSP servicedesk", role="internal_msp",
                                      audience="technical", language="nl", email=DESK, phone="+31612340000",
                                      webhook_url="http://127.0.0.1:9/desk-hook")


@pytest.fixture
def directory(customer, desk, file_server, erp, http_sink):
    """Everyone a real critical incident reaches: customer IT (e-mail, SMS, webhook), the executives,
    an e-mail subscriber and a webhook subscriber of the status page."""
    desk.webhook_url = http_sink.url("/desk")
    desk.save(update_fields=["webhook_url"])
    it = Stakeholder.objects.create(customer=customer, name="IT", role="customer_it", audience="technical",
                                    language="nl", email="it@midsize.example", phone="+31612345001",
                                    webhook_url=http_sink.url("/it"))
    executives = Stakeholder.objects.create(customer=customer, name="Directie", role="executives",
                                            audience="executive", language="en", email="directie@midsize.example",
                                            phone="+31612345003")
    mail = subscriptions.confirm(subscription=subscriptions.subscribe(
        customer=customer, channel="email", address="fan@example.com", language="nl", components=[],
        contact_email=""))
    hook = subscriptions.confirm(subscription=subscriptions.subscribe(
        customer=customer, channel="webhook", address=http_sink.url("/subscriber"), language="en", components=[],
        contact_email="ops@example.com"))
    return {"it": it, "executives": executives, "subscriber": mail, "webhook_subscriber": hook}


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def snapshots(settings, tmp_path):
    """Published status pages on (tests/conftest.py turns them off), in a store of this test's own."""
    settings.KALM_STATUS_SNAPSHOTS = True
    settings.KALM_SNAPSHOT_DIR = tmp_path / "snapshots"
    cache.clear()  # coalescing keys from other tests
    return settings.KALM_SNAPSHOT_DIR
