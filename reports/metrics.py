"""Post-incident metrics: plain functions of plain data (no database, no clock).

``reports.facts`` loads an incident into these inputs; everything here is computed from
the arguments alone, so a crafted timeline is enough to test it.

Definitions, as the report states them:

- **Time to acknowledge**: from detection to the acknowledgment going out, against the
  contract's target.
- **Update intervals**: every gap between consecutive public updates while the incident
  was open (a resolution closes the last gap; the time between a resolution and a
  reopening is not a gap). The promise in force moves with the facts: at every moment of
  a gap the next update is due one cadence (of the severity and status at that moment)
  after the gap started, exactly as the cadence engine recomputes it. A gap is on time
  when no moment of it was past the promise in force. A gap still running at report time
  counts only once it is late.
- **Downtime per component**: time in partial or major outage on this incident's
  component history; the total is the union over the components (wall-clock time during
  which at least one was down), so overlapping outages are not counted twice.
- **Regulatory notifications**: met when filed no later than the deadline.
- **SLA credit**: total downtime in hours × the contract's percentage per hour, at most 100 %.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from incidents.models import ComponentStatus, Status

OUTAGE_STATUSES = frozenset({ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE})
CadenceFor = Callable[[str, str], timedelta]  # (severity, status) -> time between public updates


@dataclass(frozen=True)
class Point:
    """One timeline entry: when, the status and severity after it, and whether it was a public update."""

    at: datetime
    status: str
    severity: str
    public: bool


@dataclass(frozen=True)
class Acknowledgment:
    elapsed: timedelta | None  # None: never acknowledged
    target: timedelta

    @property
    def met(self) -> bool | None:
        return None if self.elapsed is None else self.elapsed <= self.target


def acknowledgment(*, detected_at: datetime, acknowledged_at: datetime | None, target: timedelta) -> Acknowledgment:
    if acknowledged_at is None:
        return Acknowledgment(elapsed=None, target=target)
    return Acknowledgment(elapsed=max(acknowledged_at - detected_at, timedelta(0)), target=target)


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime
    allowed: timedelta  # the cadence in force when the gap ended
    late: bool
    ongoing: bool = False

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Cadence:
    gaps: tuple[Gap, ...]

    @property
    def counted(self) -> int:
        return len(self.gaps)

    @property
    def on_time(self) -> int:
        return sum(not gap.late for gap in self.gaps)

    @property
    def on_time_percent(self) -> float | None:
        return round(100 * self.on_time / self.counted, 1) if self.gaps else None

    @property
    def longest(self) -> Gap | None:
        return max(self.gaps, key=lambda gap: gap.length, default=None)


def update_intervals(points: Sequence[Point], cadence: CadenceFor, *, now: datetime) -> Cadence:
    """Each gap between consecutive public updates while open, against the cadence in force."""
    gaps: list[Gap] = []
    gap_start: datetime | None = None
    in_force = timedelta(0)
    late = False
    for point in sorted(points, key=lambda p: p.at):
        if gap_start is not None and point.at > gap_start + in_force:
            late = True  # the promise of the state that just ended was already broken
        if gap_start is not None and point.public:
            gaps.append(Gap(start=gap_start, end=point.at, allowed=in_force, late=late))
        in_force = cadence(point.severity, point.status)
        if point.status == Status.RESOLVED:
            gap_start = None
        elif point.public:
            gap_start, late = point.at, False
    if gap_start is not None and (late or now > gap_start + in_force):
        gaps.append(Gap(start=gap_start, end=now, allowed=in_force, late=True, ongoing=True))
    return Cadence(gaps=tuple(gaps))


@dataclass(frozen=True)
class Resolution:
    time_to_detect: timedelta
    time_to_resolve: timedelta | None  # start to the final resolution; None while open
    open_time: timedelta  # start to end, less the time between a resolution and a reopening
    reopen_count: int


def resolution(*, started_at: datetime, detected_at: datetime, resolved_at: datetime | None,
               points: Sequence[Point], now: datetime) -> Resolution:
    ordered = sorted(points, key=lambda p: p.at)
    closed = timedelta(0)
    reopens = 0
    resolved_since: datetime | None = None
    for point in ordered:
        if point.status == Status.RESOLVED and resolved_since is None:
            resolved_since = point.at
        elif point.status != Status.RESOLVED and resolved_since is not None:
            closed += point.at - resolved_since
            resolved_since = None
            reopens += 1
    end = resolved_at or now
    return Resolution(
        time_to_detect=max(detected_at - started_at, timedelta(0)),
        time_to_resolve=resolved_at - started_at if resolved_at else None,
        open_time=max(end - started_at - closed, timedelta(0)),
        reopen_count=reopens,
    )


@dataclass(frozen=True)
class Change:
    """A component's status from ``at`` on (``""`` or operational: not down)."""

    at: datetime
    component: str
    status: str


Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Downtime:
    component: str
    outage: timedelta  # partial or major outage
    major: timedelta
    worst: str
    intervals: tuple[Interval, ...]


