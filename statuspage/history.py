"""Incident history by month: ``/status/<slug>/history/?page=N``, three calendar months a
page (newest first, in the customer's time zone), like Statuspage's history."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Min, Q

from incidents.models import Customer
from statuspage.selectors import incident_states
from statuspage.states import IncidentState

MONTHS_PER_PAGE = 3
MAX_PAGES = 400  # a century; beyond it the month arithmetic would leave the calendar


@dataclass(frozen=True, slots=True)
class MonthState:
    month: date  # the first day of the month
    incidents: list[IncidentState]  # newest start first


@dataclass(frozen=True, slots=True)
class HistoryState:
    page: int
    months: list[MonthState]  # newest first
    has_newer: bool
    has_older: bool


def history_state(customer: Customer, *, page: int, now: datetime) -> HistoryState | None:
    """The page's months with their incidents; None past the oldest incident (three or four queries)."""
    tz = customer.tzinfo
    newest = _shift(now.astimezone(tz).date().replace(day=1), -(page - 1) * MONTHS_PER_PAGE)
    months = [_shift(newest, -i) for i in range(MONTHS_PER_PAGE)]
    start, end = _midnight(months[-1], tz), _midnight(_shift(newest, 1), tz)
    real = customer.incident_links.filter(incident__is_drill=False)  # drills never reach the public page
    oldest = real.aggregate(oldest=Min("incident__started_at"))["oldest"]
    if page > 1 and (oldest is None or oldest >= end):
        return None
    found = incident_states(customer, where=Q(incident__started_at__gte=start, incident__started_at__lt=end))
    by_month: dict[date, list[IncidentState]] = {month: [] for month in months}
    for incident in found:
        by_month[incident.started_at.astimezone(tz).date().replace(day=1)].append(incident)
    return HistoryState(
        page=page,
        months=[MonthState(month=month, incidents=by_month[month]) for month in months],
        has_newer=page > 1,
        has_older=oldest is not None and oldest < start,
    )


def _shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
