"""Component statuses during incidents: what each incident does to a component, and the
component's own status, which is the worst any open incident (or maintenance) gives it."""

from collections.abc import Mapping

from django.utils.translation import gettext as _

from incidents.models import (
    OPEN_STATUSES,
    AffectedComponent,
    Component,
    ComponentChange,
    ComponentStatus,
    Incident,
    IncidentUpdate,
    MaintenanceStatus,
    Status,
    UpdateKind,
)

ComponentStatuses = Mapping[Component, str]


def check_component_values(component_statuses: ComponentStatuses, errors: dict[str, str]) -> None:
    bad = [value for value in component_statuses.values() if value not in ComponentStatus.values]
    if bad:
        errors["components"] = _("Unknown component status: %(values)s") % {"values": ", ".join(map(str, bad))}


def restore_components_cleared_by_resolution(incident: Incident, update: IncidentUpdate) -> None:
    """The problem is back, so the components the resolution set operational are down again."""
    resolution = incident.updates.filter(kind=UpdateKind.RESOLVED).order_by("-created_at", "-id").first()
    if resolution is None:
        return
    restored = {
        change.component: change.previous_status
        for change in resolution.component_changes.select_related("component")
        if change.previous_status and change.previous_status != ComponentStatus.OPERATIONAL
    }
    # Status first, so the component refresh counts this incident as open again.
    Incident.objects.filter(pk=incident.pk).update(status=Status.INVESTIGATING)
    apply_component_statuses(incident, update, restored)


def apply_component_statuses(
    incident: Incident, update: IncidentUpdate, component_statuses: ComponentStatuses
) -> None:
    """Record each component's new status on the incident and the timeline, then refresh components."""
    if not component_statuses:
        return
    existing = {a.component_id: a for a in AffectedComponent.objects.filter(incident=incident)}
    changes = []
    for component, new_status in component_statuses.items():
        affected = existing.get(component.pk)
        previous = affected.status if affected else ""
        if previous == new_status:
            continue
        if affected:
            affected.status = new_status
            affected.save(update_fields=["status"])
        else:
            AffectedComponent.objects.create(incident=incident, component=component, status=new_status)
        changes.append(ComponentChange(update=update, component=component, previous_status=previous, status=new_status))
    ComponentChange.objects.bulk_create(changes)
    component_status_refresh(components=list(component_statuses))


def component_status_refresh(*, components: list[Component]) -> None:
    """Set each component's status to the worst status any open incident gives it."""
    for component in components:
        statuses = AffectedComponent.objects.filter(  # a drill's statuses are practice: never the real one
            component=component, incident__status__in=OPEN_STATUSES, incident__is_drill=False
        ).values_list("status", flat=True)
        if component.maintenances.filter(status=MaintenanceStatus.IN_PROGRESS).exists():
            statuses = [*statuses, ComponentStatus.UNDER_MAINTENANCE]
        worst = max(statuses, key=ComponentStatus.weight, default=ComponentStatus.OPERATIONAL)
        Component.objects.filter(pk=component.pk).update(status=worst)


def all_operational(incident: Incident) -> dict[Component, str]:
    affected = AffectedComponent.objects.filter(incident=incident).select_related("component")
    return {a.component: ComponentStatus.OPERATIONAL for a in affected}
