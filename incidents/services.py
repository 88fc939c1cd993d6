"""Writes to the incident facts. Every lifecycle rule lives here.

Views, forms, the API and tasks call these functions; they never write incident rows
themselves. Each function is one transaction, validates before it writes, and raises
``django.core.exceptions.ValidationError`` keyed by field name for bad input, so callers
can show the error next to the right field and nothing is half-written.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import (
    OPEN_STATUSES,
    AffectedComponent,
    Component,
    ComponentChange,
    ComponentStatus,
    Customer,
    CustomerIncident,
    Incident,
    IncidentNumberCounter,
    IncidentUpdate,
    Severity,
    Status,
    UpdateKind,
)
from incidents.signals import update_posted

ComponentStatuses = Mapping[Component, str]

# Reaching a later status implies the earlier milestones happened; their timestamps are
# filled in on the way so the report never shows "monitoring" without "identified".
_MILESTONES = [
    (Status.IDENTIFIED, "identified_at"),
    (Status.MONITORING, "monitoring_at"),
    (Status.RESOLVED, "resolved_at"),
]
_STATUS_ORDER = list(Status.values)


def incident_number_next(*, customer: Customer, at: datetime) -> str:
    """Draw the next ``PREFIX-YYYY-MMDD-NNN`` for the customer's local day of ``at``.

    Must run inside a transaction: the counter row stays locked until commit, which is
    what makes concurrent openings on PostgreSQL receive distinct numbers.
    """
    day = timezone.localtime(at, customer.tzinfo).date()
    counter, _created = IncidentNumberCounter.objects.select_for_update().get_or_create(customer=customer, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{customer.incident_prefix}-{day:%Y-%m%d}-{counter.last:03d}"


def next_update_due(*, incident: Incident, after: datetime) -> datetime | None:
    """When the next public update is promised: the tightest cadence of the affected customers."""
    if incident.status == Status.RESOLVED:
        return None
    cadences = [c.cadence_minutes(incident.severity, incident.status) for c in incident.customers.all()]
    if not cadences:
        return None
    return after + timedelta(minutes=min(cadences))


@transaction.atomic
def incident_open(
    *,
    customer: Customer,
    title: str,
    category: str,
    severity: str,
    message: str,
    author: AbstractBaseUser | None,
    status: str = Status.INVESTIGATING,
    business_impact: str = "",
    workaround: str = "",
    component_statuses: ComponentStatuses | None = None,
    eta: datetime | None = None,
    started_at: datetime | None = None,
    detected_by: str = "msp",
    personal_data_involved: bool = False,
    publish_options: Mapping[str, Any] | None = None,
) -> Incident:
    """Open an incident for one customer with its first public message (the acknowledgment)."""
    now = timezone.now()
    component_statuses = component_statuses or {}
    _check_open(customer=customer, status=status, message=message, component_statuses=component_statuses,
                started_at=started_at, now=now)
    incident = Incident(
        title=title.strip(),
        category=category,
        severity=severity,
        status=status,
        business_impact=business_impact.strip(),
        workaround=workaround.strip(),
        detected_by=detected_by,
        personal_data_involved=personal_data_involved,
        started_at=started_at or now,
        detected_at=now,
        acknowledged_at=now,
        last_public_update_at=now,
        eta=eta,
        created_by=author if _is_user(author) else None,
    )
    _stamp_milestones(incident, status, now)
    incident.full_clean()
    incident.save()
    CustomerIncident.objects.create(
        incident=incident, customer=customer, number=incident_number_next(customer=customer, at=now)
    )
    update = IncidentUpdate.objects.create(
        incident=incident, kind=UpdateKind.OPENED, author=incident.created_by, message=message.strip(),
        status=status, severity=severity, created_at=now,
    )
    _apply_component_statuses(incident, update, component_statuses)
    incident.next_update_due_at = next_update_due(incident=incident, after=now)
    incident.save(update_fields=["next_update_due_at"])
    _announce(update, options=publish_options)
    return incident


def _check_open(*, customer, status, message, component_statuses, started_at, now) -> None:
    errors: dict[str, str] = {}
    if status not in OPEN_STATUSES:
        errors["status"] = _("A new incident must start open (investigating, identified or monitoring).")
    if not message.strip():
        errors["message"] = _("Write the first public message: it is the acknowledgment stakeholders see.")
    foreign = [c.name for c in component_statuses if c.customer_id != customer.pk]
    if foreign:
        errors["components"] = _("These components belong to another customer: %(names)s") % {
            "names": ", ".join(foreign)
        }
    if started_at and started_at > now + timedelta(minutes=5):
        errors["started_at"] = _("The start time cannot be in the future.")
    _check_component_values(component_statuses, errors)
    if errors:
        raise ValidationError(errors)


def _check_component_values(component_statuses: ComponentStatuses, errors: dict[str, str]) -> None:
    bad = [value for value in component_statuses.values() if value not in ComponentStatus.values]
    if bad:
        errors["components"] = _("Unknown component status: %(values)s") % {"values": ", ".join(map(str, bad))}


@transaction.atomic
def incident_post_update(
    *,
    incident: Incident,
    author: AbstractBaseUser | None,
    message: str = "",
    is_internal: bool = False,
    status: str | None = None,
    severity: str | None = None,
    component_statuses: ComponentStatuses | None = None,
    eta: datetime | None = None,
    workaround: str | None = None,
    root_cause: str | None = None,
    resolution_summary: str | None = None,
    publish_options: Mapping[str, Any] | None = None,
) -> IncidentUpdate:
    """Add a timeline entry and apply the facts it changes (status, severity, components, …).

    Rules: a resolved incident must be reopened first; an internal note changes nothing
    public; resolving needs a public message; a public update must say or change something.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    now = timezone.now()
    status = status or incident.status
    severity = severity or incident.severity
    component_statuses = dict(component_statuses or {})
    message = message.strip()
    if status == Status.RESOLVED:
        component_statuses = _all_operational(incident) | component_statuses
    _check_update(incident=incident, message=message, is_internal=is_internal, status=status,
                  severity=severity, component_statuses=component_statuses, eta=eta, workaround=workaround)

    update = IncidentUpdate.objects.create(
        incident=incident,
        kind=_update_kind(is_internal=is_internal, status=status),
        author=author if _is_user(author) else None,
        message=message,
        is_internal=is_internal,
        status=status,
        previous_status=incident.status,
        severity=severity,
        previous_severity=incident.severity,
        created_at=now,
    )
    _apply_component_statuses(incident, update, component_statuses)
    _apply_facts(incident, status=status, severity=severity, eta=eta, workaround=workaround,
                 root_cause=root_cause, resolution_summary=resolution_summary)
    _stamp_milestones(incident, status, now)
    if message and not is_internal:
        incident.last_public_update_at = now
    # Severity or status may change the cadence, so the promise is recomputed every time.
    incident.next_update_due_at = next_update_due(incident=incident, after=incident.last_public_update_at or now)
    incident.full_clean()
    incident.save()
    _announce(update, options=publish_options)
    return update


