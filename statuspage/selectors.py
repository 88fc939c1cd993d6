"""What a customer's public status page shows, as plain typed data.

``page_state`` reads everything the page needs in a fixed number of queries (through the
public reads in ``incidents.selectors``) and copies only public facts into frozen
dataclasses. Templates and, later, the published snapshot and the Statuspage-compatible
JSON render from this one structure, so nothing internal (notes, authors, business
impact, root cause, other customers) can reach them by accident: it is never copied.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import groupby
from operator import attrgetter

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from incidents.models import (
    OPEN_STATUSES,
    Component,
    ComponentStatus,
    Customer,
    CustomerIncident,
    Severity,
    Status,
    UpdateKind,
)
from incidents.selectors import components_for_customer, public_incident_links

RECENTLY_RESOLVED_DAYS = 7


class Indicator(StrEnum):
    """Atlassian Statuspage's page indicator, least to most severe."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Indicator).index(self)

    @property
    def label(self) -> Promise:
        return _INDICATOR_LABELS[self]


_INDICATOR_LABELS = {
    Indicator.NONE: _("All systems operational"),
    Indicator.MINOR: _("Minor disruption"),
    Indicator.MAJOR: _("Major outage"),
    Indicator.CRITICAL: _("Critical outage"),
}
# Statuspage's blend: degraded → minor, partial outage → major, major outage → critical.
_COMPONENT_INDICATOR = {
    ComponentStatus.OPERATIONAL: Indicator.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Indicator.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Indicator.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Indicator.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Indicator.CRITICAL,
}
# An open incident's severity as Statuspage incident impact (which maps 1:1 to the indicator).
_SEVERITY_INDICATOR = {
    Severity.CRITICAL: Indicator.CRITICAL,
    Severity.HIGH: Indicator.MAJOR,
    Severity.MEDIUM: Indicator.MINOR,
    Severity.LOW: Indicator.MINOR,
}


@dataclass(frozen=True, slots=True)
class ComponentState:
    name: str
    description: str
    status: str  # a ComponentStatus value

    @property
    def status_label(self) -> str:
        return ComponentStatus(self.status).label


@dataclass(frozen=True, slots=True)
class ComponentGroup:
    name: str  # "" for the ungrouped components, which come first
    components: list[ComponentState]


@dataclass(frozen=True, slots=True)
class UpdateState:
    kind: str  # an UpdateKind value
    status: str  # the incident's Status value when the update was posted
    message: str  # Markdown, rendered with the ``markdown`` filter
    created_at: datetime

    @property
    def status_label(self) -> str:
        if self.kind == UpdateKind.REOPENED:
            return UpdateKind.REOPENED.label
        return Status(self.status).label


@dataclass(frozen=True, slots=True)
class IncidentState:
    number: str  # this customer's own number
    title: str
    severity: str
    status: str
    started_at: datetime
    resolved_at: datetime | None
    workaround: str
    next_update_due_at: datetime | None
    affected: list[ComponentState]  # this customer's components only, with per-incident status
    updates: list[UpdateState]  # public only, newest first

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def latest_update(self) -> UpdateState | None:
        return self.updates[0] if self.updates else None


@dataclass(frozen=True, slots=True)
class PageState:
    customer_name: str
    time_zone: str
    as_of: datetime
    indicator: Indicator
    resolved_window_days: int
    groups: list[ComponentGroup]
    active: list[IncidentState]  # most severe first, then newest
    recently_resolved: list[IncidentState]  # newest resolution first


def public_customer(slug: str) -> Customer | None:
    """The customer whose status page is public at this slug, if any."""
    return Customer.objects.filter(slug=slug, status_page_public=True).first()


def page_state(customer: Customer, *, now: datetime | None = None) -> PageState:
    """Everything the customer's page shows, in four queries however many incidents there are."""
    now = now or timezone.now()
    components = list(components_for_customer(customer))  # ordered by group, so "" (ungrouped) comes first
    links = public_incident_links(customer).filter(
        Q(incident__status__in=OPEN_STATUSES)
        | Q(incident__status=Status.RESOLVED, incident__resolved_at__gte=now - timedelta(days=RECENTLY_RESOLVED_DAYS))
    )
    incidents = [_incident_state(link) for link in links]
    active = sorted(
        (i for i in incidents if i.status in OPEN_STATUSES),
        key=lambda i: (Severity.rank(i.severity), -i.started_at.timestamp()),
    )
    resolved = sorted((i for i in incidents if i.status == Status.RESOLVED), key=lambda i: i.resolved_at, reverse=True)
    return PageState(
        customer_name=customer.name,
        time_zone=customer.time_zone,
        as_of=now,
        resolved_window_days=RECENTLY_RESOLVED_DAYS,
        indicator=_indicator([c.status for c in components], [i.severity for i in active]),
        groups=[
            ComponentGroup(name=group, components=[_component_state(c, c.status) for c in members])
            for group, members in groupby(components, key=attrgetter("group"))
        ],
        active=active,
        recently_resolved=resolved,
    )


def _incident_state(link: CustomerIncident) -> IncidentState:
    incident = link.incident
    return IncidentState(
        number=link.number,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        workaround=incident.workaround,
        next_update_due_at=incident.next_update_due_at,
        affected=[
            _component_state(a.component, a.status)
            for a in sorted(incident.customer_affected, key=lambda a: (a.component.position, a.component.name))
        ],
        updates=[
            UpdateState(kind=u.kind, status=u.status, message=u.message, created_at=u.created_at)
            for u in incident.public_updates
        ],
    )


def _component_state(component: Component, status: str) -> ComponentState:
    return ComponentState(name=component.name, description=component.description, status=status)


def _indicator(component_statuses: list[str], open_severities: list[str]) -> Indicator:
    candidates = [_COMPONENT_INDICATOR[ComponentStatus(s)] for s in component_statuses]
    candidates += [_SEVERITY_INDICATOR[Severity(s)] for s in open_severities]
    return max(candidates, key=lambda indicator: indicator.rank, default=Indicator.NONE)
