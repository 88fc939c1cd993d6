"""The plain, frozen data a status page renders: public facts only, copied out of the models
by ``statuspage.selectors``. Templates, feeds, the JSON builders and (later) published
snapshots all read these, never the models."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.texts import Localized
from incidents.models import OPEN_STATUSES, ComponentStatus, Severity, Status, UpdateKind
from statuspage.maintenance import MaintenanceState
from statuspage.uptime import UPTIME_DAYS, UptimeBar


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
COMPONENT_INDICATOR = {
    ComponentStatus.OPERATIONAL: Indicator.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Indicator.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Indicator.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Indicator.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Indicator.CRITICAL,
}
# An open incident's severity as Statuspage incident impact (which maps 1:1 to the indicator).
SEVERITY_INDICATOR = {
    Severity.CRITICAL: Indicator.CRITICAL,
    Severity.HIGH: Indicator.MAJOR,
    Severity.MEDIUM: Indicator.MINOR,
    Severity.LOW: Indicator.MINOR,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentState:
    id: int
    name: Localized  # texts in the customer's language, with their translations (core.texts)
    description: Localized
    status: str  # a ComponentStatus value
    group: Localized = Localized("")
    position: int = 0
    uptime: UptimeBar | None = None  # on the page's component list only
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def status_label(self) -> str:
        return ComponentStatus(self.status).label


@dataclass(frozen=True, slots=True)
class ComponentGroup:
    name: Localized  # empty for the ungrouped components, which come first
    components: list[ComponentState]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeState:
    """One of this customer's components changed status in an update."""

    component_id: int
    name: Localized
    old_status: str  # "" when the incident had not touched the component before
    new_status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateState:
    id: int
    kind: str  # an UpdateKind value
    status: str  # the incident's Status value when the update was posted
    message: Localized  # Markdown, rendered with the ``markdown`` filter
    created_at: datetime
    changes: list[ChangeState] = field(default_factory=list)  # only when read ``with_changes``

    @property
    def status_label(self) -> str:
        if self.kind == UpdateKind.REOPENED:
            return UpdateKind.REOPENED.label
        return Status(self.status).label


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentState:
    id: int  # the CustomerIncident's id: stable per customer, never another customer's
    number: str  # this customer's own number
    title: Localized
    severity: str
    status: str
    started_at: datetime
    created_at: datetime  # when the incident reached this customer's page
    monitoring_at: datetime | None
    resolved_at: datetime | None
    workaround: Localized
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
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def impact(self) -> Indicator:
        """Statuspage incident impact (none/minor/major/critical), from the severity."""
        return SEVERITY_INDICATOR[Severity(self.severity)]

    @property
    def latest_update(self) -> UpdateState | None:
        return self.updates[0] if self.updates else None

    @property
    def updated_at(self) -> datetime:
        moments = [self.created_at, self.monitoring_at, self.resolved_at, *(u.created_at for u in self.updates[:1])]
        return max(m for m in moments if m is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class PageState:
    slug: str
    customer_name: str
    time_zone: str
    as_of: datetime
    indicator: Indicator
    resolved_window_days: int
    groups: list[ComponentGroup]
    active: list[IncidentState]  # most severe first, then newest
    recently_resolved: list[IncidentState]  # newest resolution first
    maintenance_active: list[MaintenanceState] = field(default_factory=list)  # soonest end first
    maintenance_upcoming: list[MaintenanceState] = field(default_factory=list)  # soonest start first
    uptime_days: int = UPTIME_DAYS

    @property
    def components(self) -> list[ComponentState]:
        return [c for group in self.groups for c in group.components]
