"""The tick's Celery tasks: beat runs ``tick`` every minute; ``handle_due`` does one subject's items."""

import logging

from celery import shared_task
from django.utils import timezone

from cadence.ledger import Due, TickReport
from cadence.runs import record_run
from cadence.tick import find_due, handle_items
from comms.tasks import enqueue

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def tick() -> None:
    """Every minute (beat): reminders, holding updates, escalations, clocks, maintenance (cadence.tick).

    A run that got to its end is recorded (cadence.runs) for /readyz and /metrics.
    """
    started_at = timezone.now()
    report = tick_dispatch(started_at)
    if report.dispatched or report.failed:
        logger.info("tick: %s", report)
    record_run(started_at, timezone.now(), failed=sum(report.failed.values()))


@shared_task(ignore_result=True, acks_late=True)
def handle_due(items: list[dict]) -> None:
    """One subject's due items, in due order; each claimed in the ledger, so a duplicate does nothing."""
    report = handle_items([Due.from_json(item) for item in items])
    if report.done or report.failed:
        logger.info("tick items: %s", report)


def tick_dispatch(now=None) -> TickReport:
    """Find everything due and hand it to the workers, one task per subject.

    A subject (an incident, a clock, a window) keeps its items in due order in one task, so
    a holding update still comes before the overdue check it makes moot; subjects are
    dispatched in the order they became due and run side by side. The tick stays a dozen
    queries however much is due. A task that is lost leaves its items unclaimed, so the
    next tick finds them again; a duplicate is skipped at the claim.
    """
    items, report = find_due(now or timezone.now())
    batches: dict[str, list[Due]] = {}  # by subject, first due first
    for due in items:
        batches.setdefault(due.subject, []).append(due)
    for batch in batches.values():
        if enqueue(handle_due, [due.to_json() for due in batch]):
            report.dispatched.update(due.job for due in batch)
    return report
