"""Planned maintenance windows as the public sees them.

Kalm's ``MaintenanceStatus`` is what the MSP recorded; the public status follows
Statuspage's scheduled-maintenance states (``scheduled``, ``in_progress``, ``verifying``,
``completed``). A window still marked *scheduled* moves along by the clock, like
Statuspage's automatic transitions: in progress between its planned start and end,
completed after its planned end. Kalm has no *verifying* step, so it never appears.
Cancelled windows stay out of the page and the JSON; the calendar keeps them as
``STATUS:CANCELLED`` so subscribed calendars drop the event.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db.models import F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.texts import Localized
from incidents.models import Component, Customer, Maintenance, MaintenanceStatus


class PublicMaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"

    @property
    def label(self) -> Promise:
        return _PUBLIC_LABELS[self]


_PUBLIC_LABELS = {
    PublicMaintenanceStatus.SCHEDULED: _("Scheduled"),
    PublicMaintenanceStatus.IN_PROGRESS: _("In progress"),
    PublicMaintenanceStatus.VERIFYING: _("Verifying"),
    PublicMaintenanceStatus.COMPLETED: _("Completed"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentRef:
    id: int
    name: Localized


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceState:
    id: int
    title: Localized
    status: PublicMaintenanceStatus
    cancelled: bool
    scheduled_for: datetime
    scheduled_until: datetime
    started_at: datetime | None  # when work started (recorded, or the planned start once it is due)
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    expected_impact: Localized
    customer_action: Localized
    components: list[ComponentRef]  # this customer's components only

    @property
    def is_active(self) -> bool:
        return not self.cancelled and self.status == PublicMaintenanceStatus.IN_PROGRESS

    @property
    def is_upcoming(self) -> bool:
        return not self.cancelled and self.status == PublicMaintenanceStatus.SCHEDULED

    @property
    def window_start(self) -> datetime:
        return self.started_at or self.scheduled_for

    def window_end(self, now: datetime) -> datetime:
        """When components stopped (or will stop) being under maintenance; ``now`` while it runs over."""
        if self.completed_at:
            return self.completed_at
        return max(self.scheduled_until, now) if self.is_active else self.scheduled_until


def maintenance_states(
    customer: Customer, *, now: datetime, since: datetime | None = None, limit: int | None = None
) -> list[MaintenanceState]:
    """The customer's windows ending at or after ``since`` (all when None), newest start first; two queries."""
    windows = _windows([customer]).order_by("-starts_at", "-pk")
    if since is not None:
        windows = windows.filter(
            Q(ends_at__gte=since) | Q(completed_at__gte=since) | Q(status=MaintenanceStatus.IN_PROGRESS)
        )
    if limit is not None:
        windows = windows[:limit]
    return [_state(window, now, customer) for window in windows]


def recent_maintenance_states(customers: list[Customer], *, now: datetime,
                              limit: int) -> dict[int, list[MaintenanceState]]:
    """Each customer's ``maintenance_states(customer, now=now, limit=limit)``: two queries for all of them
    (a window function numbers each customer's windows; one customer's are simply cut)."""
    if len(customers) == 1:
        return {customers[0].pk: maintenance_states(customers[0], now=now, limit=limit)}
    newest_first = [F("starts_at").desc(), F("pk").desc()]
    windows = (_windows(customers)
               .annotate(place=Window(RowNumber(), partition_by=[F("customer_id")], order_by=newest_first))
               .filter(place__lte=limit).order_by("customer_id", *newest_first))
    by_pk = {customer.pk: customer for customer in customers}
    found: dict[int, list[MaintenanceState]] = {pk: [] for pk in by_pk}
    for window in windows:
        found[window.customer_id].append(_state(window, now, by_pk[window.customer_id]))
    return found


def _windows(customers: list[Customer]) -> QuerySet[Maintenance]:
    """The customers' windows with the components of any of them (``_state`` keeps the window's own)."""
    return Maintenance.objects.filter(customer__in=customers).prefetch_related(
        Prefetch("components", queryset=Component.objects.filter(customer__in=customers).order_by("position", "name"))
    )


def ending_since(windows: list[MaintenanceState], since: datetime) -> list[MaintenanceState]:
    """Out of ``windows`` (all of a customer's, newest start first), the ones ``maintenance_states``
    reads with ``since``: a publish reads the windows once for the page, its calendar and its JSON."""
    return [m for m in windows
            if m.scheduled_until >= since or (m.completed_at is not None and m.completed_at >= since)
            or m.status == PublicMaintenanceStatus.IN_PROGRESS]


def _state(window: Maintenance, now: datetime, customer: Customer) -> MaintenanceState:
    written_in = customer.language
    status = public_status(window, now)
    started_at = window.started_at
    if started_at is None and status != PublicMaintenanceStatus.SCHEDULED:
        started_at = window.starts_at
    completed_at = window.completed_at
    if completed_at is None and status == PublicMaintenanceStatus.COMPLETED:
        completed_at = window.ends_at
    moments = [window.created_at, started_at, completed_at]
    return MaintenanceState(
        id=window.pk,
        title=Localized.of(window, "title", written_in=written_in),
        status=status,
        cancelled=window.status == MaintenanceStatus.CANCELLED,
        scheduled_for=window.starts_at,
        scheduled_until=window.ends_at,
        started_at=started_at,
        completed_at=completed_at,
        created_at=window.created_at,
        updated_at=max(t for t in moments if t is not None),
        expected_impact=Localized.of(window, "expected_impact", written_in=written_in),
        customer_action=Localized.of(window, "customer_action", written_in=written_in),
        components=[ComponentRef(id=c.pk, name=Localized.of(c, "name", written_in=written_in))
                    for c in window.components.all() if c.customer_id == customer.pk],
    )


def active_at(now: datetime) -> Q:
    """The windows ``public_status`` calls in progress at ``now``, as a filter."""
    return Q(status=MaintenanceStatus.IN_PROGRESS) | Q(
        status=MaintenanceStatus.SCHEDULED, starts_at__lte=now, ends_at__gt=now
    )


def public_status(window: Maintenance, now: datetime) -> PublicMaintenanceStatus:
    if window.status == MaintenanceStatus.COMPLETED:
        return PublicMaintenanceStatus.COMPLETED
    if window.status == MaintenanceStatus.IN_PROGRESS:
        return PublicMaintenanceStatus.IN_PROGRESS
    if window.status == MaintenanceStatus.CANCELLED or now < window.starts_at:
        return PublicMaintenanceStatus.SCHEDULED
    return PublicMaintenanceStatus.IN_PROGRESS if now < window.ends_at else PublicMaintenanceStatus.COMPLETED
