"""The tick's building blocks: an item of work (``Due``), a job (``find`` + ``handle``), the report,
and the SQL that finds due rows in one query per job while leaving out what the ledger
(``cadence.models.CadenceEvent``) already records. cadence.tick runs the jobs."""

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

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

from cadence.models import CadenceEvent
from incidents.models import OPEN_STATUSES, CustomerIncident, Incident


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