def component_downtime(changes: Iterable[Change], *, end: datetime) -> list[Downtime]:
    """Time each component spent in partial or major outage, in order of first appearance."""
    history: dict[str, list[Change]] = {}
    for change in sorted(changes, key=lambda c: c.at):
        history.setdefault(change.component, []).append(change)
    return [_downtime(name, entries, end) for name, entries in history.items()]


def _downtime(name: str, entries: list[Change], end: datetime) -> Downtime:
    outage: list[Interval] = []
    major = timedelta(0)
    worst = ComponentStatus.OPERATIONAL
    closing = [*entries[1:], Change(at=max(end, entries[-1].at), component=name, status="")]
    for change, following in zip(entries, closing, strict=True):
        if change.status in ComponentStatus.values and ComponentStatus.weight(change.status) > \
                ComponentStatus.weight(worst):
            worst = change.status
        if change.status in OUTAGE_STATUSES and following.at > change.at:
            outage.append((change.at, following.at))
            if change.status == ComponentStatus.MAJOR_OUTAGE:
                major += following.at - change.at
    merged = merge_intervals(outage)
    return Downtime(component=name, outage=_length(merged), major=major, worst=worst, intervals=tuple(merged))


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, stop in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _length(intervals: Iterable[Interval]) -> timedelta:
    return sum((stop - start for start, stop in intervals), timedelta(0))


def total_downtime(downtimes: Iterable[Downtime]) -> timedelta:
    """Wall-clock time during which at least one component was in outage."""
    return _length(merge_intervals(interval for item in downtimes for interval in item.intervals))


@dataclass(frozen=True)
class Notification:
    regime: str
    started_at: datetime
    deadline_at: datetime
    filed_at: datetime | None
    outcome: str  # met | late | overdue | running

    @property
    def met(self) -> bool | None:
        return {"met": True, "late": False, "overdue": False}.get(self.outcome)


def notification(*, regime: str, started_at: datetime, deadline_at: datetime, filed_at: datetime | None,
                 now: datetime) -> Notification:
    if filed_at is not None:
        outcome = "met" if filed_at <= deadline_at else "late"
    else:
        outcome = "overdue" if now > deadline_at else "running"
    return Notification(regime=regime, started_at=started_at, deadline_at=deadline_at, filed_at=filed_at,
                        outcome=outcome)


def sla_credit(downtime: timedelta, percent_per_hour: Decimal | None) -> Decimal | None:
    """Percent of the monthly fee owed; None when the contract defines no credits."""
    if percent_per_hour is None:
        return None
    hours = Decimal(int(downtime.total_seconds())) / Decimal(3600)
    return min(Decimal(100), hours * percent_per_hour).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hours(value: timedelta) -> Decimal:
    """Hours with two decimals, for the report's arithmetic lines."""
    return (Decimal(int(value.total_seconds())) / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
