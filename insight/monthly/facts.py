"""One customer's month, as facts: availability, incidents, acknowledgment and cadence, maintenance.

The month is the customer's: it starts and ends at local midnight in the customer's time
zone, so an incident at 23:30 UTC on 31 January is February's in Amsterdam. Nothing is
computed twice here: availability is the status page's uptime rule (``statuspage.uptime``:
major outage counts as down, partial outage as half), and each incident's time to
acknowledge, update cadence and open time are the post-incident report's definitions
(``reports.facts`` + ``reports.metrics``), against the customer's contract. Drills are left
out everywhere (``Incident.is_drill``). Credits and open remediation actions come from
``followup.selectors``.
"""

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.utils import timezone

from followup import selectors as followup
from followup.models import Compensation, RemediationAction
from incidents.models import Component, ComponentStatus, Customer, CustomerIncident, Incident
from reports import facts as incident_facts
from reports import metrics
from statuspage.maintenance import MaintenanceState, PublicMaintenanceStatus, maintenance_states
from statuspage.uptime import Window, load_changes, uptime_bars

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_BEFORE_END = timedelta(microseconds=1)  # the bars count up to "now": the month's last instant


def month_start(month: date, tz: tzinfo) -> datetime:
    """Local midnight on the month's first day, in UTC (aware arithmetic would ignore DST)."""
    return datetime.combine(month.replace(day=1), time.min, tzinfo=tz).astimezone(UTC)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def parse_month(text: str) -> date:
    """ "2026-11" → 1 November 2026; ``ValueError`` saying what is wrong otherwise (month 13, "2026-1")."""
    match = _MONTH.fullmatch(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not a month written as YYYY-MM")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 2000:
        raise ValueError(f"{text!r} is not a month: YYYY-MM with a month from 01 to 12")
    return date(year, month, 1)


def month_bounds(month: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of ``month`` in ``tz``, as UTC moments."""
    return month_start(month, tz), month_start(next_month(month), tz)


@dataclass(frozen=True)
class Availability:
    component: Component
    percent: float  # the status page's rule, truncated to two decimals
    outage: timedelta  # partial or major outage
    major: timedelta


@dataclass(frozen=True)
class IncidentFacts:
    incident: Incident
    number: str
    started_at: datetime
    resolved_at: datetime | None
    open_time: timedelta
    acknowledgment: metrics.Acknowledgment
    cadence: metrics.Cadence
    downtime: timedelta


@dataclass(frozen=True)
class MonthFacts:
    customer: Customer
    month: date
    start: datetime
    end: datetime
    as_of: datetime  # the end, or now for a month still running
    availability: list[Availability]
    incidents: list[IncidentFacts]
    maintenance: list[MaintenanceState]
    followup: "FollowupFacts"

    @property
    def acknowledged_in_time(self) -> tuple[int, int]:
        """(met, measured): incidents acknowledged within the contract's target, of those acknowledged."""
        measured = [item.acknowledgment.met for item in self.incidents if item.acknowledgment.met is not None]
        return sum(measured), len(measured)

    @property
    def median_acknowledgment(self) -> timedelta | None:
        elapsed = [item.acknowledgment.elapsed for item in self.incidents if item.acknowledgment.elapsed is not None]
        return statistics.median_low(elapsed) if elapsed else None

    @property
    def updates_on_time(self) -> tuple[int, int]:
        """(on time, counted) over every update interval of the month's incidents."""
        return (sum(item.cadence.on_time for item in self.incidents),
                sum(item.cadence.counted for item in self.incidents))


@dataclass(frozen=True)
class FollowupFacts:
    credits: list[Compensation]  # approved or adjusted in the month
    open_actions: list[RemediationAction]  # still open, earliest due first


def month_facts(customer: Customer, month: date, *, now: datetime | None = None) -> MonthFacts:
    now = now or timezone.now()
    tz = customer.tzinfo
    start, end = month_bounds(month, tz)
    as_of = max(min(end, now), start + _BEFORE_END)
    return MonthFacts(
        customer=customer, month=month.replace(day=1), start=start, end=end, as_of=as_of,
        availability=availability(customer, month, start=start, as_of=as_of),
        incidents=month_incidents(customer, start=start, end=end, now=now),
        maintenance=maintenance_done(customer, start=start, end=end, as_of=as_of),
        followup=followup_facts(customer, start=start, end=end),
    )


def availability(customer: Customer, month: date, *, start: datetime, as_of: datetime) -> list[Availability]:
    """Each component's month through the status page's uptime bars, drills' changes left out."""
    tz = customer.tzinfo
    last = as_of - _BEFORE_END  # inside the month, so the bars' last day is the month's
    days = (last.astimezone(tz).date() - month.replace(day=1)).days + 1
    components = list(customer.components.order_by("group", "position", "name"))
    states = [m for m in maintenance_states(customer, now=last, since=start) if not m.cancelled]
    windows = [Window(c.id, m.window_start, m.window_end(last)) for m in states for c in m.components]
    changes = load_changes(customer, since=start)
    drills = set(Incident.objects.filter(pk__in={c.incident_id for c in changes}, is_drill=True)
                 .values_list("pk", flat=True))
    bars = uptime_bars([c.pk for c in components], [c for c in changes if c.incident_id not in drills], windows,
                       now=last, tz=tz, days=days)
    result = []
    for component in components:
        bar = bars[component.pk]
        seconds = dict.fromkeys(metrics.OUTAGE_STATUSES, 0)
        for day in bar.days:
            for status, secs in day.durations:
                if status in seconds:
                    seconds[status] += secs
        result.append(Availability(component=component, percent=bar.percent,
                                   outage=timedelta(seconds=sum(seconds.values())),
                                   major=timedelta(seconds=seconds[ComponentStatus.MAJOR_OUTAGE])))
    return result


def month_incidents(customer: Customer, *, start: datetime, end: datetime, now: datetime) -> list[IncidentFacts]:
    """The customer's incidents that started in the month (not drills), with the report's metrics each."""
    links = (CustomerIncident.objects.filter(customer=customer, incident__is_drill=False,
                                             incident__started_at__gte=start, incident__started_at__lt=end)
             .select_related("incident").order_by("incident__started_at", "incident_id"))
    return [_incident_facts(link, customer, now) for link in links]


def _incident_facts(link: CustomerIncident, customer: Customer, now: datetime) -> IncidentFacts:
    scope = incident_facts.scope_for(link.incident, customer, now=now)
    updates = incident_facts.timeline_updates(scope)
    result = incident_facts.compute_metrics(scope, timeline=incident_facts.points(scope, updates),
                                            changes=incident_facts.component_changes(scope), clocks=[],
                                            credit_rate=None)
    return IncidentFacts(incident=link.incident, number=link.number, started_at=link.incident.started_at,
                         resolved_at=link.incident.resolved_at, open_time=result.resolution.open_time,
                         acknowledgment=result.acknowledgment, cadence=result.cadence,
                         downtime=result.total_downtime)


def maintenance_done(customer: Customer, *, start: datetime, end: datetime, as_of: datetime) -> list[MaintenanceState]:
    """Windows completed in the month, in the order they ran."""
    done = [m for m in maintenance_states(customer, now=as_of, since=start)
            if m.status == PublicMaintenanceStatus.COMPLETED and not m.cancelled
            and m.completed_at is not None and start <= m.completed_at < end]
    return sorted(done, key=lambda m: (m.window_start, m.id))


def followup_facts(customer: Customer, *, start: datetime, end: datetime) -> FollowupFacts:
    """SLA credits granted (approved or adjusted) in the month, and the remediation actions still open
    (a drill's left out: they are practice, not promises to the customer)."""
    return FollowupFacts(
        credits=list(followup.credits_granted([customer.pk], start, end)),
        open_actions=list(followup.open_actions([customer.pk]).exclude(incident__is_drill=True)),
    )
