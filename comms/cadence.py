"""The cadence tick (DESIGN.md decision 3): every minute, find what is due and do it, once.

Each job is a pair. ``find(now)`` is ONE query for everything the job has due, leaving out
what the ledger (CadenceEvent) already records, so finding costs the same however many
incidents are open. ``handle(due)`` does the work for one item. The tick runs the items
of all jobs in the order they became due, each in a transaction of its own that starts
by inserting the item's CadenceEvent: the unique row is the claim. A second tick at the
same moment blocks on that insert until the first commits, then skips; a failure rolls
the claim back with the work, so the next tick tries again. One failing item is logged
and never stops the others (Netflix Dispatch's scheduled.py).

``tick()`` does all of that in the caller. Beat runs ``tick_dispatch()`` instead: the same
finding, then one task per incident (clock, window) with its items in due order, so a
burst of due work spreads over the workers and the minute's tick stays a dozen queries.
The jobs live with what they send: the cadence jobs here, the escalations and deadline
reminders in comms.escalation, the maintenance jobs in comms.maintenance_messages.

The ledger's ``due_at`` is the moment an item belongs to: the promised update time
(reminder, holding update, overdue escalation), the detection time (acknowledgment
release, open too long), the ETA, the resolution, the clock's deadline, the window's
start or end. A new promise, ETA or resolution is therefore a new item.

A shared incident follows its strictest contract (earliest reminder, holding updates if
any customer has them, shortest thresholds), as ``next_update_due`` does for the cadence.
"""