def _check_update(*, incident, message, is_internal, status, severity, component_statuses, eta, workaround) -> None:
    errors: dict[str, str] = {}
    changes_public_facts = (
        status != incident.status
        or severity != incident.severity
        or bool(component_statuses)
        or (eta is not None and eta != incident.eta)
        or (workaround is not None and workaround.strip() != incident.workaround)
    )
    if incident.status == Status.RESOLVED:
        errors["status"] = _("This incident is resolved. Reopen it to post updates.")
    elif is_internal and not message:
        errors["message"] = _("An internal note needs text.")
    elif is_internal and changes_public_facts:
        errors["is_internal"] = _(
            "An internal note cannot change status, severity, components, ETA or workaround; "
            "post a public update instead."
        )
    elif status == Status.RESOLVED and not message:
        errors["message"] = _("Resolving needs a public message that tells stakeholders what was done.")
    elif not message and not changes_public_facts:
        errors["message"] = _("Write a message or change something: this update would say nothing.")
    if status == Status.RESOLVED and any(value != ComponentStatus.OPERATIONAL for value in component_statuses.values()):
        errors["components"] = _("A resolved incident leaves its components operational.")
    if status not in Status.values:
        errors["status"] = _("Unknown status.")
    if severity not in Severity.values:
        errors["severity"] = _("Unknown severity.")
    foreign = [c.name for c in component_statuses if c.customer_id not in _customer_ids(incident)]
    if foreign:
        errors["components"] = _("These components belong to a customer this incident does not affect: %(names)s") % {
            "names": ", ".join(foreign)
        }
    _check_component_values(component_statuses, errors)
    if errors:
        raise ValidationError(errors)


def _update_kind(*, is_internal: bool, status: str) -> str:
    if is_internal:
        return UpdateKind.NOTE
    return UpdateKind.RESOLVED if status == Status.RESOLVED else UpdateKind.UPDATE


