"""Celery glue for the published status pages: thin, by primary key (the work is in
statuspage.snapshots, the once-per-burst rule in statuspage.publish_queue). Nothing here
imports statuspage.publishing: that module enqueues these tasks."""

from celery import shared_task

from statuspage import snapshots
from statuspage.publish_queue import enqueue_once, release


@shared_task(ignore_result=True)
def publish_status_page(customer_id: int) -> None:
    # Idempotent: renders the current state; an unchanged document is left as it is.
    release(customer_id)  # first: a change arriving while this renders queues another run
    snapshots.publish_by_id(customer_id)


@shared_task(ignore_result=True)
def publish_all_status_pages() -> None:
    """Re-publish every public page (ages, uptime bars, the day boundary) and prune the rest."""
    snapshots.prune_store()
    for customer_id in snapshots.public_customer_ids():
        enqueue_once(customer_id, publish_status_page.delay)
