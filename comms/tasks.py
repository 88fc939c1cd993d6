"""Celery tasks: thin, idempotent, by primary key. The logic lives in comms.outbox (expansion,
delivery, sweeper); comms.outbox.planning enqueues ``expand_communication`` on commit."""

import logging

from celery import shared_task

from comms.outbox import delivery, expansion, sweeper

BATCH_SIZE = 50  # deliveries one task sends over one transport session (one SMTP connection)

logger = logging.getLogger(__name__)


def enqueue(task, *args) -> bool:
    """Send a task to the broker; if the broker is down, log and rely on the sweeper.

    Called after commit: the facts and the outbox rows are safe in the database, so a
    broker outage must not turn a successful request into an error.
    """
    try:
        task.delay(*args)
    except Exception as error:  # kombu/redis raise many types; any of them means "not queued now"
        logger.warning("broker unavailable, %s(%s) left for the sweeper: %s", task.name, args, error)
        return False
    return True


@shared_task(ignore_result=True, acks_late=True)
def expand_communication(communication_id: int) -> None:
    enqueue_deliveries(expansion.communication_expand(communication_id))


@shared_task(ignore_result=True, acks_late=True)
def deliver_batch(delivery_ids: list[int]) -> None:
    # Transient failures are queued again with a due time; the sweeper picks them up when
    # due, so no task sleeps or holds a worker while it waits.
    delivery.deliver_batch(delivery_ids)


@shared_task(ignore_result=True)
def sweep() -> None:
    """Every minute (beat): re-drive what the on-commit path did not (broker down, worker killed)."""
    work = sweeper.sweep()
    for communication_id in work.communications:
        enqueue(expand_communication, communication_id)
    enqueue_deliveries(work.deliveries)


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    for start in range(0, len(delivery_ids), BATCH_SIZE):
        enqueue(deliver_batch, delivery_ids[start:start + BATCH_SIZE])
