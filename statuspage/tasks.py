"""Celery glue for the published status pages: thin, by primary key (the work is in
statuspage.snapshots, the once-per-burst rule in statuspage.publish_queue, what the clock changes
in statuspage.refresh). Nothing here imports statuspage.publishing: that module enqueues these
tasks. Publishes run on the publish queues (``KALM_PUBLISH_QUEUES``), never behind deliveries."""

from celery import shared_task
from django.utils import timezone

from statuspage import refresh, snapshots
from statuspage.publish_queue import enqueue_once, release


@shared_task(bind=True, ignore_result=True)
def publish_status_page(self, customer_id: int) -> None:
    # Idempotent: renders the current state; an unchanged document is left as it is.
    release(customer_id, _queue_of(self.request))  # first: a change arriving while this renders queues another run
    snapshots.publish_by_id(customer_id)


def enqueue_publish(customer_id: int, queue: str) -> None:
    publish_status_page.apply_async((customer_id,), queue=queue)


def _queue_of(request) -> str:
    """The publish queue this run came from (each has its own coalescing key); "" when run inline."""
    return (request.delivery_info or {}).get("routing_key") or ""


@shared_task(ignore_result=True)
def refresh_status_pages() -> None:
    """Beat: publish the pages the clock has changed (a local midnight, a window's start or end, …)."""
    for customer_id in refresh.pages_due(timezone.now()):
        enqueue_once(customer_id, enqueue_publish)


@shared_task(ignore_result=True)
def publish_all_status_pages() -> None:
    """Re-publish every public page and prune the rest: after a deploy that changes how pages look."""
    snapshots.prune_store()
    for customer_id in snapshots.public_customer_ids():
        enqueue_once(customer_id, enqueue_publish)
