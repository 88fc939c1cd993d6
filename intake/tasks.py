"""Celery glue for the intake: process an integration's accepted requests (enqueued after the
webhook's commit), the sweeper for requests whose task was lost, and the hourly purge."""

import logging

from celery import shared_task

from intake import processing

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def process_integration(integration_id: int) -> None:
    processing.process_pending(integration_id)


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
