"""The end of the interval: the sweeper's release is once, whole, and survives crashes and races."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models.query import QuerySet

from comms import tasks
from comms.models import Delivery, DeliveryState, Stakeholder
from comms.outbox import coalescing, delivery, sweeper
from tests.comms.coalescing.conftest import IT, STAFF, T0, inbox, open_incident, plain, post


def states(update):
    return dict(Delivery.objects.filter(communication__update=update).values_list("address", "state"))


@pytest.fixture
def deferred_pair(customer, people, account_manager, at, smtp_server):
    """Two routine updates to IT (10:02, 10:05); the staff member, switched off after the first, has one."""
    incident = at(0, lambda: open_incident(customer, account_manager))
    first = at(2, post(incident, account_manager, "We are replacing the disk."))
    Stakeholder.objects.filter(email=STAFF).update(is_active=False)
    second = at(5, post(incident, account_manager, "The array is rebuilding."))
    assert states(first) == {IT: "deferred", STAFF: "deferred"} and states(second) == {IT: "deferred"}
    return first, second


def test_a_crash_mid_release_leaves_every_row_deferred_for_the_next_sweep(
    deferred_pair, smtp_server, clock, sweep_at, monkeypatch
):
    first, second = deferred_pair
    clock.move_to(T0 + timedelta(minutes=10))

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    # The staff member's single delivery is queued by a plain UPDATE first; then the merge dies.
    monkeypatch.setattr(QuerySet, "bulk_update", killed)
    with pytest.raises(RuntimeError, match="worker killed"):
        sweeper.sweep()
    assert states(first) == {IT: "deferred", STAFF: "deferred"} and states(second) == {IT: "deferred"}
    monkeypatch.undo()

    sweep_at(11)
    assert [len(inbox(smtp_server, address)) for address in (IT, STAFF)] == [2, 2]
    assert "Eerdere updates\n\n10:02 — We are replacing the disk." in plain(inbox(smtp_server, IT)[1])
    assert states(first) == {IT: "superseded", STAFF: "sent"} and states(second) == {IT: "sent"}


def test_a_crash_after_the_release_is_picked_up_by_the_next_sweep(deferred_pair, smtp_server, sweep_at,
                                                                   monkeypatch):
    first, second = deferred_pair
    monkeypatch.setattr(tasks, "enqueue_deliveries", lambda ids: None)  # released, then the worker died
    sweep_at(10)
    assert states(second) == {IT: "queued"} and len(inbox(smtp_server, IT)) == 1
    monkeypatch.undo()
    sweep_at(11)
    sweep_at(12)
    assert [len(inbox(smtp_server, address)) for address in (IT, STAFF)] == [2, 2]
    assert Delivery.objects.get(communication__update=second).attempts == 1


def test_a_release_that_read_rows_another_sweeper_then_released_changes_nothing(
    deferred_pair, smtp_server, clock, monkeypatch
):
    # SQLite has no row locks: two sweepers may read the same deferred rows. The one that
    # writes second finds them no longer deferred and backs off whole.
    first, second = deferred_pair
    now = T0 + timedelta(minutes=10)
    clock.move_to(now)
    stale = coalescing._due_groups(now)  # sweeper A reads...
    done = coalescing.release_due(now)  # ...sweeper B reads and releases...
    monkeypatch.setattr(coalescing, "_due_groups", lambda now: stale)
    late = coalescing.release_due(now)  # ...then A decides on what it read
    assert len(done.queued) == 2 and late.queued == late.superseded == []
    assert states(first) == {IT: "superseded", STAFF: "queued"} and states(second) == {IT: "queued"}
    delivery.deliver_batch([row.pk for row in done.queued + late.queued])
    assert [len(inbox(smtp_server, address)) for address in (IT, STAFF)] == [2, 2]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so sweeps cannot race")
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_send_every_deferred_message_once(customer, account_manager, smtp_server,
                                                               monkeypatch):
    addresses = [f"person{n}@midsize.example" for n in range(40)]
    Stakeholder.objects.bulk_create(
        Stakeholder(customer=customer, name=f"Person {n}", role="customer_it", audience="technical",
                    language="nl", email=address) for n, address in enumerate(addresses))
    with time_machine.travel(T0, tick=False) as clock:  # no transaction around the test: on_commit runs at once
        incident = open_incident(customer, account_manager)
        clock.move_to(T0 + timedelta(minutes=2))
        post(incident, account_manager, "We are replacing the disk.")()
        clock.move_to(T0 + timedelta(minutes=4))
        post(incident, account_manager, "The array is rebuilding.")()
        assert Delivery.objects.filter(state=DeliveryState.DEFERRED).count() == 2 * len(addresses)
        clock.move_to(T0 + timedelta(minutes=10))
        barrier = threading.Barrier(2)
        releases: list[coalescing.Release] = []
        monkeypatch.setattr(sweeper, "release_due", lambda now: releases.append(coalescing.release_due(now))
                            or releases[-1])

        def sweep_and_send(_: int) -> list[int]:
            try:
                barrier.wait(timeout=10)
                work = sweeper.sweep()
                delivery.deliver_batch(work.deliveries)
                return work.deliveries
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=2) as pool:
            handed_out = list(pool.map(sweep_and_send, range(2)))

    queued = [row.pk for release in releases for row in release.queued]
    superseded = [row.pk for release in releases for row in release.superseded]
    assert len(queued) == len(set(queued)) == len(addresses)  # each group decided by one sweeper
    assert len(superseded) == len(set(superseded)) == len(addresses)
    assert set(queued) <= {pk for work in handed_out for pk in work}
    for address in addresses:
        [_ack, merged] = inbox(smtp_server, address)
        assert "Eerdere updates" in plain(merged) and "The array is rebuilding." in plain(merged)
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 2 * len(addresses)
    assert Delivery.objects.filter(state=DeliveryState.SUPERSEDED).count() == len(addresses)
    assert set(Delivery.objects.filter(state=DeliveryState.SENT).values_list("attempts", flat=True)) == {1}
