"""Celery glue for the intake: beat's hourly purge of old request records."""

import logging

from celery import shared_task

from intake import receiving

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def purge_requests() -> None:
    deleted = receiving.purge_requests()
    if deleted:
        logger.info("intake: forgot %d request records", deleted)
