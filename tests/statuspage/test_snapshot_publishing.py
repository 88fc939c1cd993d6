"""When pages are published: every public change schedules one coalesced publish after commit."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from kombu.simple import SimpleQueue

from flows import incidents as incident_flow
from flows.maintenance import start as maintenance_start
from statuspage import publish_queue
from statuspage import snapshots as snapshot_module
from statuspage.publish_queue import coalescing_key
from statuspage.snapshot_store import PAGE, document_path, page_directory
from statuspage.tasks import (
    publish_all_status_pages,
    publish_status_page,
    publish_status_pages,
    refresh_status_pages,
)
from tests.comms.test_worker import use_broker
from tests.factories import ComponentFactory
from tests.statuspage.helpers import maintenance

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(snapshots, settings):
    """Tasks go to an in-memory broker instead of running inline; returns a reader of what was sent.

    Coalescing is on (as with Redis: this process's cache is the one the "worker" sees too).
    """
    from kalm.celery import app

    settings.KALM_SNAPSHOT_COALESCE = True

    original, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager = False
    use_broker(app, "memory://")

    def drain() -> list[tuple[str, list]]:
        sent = []
        with app.connection_for_read() as connection:
            queue = SimpleQueue(connection, "publish")  # publishes have their own queue (KALM_PUBLISH_QUEUES)
            while True:
                try:
                    message = queue.get_nowait()
                except SimpleQueue.Empty:
                    return sent
                sent.append((message.headers["task"], message.payload[0]))
                message.ack()

    drain()
    yield drain
    use_broker(app, original)
    app.conf.task_always_eager = eager


def post_updates(incident, author, count):
    for n in range(count):
        incident_flow.post_update(incident=incident, author=author, status="identified",
                                      message=f"Update {n}: still replacing the disk controller.")


def test_a_burst_of_changes_is_published_once(queued, customer, incident, account_manager, erp,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_updates(incident, account_manager, 5)
        erp.name = "ERP (SAP)"
        erp.save()
    assert queued() == [("statuspage.tasks.publish_status_page", [customer.pk])]
    assert cache.get(coalescing_key(customer.pk)) == 1

    publish_status_page(customer.pk)  # what the worker does with that message

    assert cache.get(coalescing_key(customer.pk)) is None, "deleted before rendering"
    assert b"Update 4: still replacing" in document_path("midsize", "en", PAGE).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        post_updates(incident, account_manager, 1)
    assert queued() == [("statuspage.tasks.publish_status_page", [customer.pk])], "the next change publishes again"


def test_maintenance_component_and_customer_changes_schedule_a_publish(queued, customer, other_customer,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ComponentFactory(customer=other_customer, name="VPN")
    assert queued() == [("statuspage.tasks.publish_status_page", [other_customer.pk])]
    with django_capture_on_commit_callbacks(execute=True):
        customer.name = "MidSize Manufacturing B.V."
        customer.save()
    assert queued() == [("statuspage.tasks.publish_status_page", [customer.pk])]
    window = maintenance(customer, start=timedelta(hours=-1), now=timezone.now())
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert maintenance_start(maintenance=window)
    assert queued() == [("statuspage.tasks.publish_status_page", [customer.pk])]


def test_without_a_shared_cache_every_change_publishes(queued, settings, customer, incident, account_manager,
                                                        django_capture_on_commit_callbacks):
    settings.KALM_SNAPSHOT_COALESCE = False  # make run without Redis: the worker cannot clear the web's key
    with django_capture_on_commit_callbacks(execute=True):
        post_updates(incident, account_manager, 2)
    assert queued() == [("statuspage.tasks.publish_status_page", [customer.pk])] * 2
    assert cache.get(coalescing_key(customer.pk)) is None


def test_nothing_is_scheduled_while_snapshots_are_off(queued, settings, incident, account_manager,
                                                      django_capture_on_commit_callbacks):
    settings.KALM_STATUS_SNAPSHOTS = False
    with django_capture_on_commit_callbacks(execute=True):
        post_updates(incident, account_manager, 2)
    assert queued() == []


def test_the_full_re_publish_prunes_and_queues_the_public_pages_in_batches(queued, snapshots, customer,
                                                                          other_customer):
    (snapshots / "gone" / "default").mkdir(parents=True)
    publish_all_status_pages()
    assert not (snapshots / "gone").exists()
    assert queued() == [("statuspage.tasks.publish_status_pages", [sorted([customer.pk, other_customer.pk])])]


def test_the_periodic_job_queues_due_pages_in_batches_once(queued, customer, other_customer, incident,
                                                           account_manager, django_capture_on_commit_callbacks,
                                                           monkeypatch):
    """Never published: both pages are due. One batch task per BATCH pages, not a task per page; a run
    while it waits adds nothing; the batch task frees the pages for the next change, as the single one."""
    monkeypatch.setattr(snapshot_module, "BATCH", 1)
    refresh_status_pages()
    assert queued() == [("statuspage.tasks.publish_status_pages", [[customer.pk]]),
                        ("statuspage.tasks.publish_status_pages", [[other_customer.pk]])]
    monkeypatch.setattr(snapshot_module, "BATCH", 50)
    refresh_status_pages()
    assert queued() == [], "both still waiting (their messages were only read here): nothing queued twice"

    publish_status_pages([customer.pk, other_customer.pk])  # what the worker does with those messages

    assert cache.get(coalescing_key(customer.pk)) is None and cache.get(coalescing_key(other_customer.pk)) is None
    assert document_path(customer.slug, "default", PAGE).exists()
    assert document_path(other_customer.slug, "default", PAGE).exists()
    with django_capture_on_commit_callbacks(execute=True):
        post_updates(incident, account_manager, 1)
    assert queued() == [("statuspage.tasks.publish_status_page", [customer.pk])], "a change publishes again at once"
    refresh_status_pages()
    assert queued() == [], "published as of now, and its change's publish is already waiting"


def test_a_cache_failing_part_way_leaves_no_key_behind(queued, customer, other_customer, monkeypatch):
    """A key taken without its task would hold off every change's publish until it expires."""
    calls = []

    class FailingPartWay:
        def add(self, key, *args, **kwargs):
            calls.append(key)
            if len(calls) > 1:
                raise ConnectionError("cache went away")
            return cache.add(key, *args, **kwargs)

        def delete(self, key):
            return cache.delete(key)

    monkeypatch.setattr(publish_queue, "cache", FailingPartWay())
    refresh_status_pages()
    monkeypatch.undo()

    assert len(calls) == 2 and queued() == []
    assert cache.get(coalescing_key(customer.pk)) is None and cache.get(coalescing_key(other_customer.pk)) is None
    refresh_status_pages()
    assert queued() == [("statuspage.tasks.publish_status_pages", [sorted([customer.pk, other_customer.pk])])]


def test_a_batch_task_publishes_its_pages(snapshots, customer, other_customer):
    publish_status_pages([customer.pk, other_customer.pk])
    assert document_path(customer.slug, "default", PAGE).exists()
    assert document_path(other_customer.slug, "default", PAGE).exists()


def test_a_publish_for_a_deleted_customer_prunes_its_page(snapshots, customer):
    publish_status_page(customer.pk)
    assert document_path("midsize", "default", PAGE).exists()
    customer.delete()  # the receiver's own prune waits for a commit, which never comes inside this test
    publish_status_page(customer.pk)
    assert not page_directory("midsize").exists()
