"""The cadence tick (docs/architecture.md, decision 3): every minute, find what is due and do it, once.

Each job is a pair. ``find(now)`` is ONE query for everything the job has due, leaving out
what the ledger (CadenceEvent) already records, so finding costs the same however many
incidents are open. ``handle(due)`` does the work for one item. The tick runs the items
of all jobs in the order they became due, each in a transaction of its own that starts
by inserting the item's CadenceEvent: the unique row is the claim. A second tick at the
same moment blocks on that insert until the first commits, then skips; a failure rolls
the claim back with the work, so the next tick tries again. One failing item is logged
and never stops the others (Netflix Dispatch's scheduled.py).

``tick()`` does all of that in the caller. Beat runs ``cadence.tasks.tick`` instead: the same
finding, then one task per incident (clock, window) with its items in due order, so a
burst of due work spreads over the workers and the minute's tick stays a dozen queries.
The jobs: cadence.incident_jobs (acknowledgment release, reminders, holding updates),
cadence.escalation_jobs (late updates, time thresholds, legal clocks, post-incident
summaries), cadence.maintenance_jobs (reminders, start, completion), cadence.intake_jobs (alerts
that now count, drafts released at the target, quiet recoveries resolved).

The ledger's ``due_at`` is the moment an item belongs to: the promised update time
(reminder, holding update, overdue escalation), the detection time (acknowledgment
release, open too long), the ETA, the resolution, the clock's deadline, the window's
start or end. A new promise, ETA or resolution is therefore a new item.

A shared incident follows its strictest contract (earliest reminder, holding updates if
any customer has them, shortest thresholds), as ``next_update_due`` does for the cadence.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from cadence.escalation_jobs import ESCALATION_JOBS
from cadence.followup_jobs import FOLLOWUP_JOBS
from cadence.incident_jobs import INCIDENT_JOBS
from cadence.intake_jobs import INTAKE_JOBS
from cadence.ledger import Due, Job, TickReport
from cadence.maintenance_jobs import MAINTENANCE_JOBS
from cadence.models import CadenceEvent
from cadence.role_jobs import ROLE_JOBS
from cadence.service_report_jobs import SERVICE_REPORT_JOBS

logger = logging.getLogger(__name__)

JOBS: dict[str, Job] = {job.name: job for job in (*INCIDENT_JOBS, *ESCALATION_JOBS, *MAINTENANCE_JOBS,
                                                   *INTAKE_JOBS, *FOLLOWUP_JOBS, *SERVICE_REPORT_JOBS,
                                                   *ROLE_JOBS)}


def tick(now: datetime | None = None) -> TickReport:
    """Find everything due at ``now`` (default: the current time) and handle each item once, in due order."""
    items, report = find_due(now or timezone.now())
    handle_items(items, report)
    return report


def find_due(now: datetime) -> tuple[list[Due], TickReport]:
    """Every job's due items, in due order (one query per job); a job whose query fails is reported."""
    report = TickReport()
    items: list[Due] = []
    for job in JOBS.values():
        try:
            items += job.find(now)
        except Exception:
            logger.exception("tick: finding %s failed", job.name)
            report.failed[job.name] += 1
    return sorted(items, key=lambda item: (item.due_at, item.subject, item.key)), report


def handle_items(items: list[Due], report: TickReport | None = None) -> TickReport:
    """Handle each item in its own transaction; one failure never stops the others."""
    report = report or TickReport()
    for due in items:
        getattr(report, _run(JOBS[due.job], due))[due.job] += 1
    return report


def _run(job: Job, due: Due) -> str:
    try:
        with transaction.atomic():
            if not _claim(due):
                return "skipped"
            if job.handle(due):
                return "done"
            transaction.set_rollback(True)  # nothing to do after all: leave no claim behind
            return "skipped"
    except Exception:  # one item must never stop the others; the next tick tries it again
        logger.exception("tick: %s for %s failed", due.job, due.subject)
        return "failed"


def _claim(due: Due) -> bool:
    """Insert the ledger row (a savepoint, so a duplicate leaves the transaction usable)."""
    try:
        with transaction.atomic():
            CadenceEvent.objects.create(subject=due.subject, key=due.key, due_at=due.anchor)
    except IntegrityError:
        return False
    return True


