"""Celery glue for the published status pages: thin, by primary key (the work is in
statuspage.snapshots, the once-per-burst rule in statuspage.publish_queue, what the clock changes
in statuspage.refresh). Nothing here imports statuspage.publishing: that module enqueues these
tasks. Publishes run on the publish queues (``KALM_PUBLISH_QUEUES``), never behind deliveries."""

import itertools

from celery import shared_task
from django.utils import timezone

from incidents.models import Customer
from statuspage import refresh, snapshots
from statuspage.publish_queue import enqueue_batches_once, publish_queues, release


@shared_task(bind=True, ignore_result=True)
def publish_status_page(self, customer_id: int) -> None:
    # Idempotent: renders the current state; an unchanged document is left as it is.
    release([customer_id], _queue_of(self.request))  # first: a change arriving while this renders queues another run
    snapshots.publish_by_id(customer_id)


def enqueue_publish(customer_id: int, queue: str) -> None:
    publish_status_page.apply_async((customer_id,), queue=queue)


def _queue_of(request) -> str:
    """The publish queue this run came from (each has its own coalescing key); "" when run inline."""
    return (request.delivery_info or {}).get("routing_key") or ""


@shared_task(ignore_result=True)
def refresh_status_pages() -> None:
    """Beat: publish the pages the clock has changed (a local midnight, a window's start or end, …), in
    batches. At a midnight that is every page of the zone: read 50 at a time they cost half the CPU of
    a task per page, and so does the wait of a change's publish queued behind them. A page already
    waiting is skipped."""
    enqueue_batches_once(refresh.pages_due(timezone.now()), enqueue_publish_batch, size=snapshots.BATCH)


@shared_task(bind=True, ignore_result=True)
def publish_status_pages(self, customer_ids: list[int]) -> None:
    """A batch of pages, their facts read together (``snapshots.publish_many``)."""
    release(customer_ids, _queue_of(self.request))  # first, as publish_status_page does
    snapshots.publish_many(Customer.objects.filter(pk__in=customer_ids).order_by("pk"))


def enqueue_publish_batch(customer_ids: list[int], queue: str) -> None:
    publish_status_pages.apply_async((customer_ids,), queue=queue)


@shared_task(ignore_result=True)
def publish_all_status_pages() -> None:
    """Re-publish every public page and prune the rest: after a deploy that changes how pages look.
    In batches (``snapshots.BATCH``), one per publish queue: each host's worker fills its own store."""
    snapshots.prune_store()
    for batch in itertools.batched(snapshots.public_customer_ids(), snapshots.BATCH):
        for queue in publish_queues():
            publish_status_pages.apply_async((list(batch),), queue=queue)
