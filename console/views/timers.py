"""The countdowns the console shows: next update due, acknowledgment target, legal deadlines.

Pure arithmetic over objects already loaded (no queries), rendered on the server; the
dashboard's 30-second htmx refresh keeps them current without any script of ours.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.forms import Form
from django.utils.translation import gettext as _

from core.formatting import duration_short
from incidents.models import Incident, RegulatoryClock

CRITICAL_FRACTION = 0.9
DEFAULT_ACK_TARGET_MINUTES = 15


def duration_text(seconds: float) -> str:
    """A compact, non-negative duration: "<1 min", "12 min", "2 h 5 min", "3 d 4 h"."""
    return duration_short(timedelta(seconds=max(0.0, seconds)))


@dataclass(frozen=True)
class Countdown:
    deadline: datetime
    now: datetime

    @property
    def seconds(self) -> float:
        """Seconds left; negative once the deadline has passed."""
        return (self.deadline - self.now).total_seconds()

    @property
    def overdue(self) -> bool:
        return self.seconds < 0

    @property
    def label(self) -> str:
        if self.overdue:
            return _("overdue %(duration)s") % {"duration": duration_text(-self.seconds)}
        return _("in %(duration)s") % {"duration": duration_text(self.seconds)}


@dataclass(frozen=True)
class AckTimer:
    """Time since detection against the contract's acknowledgment target."""

    detected_at: datetime
    target_minutes: int
    now: datetime

    @property
    def since_detection(self) -> str:
        return duration_text(max(0.0, (self.now - self.detected_at).total_seconds()))

    @property
    def countdown(self) -> Countdown:
        return Countdown(self.detected_at + timedelta(minutes=self.target_minutes), self.now)

    @property
    def label(self) -> str:
        countdown = self.countdown
        if countdown.overdue:
            return _("%(duration)s past the target") % {"duration": duration_text(-countdown.seconds)}
        return _("%(duration)s left") % {"duration": duration_text(countdown.seconds)}


@dataclass(frozen=True)
class CadenceTimers:
    due: Countdown | None
    due_soon: bool
    ack: AckTimer | None


def cadence_timers(incident: Incident, now: datetime) -> CadenceTimers:
    """The next-update countdown ("due soon" within any customer's reminder time) and, while an
    open incident is unacknowledged, the acknowledgment timer against the tightest target."""
    customers = incident.customers.all()  # every affected customer's contract (prefetched by the selectors)
    due = Countdown(incident.next_update_due_at, now) if incident.is_open and incident.next_update_due_at else None
    reminder = max((customer.reminder_minutes_before for customer in customers), default=0)
    due_soon = due is not None and not due.overdue and due.seconds <= reminder * 60
    ack = None
    if incident.is_open and incident.acknowledged_at is None:
        target = min((customer.ack_target_minutes for customer in customers), default=DEFAULT_ACK_TARGET_MINUTES)
        ack = AckTimer(incident.detected_at, target, now)
    return CadenceTimers(due=due, due_soon=due_soon, ack=ack)


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    timers: CadenceTimers
    roles: list = field(default_factory=list)  # playbook.selectors.RoleSlot per role (the dashboard)


@dataclass
class ClockRow:
    """A regulatory clock with its countdown; ``form`` is the "mark filed" form on the incident page."""

    clock: RegulatoryClock
    now: datetime
    form: Form | None = field(default=None)

    @property
    def countdown(self) -> Countdown:
        return Countdown(self.clock.deadline_at, self.now)

    @property
    def percent(self) -> int:
        return min(100, int(self.clock.fraction_elapsed(self.now) * 100))

    @property
    def critical(self) -> bool:
        return self.clock.fraction_elapsed(self.now) >= CRITICAL_FRACTION