def _apply_facts(incident: Incident, *, status, severity, eta, workaround, root_cause, resolution_summary) -> None:
    incident.status = status
    incident.severity = severity
    if eta is not None:
        incident.eta = eta
    for field, value in [("workaround", workaround), ("root_cause", root_cause),
                         ("resolution_summary", resolution_summary)]:
        if value is not None:
            setattr(incident, field, value.strip())


@transaction.atomic
def incident_reopen(*, incident: Incident, author: AbstractBaseUser | None, message: str) -> IncidentUpdate:
    """Reopen a resolved incident; counted, recorded on the timeline, and announced publicly."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != Status.RESOLVED:
        raise ValidationError({"status": _("Only a resolved incident can be reopened.")})
    if not message.strip():
        raise ValidationError({"message": _("Tell stakeholders why the incident is reopened.")})
    now = timezone.now()
    update = IncidentUpdate.objects.create(
        incident=incident, kind=UpdateKind.REOPENED, author=author if _is_user(author) else None,
        message=message.strip(), status=Status.INVESTIGATING, previous_status=incident.status,
        severity=incident.severity, previous_severity=incident.severity, created_at=now,
    )
    _restore_components_cleared_by_resolution(incident, update)
    incident.status = Status.INVESTIGATING
    incident.resolved_at = None
    incident.monitoring_at = None
    incident.reopen_count += 1
    incident.last_public_update_at = now
    incident.next_update_due_at = next_update_due(incident=incident, after=now)
    incident.save()
    _announce(update)
    return update


def _restore_components_cleared_by_resolution(incident: Incident, update: IncidentUpdate) -> None:
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
    _apply_component_statuses(incident, update, restored)


@transaction.atomic
def incident_add_customer(
    *,
    incident: Incident,
    customer: Customer,
    author: AbstractBaseUser | None,
    component_statuses: ComponentStatuses | None = None,
) -> CustomerIncident:
    """Add another affected customer (an upstream outage): it gets its own number and components."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    component_statuses = component_statuses or {}
    errors: dict[str, str] = {}
    if incident.status == Status.RESOLVED:
        errors["customer"] = _("This incident is resolved. Reopen it first.")
    elif incident.customer_links.filter(customer=customer).exists():
        errors["customer"] = _("%(customer)s is already affected by this incident.") % {"customer": customer}
    if any(c.customer_id != customer.pk for c in component_statuses):
        errors["components"] = _("Choose components of the customer you are adding.")
    _check_component_values(component_statuses, errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    link = CustomerIncident.objects.create(
        incident=incident, customer=customer, number=incident_number_next(customer=customer, at=now)
    )
    update = IncidentUpdate.objects.create(
        incident=incident, kind=UpdateKind.CUSTOMER_ADDED, author=author if _is_user(author) else None,
        message="", is_internal=True, status=incident.status, severity=incident.severity, created_at=now,
    )
    _apply_component_statuses(incident, update, component_statuses)
    _announce(update, customer=customer)
    return link


def _apply_component_statuses(
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
        statuses = AffectedComponent.objects.filter(
            component=component, incident__status__in=OPEN_STATUSES
        ).values_list("status", flat=True)
        worst = max(statuses, key=ComponentStatus.weight, default=ComponentStatus.OPERATIONAL)
        Component.objects.filter(pk=component.pk).update(status=worst)


def _all_operational(incident: Incident) -> dict[Component, str]:
    affected = AffectedComponent.objects.filter(incident=incident).select_related("component")
    return {a.component: ComponentStatus.OPERATIONAL for a in affected}


def _announce(update: IncidentUpdate, *, customer: Customer | None = None,
              options: Mapping[str, Any] | None = None) -> None:
    """Tell listeners (comms) about the entry, inside this transaction; see incidents.signals."""
    update_posted.send(sender=IncidentUpdate, update=update, customer=customer, options=options or {})


def _stamp_milestones(incident: Incident, status: str, now: datetime) -> None:
    reached = _STATUS_ORDER.index(status)
    for milestone, field in _MILESTONES:
        if _STATUS_ORDER.index(milestone) <= reached and getattr(incident, field) is None:
            setattr(incident, field, now)


def _customer_ids(incident: Incident) -> set[int]:
    return set(incident.customer_links.values_list("customer_id", flat=True))


def _is_user(author: AbstractBaseUser | None) -> bool:
    return author is not None and author.is_authenticated
