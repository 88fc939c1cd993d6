"""Celery glue for the intake: process an integration's accepted requests (enqueued after the
webhook's commit), the sweeper for requests whose task was lost, and the hourly purge."""

import logging

from celery import shared_task
from django.core.cache import cache

from intake import processing

logger = logging.getLogger(__name__)


BUSY_RETRY_SECONDS = 1


@shared_task(ignore_result=True, acks_late=True)
def process_integration(integration_id: int) -> None:
    """Drain the integration's pending requests. If another worker is draining them, look again in
    a second unless nothing is left then (its last request may have come after that worker looked)."""
    try:
        processing.process_pending(integration_id)
    except processing.Busy:
        # One look-again per integration and second, however many tasks found it busy (a storm).
        if cache.add(f"intake:look-again:{integration_id}", 1, BUSY_RETRY_SECONDS) \
                and processing.has_pending(integration_id):
            process_integration.apply_async((integration_id,), countdown=BUSY_RETRY_SECONDS)


@shared_task(ignore_result=True)
def sweep() -> None:
    """Every minute (beat): requests still pending after ``SWEEP_AFTER`` are handed out again."""
    for integration_id in processing.integrations_left_pending():
        process_integration.delay(integration_id)


@shared_task(ignore_result=True)
def purge_requests() -> None:
    deleted = processing.purge_requests()
    if deleted:
        logger.info("intake: forgot %d request records", deleted)
