"""Incident-management KPIs across incidents: one period's figures and their 12-month trend.

``figures(scope, start, end)`` runs one aggregate query per measure for [start, end);
``trend(scope, end)`` runs the same measures once each, grouped by month (in the reader's
time zone), over the twelve months up to the one ``end`` falls in. Definitions follow the
post-incident report (``reports.metrics``): see ``insight.kpis.measures`` for each.
Counts, times to acknowledge and resolve are per incident (a shared incident once); what a
contract decides (the acknowledgment target, the update cadence) is measured per incident ×
customer under that customer's contract, as each customer's report does.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from insight.kpis.measures import MEASURES, Grouped
from insight.kpis.scope import Month, Scope
from insight.sql import analytic_reads

__all__ = ["Figures", "MonthFigures", "Scope", "dashboard", "figures", "trend", "trend_start", "TREND_MONTHS"]

TREND_MONTHS = 12


@dataclass(frozen=True)
class Figures:
    """The KPIs of a set of incidents; durations in seconds (None when nothing was measured)."""

    incidents: int = 0
    acknowledged: int = 0
    ack_median: float | None = None
    ack_p90: float | None = None
    ack_checked: int = 0  # (incident, customer) pairs acknowledged: each against its customer's target
    ack_within: int = 0
    ack_target_min: int | None = None
    ack_target_max: int | None = None
    gaps: int = 0
    on_time: int = 0
    late: int = 0
    longest: float | None = None
    resolved: int = 0
    ttr_median: float | None = None
    ttr_p90: float | None = None
    reopened: int = 0
    maintenance: int = 0
    announced: int = 0
    deadlines: int = 0
    deadlines_met: int = 0
    summaries_due: int = 0
    summaries_within: int = 0
    credits: dict[str, Decimal] = field(default_factory=dict)
    credits_count: int = 0
    deliveries_failed: int = 0

    @staticmethod
    def percent(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def ack_within_percent(self) -> float | None:
        return self.percent(self.ack_within, self.ack_checked)

    @property
    def on_time_percent(self) -> float | None:
        return self.percent(self.on_time, self.gaps)

    @property
    def reopen_percent(self) -> float | None:
        return self.percent(self.reopened, self.incidents)

    @property
    def announced_percent(self) -> float | None:
        return self.percent(self.announced, self.maintenance)

    @property
    def deadlines_met_percent(self) -> float | None:
        return self.percent(self.deadlines_met, self.deadlines)

    @property
    def summaries_within_percent(self) -> float | None:
        return self.percent(self.summaries_within, self.summaries_due)

    def duration(self, name: str) -> timedelta | None:
        seconds = getattr(self, name)
        return None if seconds is None else timedelta(seconds=round(seconds))


@dataclass(frozen=True)
class MonthFigures:
    month: Month
    figures: Figures

    @property
    def first_day(self) -> datetime:
        return datetime(self.month[0], self.month[1], 1)  # noqa: DTZ001 - a calendar month, shown as such


def _merged(results: list[Grouped], key: Month | None) -> Figures:
    values: dict[str, Any] = {}
    for result in results:
        values.update({name: value for name, value in result.get(key, {}).items() if value is not None})
    return Figures(**{name: value for name, value in values.items() if name in Figures.__dataclass_fields__})


def figures(scope: Scope, start: datetime, end: datetime) -> Figures:
    """The period's KPIs: one aggregate query per measure."""
    return _merged([measure(scope, start, end, monthly=False) for measure in MEASURES], None)


def trend_start(scope: Scope, end: datetime) -> datetime:
    """The first moment of the twelve months (reader's zone) that end with the month holding ``end``'s last moment."""
    last = (end - timedelta(microseconds=1)).astimezone(scope.tz)
    index = last.year * 12 + last.month - 1 - (TREND_MONTHS - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=scope.tz)


def trend_month_start(scope: Scope, end: datetime) -> datetime:
    """The first moment of the month (reader's zone) that holds ``end``'s last moment."""
    last = (end - timedelta(microseconds=1)).astimezone(scope.tz)
    return datetime(last.year, last.month, 1, tzinfo=scope.tz)


def trend(scope: Scope, end: datetime) -> list[MonthFigures]:
    """The twelve months up to ``end``'s month, each with its KPIs (months with nothing are zero)."""
    start = trend_start(scope, end)
    month_end = _next_month(end - timedelta(microseconds=1), scope)
    results = [measure(scope, start, month_end, monthly=True) for measure in MEASURES]
    months = [((start.month - 1 + offset) // 12 + start.year, (start.month - 1 + offset) % 12 + 1)
              for offset in range(TREND_MONTHS)]
    return [MonthFigures(month=month, figures=_merged(results, month)) for month in months]


def dashboard(scope: Scope, start: datetime, end: datetime) -> tuple[Figures, list[MonthFigures]]:
    """The period's figures and the 12-month trend, read from one snapshot."""
    with analytic_reads():
        months = trend(scope, end)
        if start == trend_month_start(scope, end):  # the period is the trend's last month: the same figures
            return months[-1].figures, months
        return figures(scope, start, end), months


def _next_month(moment: datetime, scope: Scope) -> datetime:
    local = moment.astimezone(scope.tz)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=scope.tz)
