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
periodic job (``tasks.refresh_status_pages``, beat) or the next full re-publish.

Publishes go to their own queues (``KALM_PUBLISH_QUEUES``, default ``publish``): one per web
host when there are several, each consumed by that host's publish worker writing its own
snapshot folder. A page is enqueued once to EACH queue, with a coalescing key per queue, so a
host that is down finds its durable queue waiting when it comes back (docs/deploy.md).

The enqueue itself is passed in (``tasks.enqueue_publish``): this module sits below both the
tasks and ``statuspage.publishing``, so neither has to import the other's caller.
"""

import itertools
import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def publish_queues() -> list[str]:
    return list(settings.KALM_PUBLISH_QUEUES) or ["publish"]


def coalescing_key(customer_id: int, queue: str = "") -> str:
    queue = queue or publish_queues()[0]
    return f"statuspage:publish:{queue}:{customer_id}"


def enqueue_once(customer_id: int, enqueue: Callable[[int, str], object]) -> bool:
    """``enqueue(customer_id, queue)`` on every publish queue where no publish of the page is
    waiting yet; True when enqueued anywhere."""
    if not settings.KALM_STATUS_SNAPSHOTS:
        return False
    enqueued = [_enqueue_on(queue, customer_id, enqueue) for queue in publish_queues()]  # every queue, always
    return any(enqueued)


def _enqueue_on(queue: str, customer_id: int, enqueue: Callable[[int, str], object]) -> bool:
    key = coalescing_key(customer_id, queue)
    try:
        if not _claim(key):
            return False
        enqueue(customer_id, queue)
    except Exception:
        # Broker or cache down: the periodic job catches up; the change itself is saved.
        logger.warning("status page publish for customer %s not enqueued on %s", customer_id, queue, exc_info=True)
        _forget(key)
        return False
    return True


def enqueue_batches_once(customer_ids: Sequence[int], enqueue_batch: Callable[[list[int], str], object], *,
                         size: int) -> int:
    """Many pages at once (the periodic job at a local midnight): per queue, the pages with no publish
    waiting there yet, ``size`` to a task, under the same keys as ``enqueue_once``; the batch task
    releases them as the single one does. Returns how many page publishes were enqueued."""
    if not settings.KALM_STATUS_SNAPSHOTS:
        return 0
    enqueued = 0
    for queue in publish_queues():
        for batch in itertools.batched(_claim_all(customer_ids, queue), size):
            try:
                enqueue_batch(list(batch), queue)
            except Exception:
                logger.warning("status page publish for %d customers not enqueued on %s", len(batch), queue,
                               exc_info=True)  # the next run finds them due again
                for customer_id in batch:
                    _forget(coalescing_key(customer_id, queue))
            else:
                enqueued += len(batch)
    return enqueued


def _claim_all(customer_ids: Sequence[int], queue: str) -> list[int]:
    """The pages whose key this run took on ``queue``. If the cache fails part-way, the keys already
    taken are given back: a key without its task would hold off every change's publish until it expires."""
    claimed: list[int] = []
    try:
        for customer_id in customer_ids:
            if _claim(coalescing_key(customer_id, queue)):
                claimed.append(customer_id)
    except Exception:
        logger.warning("coalescing keys on %s not readable; these pages wait for the next run", queue, exc_info=True)
        for customer_id in claimed:
            _forget(coalescing_key(customer_id, queue))
        return []
    return claimed


def _claim(key: str) -> bool:
    """True when no publish under this key is waiting (or nothing coalesces): the caller enqueues one."""
    return not settings.KALM_SNAPSHOT_COALESCE or cache.add(key, 1, timeout=settings.KALM_SNAPSHOT_COALESCE_SECONDS)


def release(customer_ids: Sequence[int], queue: str = "") -> None:
    """The task, before it renders its pages: from now on a change enqueues a new publish on its queue."""
    cache.delete_many([coalescing_key(customer_id, queue) for customer_id in customer_ids])


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("coalescing key %s not deleted", key, exc_info=True)
