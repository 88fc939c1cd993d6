"""When the status page snapshots are re-rendered: coalesced, after commit, by primary key.

Every change the public may see calls ``publish_after_commit`` (flows/, and statuspage.receivers for
edits of customers and components).
The first change adds a cache key and enqueues ``publish_status_page`` at once; changes
that follow while that task is still queued find the key and add nothing. The task deletes
the key BEFORE it renders, so a change that lands during rendering schedules one more run
and is never lost.

That needs a cache shared by the web and worker processes (``KALM_SNAPSHOT_COALESCE``, on
with Redis). With the per-process cache of ``make run`` the worker could not delete the web
process's key, so there every change simply enqueues its own publish.

No countdown/ETA on purpose: a worker holding ETA tasks when Redis drops has been seen to
crash or lose them on reconnect (celery/celery#8845); a plain task is redelivered
(``acks_late``). If the broker or the cache is down the change is logged and left to the
periodic re-publish (``publish_all_status_pages``, beat).
"""

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from incidents.models import Customer
from statuspage.snapshot_store import page_directory

logger = logging.getLogger(__name__)


def coalescing_key(customer_id: int) -> str:
    return f"statuspage:publish:{customer_id}"


def schedule_publish(customer_id: int) -> bool:
    """Enqueue one publish of the customer's page unless one is already waiting; True when enqueued."""
    from statuspage.tasks import publish_status_page

    if not settings.KALM_STATUS_SNAPSHOTS:
        return False
    key = coalescing_key(customer_id)
    try:
        if settings.KALM_SNAPSHOT_COALESCE and not cache.add(key, 1, timeout=settings.KALM_SNAPSHOT_COALESCE_SECONDS):
            return False
        publish_status_page.delay(customer_id)
    except Exception:
        # Broker or cache down: the periodic re-publish catches up; the change itself is saved.
        logger.warning("status page publish for customer %s not enqueued", customer_id, exc_info=True)
        _forget(key)
        return False
    return True


def publish_after_commit(customer_ids: Iterable[int]) -> None:
    """Schedule a publish of each customer's page once the caller's transaction commits."""
    if not settings.KALM_STATUS_SNAPSHOTS:
        return
    for customer_id in sorted(set(customer_ids)):
        transaction.on_commit(partial(schedule_publish, customer_id), robust=True)


def ensure_published(customer: Customer) -> None:
    """A public page served by the computed path because it is not in the store yet (a fresh
    deployment, a new customer): publish it, so the next visitors get the snapshot."""
    if settings.KALM_STATUS_SNAPSHOTS and customer.status_page_public and not page_directory(customer.slug).is_dir():
        schedule_publish(customer.pk)


def publish_now(customer_id: int) -> list[str]:
    """What the task does: forget the burst, then render (a gone customer's page is pruned)."""
    from statuspage import snapshots  # renders through the views, which import this module

    cache.delete(coalescing_key(customer_id))
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        snapshots.prune_store()
        return []
    return snapshots.publish(customer)


def schedule_all() -> int:
    """Re-publish every public page (ages, uptime bars, the day boundary) and prune the rest."""
    from statuspage import snapshots

    snapshots.prune_store()
    ids = Customer.objects.filter(status_page_public=True).values_list("pk", flat=True)
    return sum(schedule_publish(customer_id) for customer_id in ids)


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("coalescing key %s not deleted", key, exc_info=True)
