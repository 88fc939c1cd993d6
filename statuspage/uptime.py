"""The 90-day uptime bar of each component.

A component's status at any moment is the worst of

* the status each incident gave it (``ComponentChange`` rows, timed by their
  ``IncidentUpdate.created_at``; a resolution sets them back to operational), and
* ``under_maintenance`` inside a maintenance window (recorded start/end when known,
  otherwise the planned window; cancelled windows do not count).

Each bar day (a calendar day in the customer's time zone, oldest first, today last and
counted up to now) shows the worst status the component had that day and how long each
non-operational status lasted. **Uptime rule:** over the whole window, time in
*major outage* counts as down, time in *partial outage* counts as half down; degraded
performance and maintenance count as up. The percentage is truncated (never rounded up)
to two decimals, so any downtime shows below 100 %.

Reads are one query for the whole window (``load_changes``); the rest is plain Python.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import NamedTuple

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.formatting import day_label, duration_short
from incidents.models import ComponentChange, ComponentStatus, Customer

UPTIME_DAYS = 90
# Share of the time in each status that counts as downtime.
DOWNTIME_WEIGHT = {ComponentStatus.MAJOR_OUTAGE: 1.0, ComponentStatus.PARTIAL_OUTAGE: 0.5}


class Change(NamedTuple):
    """An incident set a component to ``status`` at ``at``."""

    incident_id: int
    component_id: int
    status: str
    at: datetime


class Window(NamedTuple):
    """A component was under maintenance from ``start`` to ``end``."""

    component_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class UptimeDay:
    date: date
    status: str  # the worst ComponentStatus of the day
    durations: tuple[tuple[str, int], ...]  # (non-operational status, seconds), worst first

    @property
    def text(self) -> str:
        """The day in words, for screen readers and tooltips: "23 Nov: Partial outage for 2 h 10 min"."""
        if not self.durations:
            return operational_day_text(self.date, get_language())
        day = day_label(self.date)
        parts = [
            _("%(status)s for %(duration)s") % {
                "status": ComponentStatus(status).label, "duration": duration_short(timedelta(seconds=max(secs, 60)))}
            for status, secs in self.durations
        ]
        return f"{day}: {'; '.join(parts)}"


@lru_cache(maxsize=2048)
def operational_day_text(day: date, language: str) -> str:
    """Most days of most bars: the same words for every component (``language`` is the active one,
    passed for the cache key)."""
    return _("%(day)s: %(status)s") % {"day": day_label(day, language), "status": ComponentStatus.OPERATIONAL.label}


@dataclass(frozen=True, slots=True)
class UptimeBar:
    days: list[UptimeDay]  # oldest first
    percent: float  # 0–100, truncated to two decimals
    # The bar's HTML once rendered (statuspage_tags.uptime_days), by language: a publish renders each
    # bar once per language, not once per document and variant that shows it (issue 14).
    rendered: dict[str, SafeString] = field(default_factory=dict, compare=False, repr=False)

    @property
    def percent_label(self) -> str:
        """Two decimals in the active language's style: "99.95" in English, "99,95" in Dutch and German."""
        return number_format(self.percent, 2)


def window_start(now: datetime, tz: tzinfo, days: int = UPTIME_DAYS) -> datetime:
    """Midnight (in ``tz``) at the start of the oldest bar day, in UTC."""
    first = now.astimezone(tz).date() - timedelta(days=days - 1)
    return datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC)


def load_changes(customer: Customer, *, since: datetime) -> list[Change]:
    """Component changes that can matter after ``since``: those made since, and those of incidents open then."""
    return load_changes_of([customer], since={customer.pk: since})[customer.pk]


