"""One queued publish per burst of changes: the cache key the scheduler adds and the task deletes.

The first change adds the key and enqueues a publish at once; changes that follow while that
publish is still queued find the key and add nothing. The task deletes the key BEFORE it
renders (``release``), so a change that lands during rendering schedules one more run and is
never lost.

That needs a cache shared by the web and worker processes (``KALM_SNAPSHOT_COALESCE``, on
with Redis). With the per-process cache of ``make run`` the worker could not delete the web
process's key, so there every change simply enqueues its own publish.

No countdown/ETA on purpose: a worker holding ETA tasks when Redis drops has been seen to
crash or lose them on reconnect (celery/celery#8845); a plain task is redelivered
(``acks_late``). If the broker or the cache is down the change is logged and left to the
periodic re-publish (``tasks.publish_all_status_pages``, beat).

The enqueue itself is passed in (``tasks.publish_status_page.delay``): this module sits below
both the tasks and ``statuspage.publishing``, so neither has to import the other's caller.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def coalescing_key(customer_id: int) -> str:
    return f"statuspage:publish:{customer_id}"


def enqueue_once(customer_id: int, enqueue: Callable[[int], object]) -> bool:
    """``enqueue(customer_id)`` unless a publish of the page is already waiting; True when enqueued."""
    if not settings.KALM_STATUS_SNAPSHOTS:
        return False
    key = coalescing_key(customer_id)
    try:
        if settings.KALM_SNAPSHOT_COALESCE and not cache.add(key, 1, timeout=settings.KALM_SNAPSHOT_COALESCE_SECONDS):
            return False
        enqueue(customer_id)
    except Exception:
        # Broker or cache down: the periodic re-publish catches up; the change itself is saved.
        logger.warning("status page publish for customer %s not enqueued", customer_id, exc_info=True)
        _forget(key)
        return False
    return True


def release(customer_id: int) -> None:
    """The task, before it renders: from now on a change enqueues a new publish."""
    cache.delete(coalescing_key(customer_id))


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("coalescing key %s not deleted", key, exc_info=True)