import functools
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    CharField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms import staff_notices
from comms.models import CadenceEvent
from incidents.cadence import incident_post_holding, incident_release_acknowledgment
from incidents.models import (
    OPEN_STATUSES,
    CustomerIncident,
    Incident,
    Status,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """One item of work. ``subject``, ``key`` and ``anchor`` are its ledger row; ``due_at`` its place in line."""

    job: str
    subject: str
    key: str
    anchor: datetime
    due_at: datetime
    pk: int  # the incident, clock or maintenance window
    customer_id: int | None = None  # the contract that made it due

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "anchor": self.anchor.isoformat(), "due_at": self.due_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Due":
        return cls(**{**data, "anchor": datetime.fromisoformat(data["anchor"]),
                      "due_at": datetime.fromisoformat(data["due_at"])})


@dataclass(frozen=True)
class Job:
    name: str
    find: Callable[[datetime], list[Due]]
    handle: Callable[[Due], bool]  # False: nothing to do after all, and the claim is rolled back


@dataclass
class TickReport:
    """Items per job: done, skipped (another tick had it, or nothing was left to do), failed."""

    done: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    dispatched: Counter[str] = field(default_factory=Counter)  # handed to workers (tick_dispatch)

    def __str__(self) -> str:
        parts = [f"{name} {dict(counts)}" for name, counts in vars(self).items() if counts]
        return "; ".join(parts) or "nothing due"


def tick(now: datetime | None = None) -> TickReport:
    """Find everything due at ``now`` (default: the current time) and handle each item once, in due order."""
    items, report = find_due(now or timezone.now())
    handle_items(items, report)
    return report


def tick_dispatch(now: datetime | None = None) -> TickReport:
    """What beat runs: find everything due and hand it to the workers, one task per subject.

    A subject (an incident, a clock, a window) keeps its items in due order in one task, so
    a holding update still comes before the overdue check it makes moot; subjects are
    dispatched in the order they became due and run side by side. The tick stays a dozen
    queries however much is due. A task that is lost leaves its items unclaimed, so the
    next tick finds them again; a duplicate is skipped at the claim.
    """
    from comms.tasks import enqueue, handle_due  # the tasks module imports this one

    items, report = find_due(now or timezone.now())
    batches: dict[str, list[Due]] = {}  # by subject, first due first
    for due in items:
        batches.setdefault(due.subject, []).append(due)
    for batch in batches.values():
        if enqueue(handle_due, [due.to_json() for due in batch]):
            report.dispatched.update(due.job for due in batch)
    return report


def find_due(now: datetime) -> tuple[list[Due], TickReport]:
    """Every job's due items, in due order (one query per job); a job whose query fails is reported."""
    report = TickReport()
    items: list[Due] = []
    for job in jobs().values():
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
        getattr(report, _run(jobs()[due.job], due))[due.job] += 1
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


# --- finding: one query per job -----------------------------------------------------------


class Minutes(Func):
    """An interval of ``expression`` minutes (an integer column), for per-contract due times in SQL."""

    template = "make_interval(mins => %(expressions)s)"
    output_field = DurationField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps durations as integer microseconds.
        return self.as_sql(compiler, connection, template="(%(expressions)s * 60000000)", **extra_context)


def shifted(moment: str, minutes, *, before: bool = False) -> ExpressionWrapper:
    expression = F(moment) - Minutes(minutes) if before else F(moment) + Minutes(minutes)
    return ExpressionWrapper(expression, output_field=DateTimeField())


def claimed(prefix: str, pk: str, key: str, anchor: str) -> Exists:
    """Whether the ledger already has ("<prefix><pk>", key, anchor) for the outer row."""
    subject = Concat(Value(prefix), Cast(OuterRef(pk), CharField()), output_field=CharField())
    return Exists(CadenceEvent.objects.filter(subject=subject, key=key, due_at=OuterRef(anchor)))


def incident_items(now: datetime, *, job: str, anchor: str, due, strictly: bool = False, **filters) -> list[Due]:
    """Open incidents whose contract (a customer link) makes ``job`` due by ``now``; the earliest link wins."""
    rows = (
        CustomerIncident.objects.filter(incident__status__in=OPEN_STATUSES, **filters)
        .annotate(due=due)
        .filter(**{"due__lt" if strictly else "due__lte": now})
        .exclude(claimed("incident:", "incident_id", job, f"incident__{anchor}"))
        .order_by("due", "added_at", "id")
        .values_list("incident_id", "customer_id", f"incident__{anchor}", "due")
    )
    items: dict[int, Due] = {}
    for pk, customer_id, anchored, due_at in rows:
        items.setdefault(pk, Due(job, f"incident:{pk}", job, anchored, due_at, pk, customer_id))
    return list(items.values())


def still_open(due: Due, **facts) -> Incident | None:
    """The incident if it is open and its facts are still what made the item due."""
    return Incident.objects.filter(pk=due.pk, status__in=OPEN_STATUSES, **facts).first()


# --- incident jobs ---------------------------------------------------------------------------


def find_ack_release(now: datetime) -> list[Due]:
    return incident_items(now, job="ack_release", anchor="detected_at", incident__acknowledged_at__isnull=True,
                          due=shifted("incident__detected_at", F("customer__ack_target_minutes")))


def handle_ack_release(due: Due) -> bool:
    """The target is reached without approval: release it (comms sends the held messages)."""
    incident = Incident.objects.get(pk=due.pk)
    return incident_release_acknowledgment(incident=incident, author=None) is not None


def find_reminders(now: datetime) -> list[Due]:
    # Only before the due time: once it has passed, the holding update or the escalation speaks.
    return incident_items(now, job="reminder", anchor="next_update_due_at", incident__next_update_due_at__gt=now,
                          customer__reminder_minutes_before__gt=0,
                          due=shifted("incident__next_update_due_at", F("customer__reminder_minutes_before"),
                                      before=True))


def handle_reminder(due: Due) -> bool:
    incident = still_open(due, next_update_due_at=due.anchor)
    if incident is None:
        return False
    holding = incident.customers.filter(holding_updates=True).exists()
    staff_notices.update_reminder(incident=incident, due_at=due.anchor, holding=holding)
    return True


def find_holding(now: datetime) -> list[Due]:
    return incident_items(now, job="holding", anchor="next_update_due_at", customer__holding_updates=True,
                          due=F("incident__next_update_due_at"))


def handle_holding(due: Due) -> bool:
    incident = Incident.objects.get(pk=due.pk)
    texts = holding_messages(status=incident.status)
    message = texts.pop(incident.language)
    translations = {language: {"message": text} for language, text in texts.items()}
    return incident_post_holding(incident=incident, message=message, translations=translations) is not None


def holding_messages(*, status: str) -> dict[str, str]:
    """ "We are still working on it." (while monitoring: "it works again, we keep watching") in
    every language Kalm writes, keyed by language: the status page shows it in each language.

    The next-update time is not in these words: every message template states the promise
    itself (``next_update_at``: the due time the holding update sets), so it is said once,
    in the reader's language and the customer's zone.
    """
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            if status == Status.MONITORING:
                texts[language] = _("The service is working again and we are keeping an eye on it. "
                                    "There is no new information yet.")
            else:
                texts[language] = _("We are still working on it. There is no new information yet.")
    return texts


INCIDENT_JOBS: tuple[Job, ...] = (
    Job("ack_release", find_ack_release, handle_ack_release),
    Job("reminder", find_reminders, handle_reminder),
    Job("holding", find_holding, handle_holding),
)


@functools.cache
def jobs() -> dict[str, Job]:
    """Every job by name. The escalation and maintenance jobs live with their messages and build on
    this module, so they are imported here, late."""
    from comms.escalation import ESCALATION_JOBS
    from comms.maintenance_messages import MAINTENANCE_JOBS

    return {job.name: job for job in (*INCIDENT_JOBS, *ESCALATION_JOBS, *MAINTENANCE_JOBS)}