def load_changes_of(customers: list[Customer], *, since: dict[int, datetime]) -> dict[int, list[Change]]:
    """``load_changes`` of each customer (``since``: by customer id), in one query for all of them."""
    earliest = min(since.values())
    rows = (
        ComponentChange.objects.filter(component__customer__in=customers, update__incident__is_drill=False)
        .filter(
            Q(update__created_at__gte=earliest)
            | Q(update__incident__resolved_at__isnull=True)
            | Q(update__incident__resolved_at__gte=earliest)
        )
        .order_by("update__created_at", "update_id", "pk")
        .values_list("component__customer_id", "update__incident__resolved_at",
                     "update__incident_id", "component_id", "status", "update__created_at")
    )
    found: dict[int, list[Change]] = {customer.pk: [] for customer in customers}
    for customer_id, resolved_at, *change in rows:
        start = since[customer_id]
        if change[-1] >= start or resolved_at is None or resolved_at >= start:
            found[customer_id].append(Change(*change))
    return found


def uptime_bars(
    component_ids: Iterable[int], changes: Iterable[Change], windows: Iterable[Window], *,
    now: datetime, tz: tzinfo, days: int = UPTIME_DAYS,
) -> dict[int, UptimeBar]:
    """One bar per component id, from its changes and maintenance windows (pure: no queries)."""
    start = window_start(now, tz, days)
    first = start.astimezone(tz).date()
    dates = [first + timedelta(days=i) for i in range(days)]
    # Day boundaries in UTC: arithmetic on aware datetimes sharing a ZoneInfo would ignore DST.
    bounds = [datetime.combine(d, time.min, tzinfo=tz).astimezone(UTC) for d in dates] + [now]
    events: dict[int, list[tuple[datetime, object, str]]] = {pk: [] for pk in component_ids}
    for change in changes:
        if change.component_id in events:
            events[change.component_id].append((change.at, ("incident", change.incident_id), change.status))
    for index, window in enumerate(windows):
        if window.component_id in events:
            source = ("maintenance", index)
            events[window.component_id].append((window.start, source, ComponentStatus.UNDER_MAINTENANCE))
            events[window.component_id].append((window.end, source, ComponentStatus.OPERATIONAL))
    return {pk: _bar(_segments(evts, start, now), dates, bounds) for pk, evts in events.items()}


def _segments(events: list[tuple[datetime, object, str]], start: datetime, now: datetime):
    """Replay the events into (from, to, status) stretches between ``start`` and ``now``."""
    events.sort(key=lambda event: event[0])  # stable: changes keep their timeline order
    by_source: dict[object, str] = {}
    current, since = ComponentStatus.OPERATIONAL.value, start
    segments: list[tuple[datetime, datetime, str]] = []
    for at, source, status in events:
        by_source[source] = status
        worst = max(by_source.values(), key=ComponentStatus.weight)
        if worst == current:
            continue
        at = min(max(at, since), now)
        if at > since:
            segments.append((since, at, current))
        current, since = worst, at
    if now > since:
        segments.append((since, now, current))
    return segments


def _bar(segments, dates: list[date], bounds: list[datetime]) -> UptimeBar:
    seconds: list[dict[str, float]] = [{} for _ in dates]
    for begin, end, status in segments:
        if status == ComponentStatus.OPERATIONAL:
            continue
        for i in range(len(dates)):
            overlap = (min(end, bounds[i + 1]) - max(begin, bounds[i])).total_seconds()
            if overlap > 0:
                seconds[i][status] = seconds[i].get(status, 0) + overlap
    days = []
    for day, per_status in zip(dates, seconds, strict=True):
        ordered = sorted(per_status.items(), key=lambda item: ComponentStatus.weight(item[0]), reverse=True)
        days.append(UptimeDay(
            date=day,
            status=ordered[0][0] if ordered else ComponentStatus.OPERATIONAL.value,
            durations=tuple((status, round(secs)) for status, secs in ordered),
        ))
    total = (bounds[-1] - bounds[0]).total_seconds()
    down = sum(DOWNTIME_WEIGHT.get(status, 0) * secs for per_status in seconds for status, secs in per_status.items())
    percent = 100.0 if total <= 0 else math.floor(max(0.0, 100 * (1 - down / total)) * 100 + 1e-9) / 100
    return UptimeBar(days=days, percent=percent)
