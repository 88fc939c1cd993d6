"""The worker's side: accepted requests processed in arrival order, one failure never stops the
next, a request whose task was lost is picked up by the sweeper, old records are purged."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from incidents.models import Incident, Status
from intake import processing, tasks
from intake.models import IntakeRequest
from tests.intake.helpers import am_alert, am_payload, post

pytestmark = pytest.mark.django_db


def test_requests_wait_for_their_task_and_are_processed_in_arrival_order(client, alertmanager, cast):
    alert = am_alert("Down")
    post(client, alertmanager, am_payload(alert))  # no on-commit work: the task was never sent
    post(client, alertmanager, am_payload({**alert, "status": "resolved"}))
    assert list(IntakeRequest.objects.values_list("state", flat=True)) == ["pending", "pending"]
    assert not Incident.objects.exists()

    assert processing.process_pending(alertmanager.pk) == 2

    assert Incident.objects.get().status == Status.MONITORING  # opened, then recovered: not the other way
    assert [r.counts for r in IntakeRequest.objects.order_by("received_at", "pk")] == [
        {"opened": 1}, {"cleared": 1, "recovered": 1}]


def test_a_failing_request_is_marked_and_the_next_goes_on(client, alertmanager, cast, monkeypatch):
    post(client, alertmanager, am_payload(am_alert("First", instance="a")))
    post(client, alertmanager, am_payload(am_alert("Second", instance="b"), group="other"))
    real_ingest, calls = processing.ingest, []

    def ingest_failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(processing, "ingest", ingest_failing_once)
    processing.process_pending(alertmanager.pk)

    first, second = IntakeRequest.objects.order_by("received_at", "pk")
    assert (first.state, first.outcome) == ("failed", "RuntimeError: boom")
    assert second.state == "done" and Incident.objects.get().title == "Second on b"


def test_the_sweeper_hands_out_a_request_whose_task_was_lost(client, alertmanager, cast):
    post(client, alertmanager, am_payload(am_alert("Down")))
    tasks.sweep()  # too soon: its task may still be on its way
    assert IntakeRequest.objects.get().state == "pending"
    with time_machine.travel(timezone.now() + processing.SWEEP_AFTER + timedelta(seconds=1)):
        tasks.sweep()
    assert IntakeRequest.objects.get().state == "done" and Incident.objects.count() == 1


def test_old_records_are_purged(client, alertmanager, cast, settings):
    post(client, alertmanager, b"{")
    with time_machine.travel(timezone.now() + timedelta(days=settings.KALM_INTAKE_KEEP_DAYS, minutes=1)):
        post(client, alertmanager, b"{")
        assert processing.purge_requests() == 1
    assert IntakeRequest.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (SKIP LOCKED)")
@pytest.mark.django_db(transaction=True)
def test_a_busy_integration_is_left_to_the_worker_draining_it(client, alertmanager, cast, monkeypatch):
    monkeypatch.setattr("intake.receiving.enqueue", lambda *args: True)  # its task is still on the way
    post(client, alertmanager, am_payload(am_alert("Down")))
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic():
            list(type(alertmanager).objects.select_for_update().filter(pk=alertmanager.pk))
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    locked.wait(10)
    with pytest.raises(processing.Busy):
        processing.process_pending(alertmanager.pk)
    release.set()
    holder.join()
    assert IntakeRequest.objects.get().state == "pending"
    assert processing.process_pending(alertmanager.pk) == 1
