"""What happens when a maintenance window changes: the facts (incidents.maintenance), the
message the change calls for (comms.outbox.maintenance), the customer's public page, and the
audit trail (``actor``: who did it; None for the tick)."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from audit import services as audit
from comms.outbox.maintenance import maintenance_notify
from incidents import maintenance as facts
from incidents.models import Maintenance, MaintenanceStatus
from statuspage.publishing import publish_after_commit

# The window's facts an audit event compares.
AUDITED_FIELDS = ("title", "status", "starts_at", "ends_at", "expected_impact", "customer_action", "components")
AUDITED_TEXTS = ("title", "expected_impact", "customer_action", "translations")


@transaction.atomic
def schedule(**arguments: Any) -> tuple[Maintenance, list[str]]:
    maintenance, warnings = facts.maintenance_schedule(**arguments)
    _tell(maintenance, "scheduled")
    _record(audit.Action.MAINTENANCE_SCHEDULED, maintenance, actor=arguments.get("author"), before={},
            after=audit.snapshot(maintenance, AUDITED_FIELDS), whole=True)
    return maintenance, warnings


@transaction.atomic
def edit_texts(*, maintenance: Maintenance, actor: AbstractBaseUser | None = None, **arguments: Any) -> bool:
    """Corrected texts: the page shows them and the reminders carry them; no message of their own."""
    before = audit.snapshot(Maintenance.objects.select_for_update().get(pk=maintenance.pk), AUDITED_TEXTS)
    changed = facts.maintenance_edit_texts(maintenance=maintenance, **arguments)
    if changed:
        publish_after_commit([maintenance.customer_id])
        _record(audit.Action.MAINTENANCE_EDITED, maintenance, actor=actor, before=before,
                after=audit.snapshot(maintenance, AUDITED_TEXTS))
    return changed


@transaction.atomic
def start(*, maintenance: Maintenance, actor: AbstractBaseUser | None = None, **arguments: Any) -> bool:
    return _moved(facts.maintenance_start(maintenance=maintenance, **arguments), maintenance, "started", actor)


@transaction.atomic
def complete(*, maintenance: Maintenance, actor: AbstractBaseUser | None = None, **arguments: Any) -> bool:
    return _moved(facts.maintenance_complete(maintenance=maintenance, **arguments), maintenance, "completed", actor)


@transaction.atomic
def cancel(*, maintenance: Maintenance, actor: AbstractBaseUser | None = None) -> bool:
    return _moved(facts.maintenance_cancel(maintenance=maintenance), maintenance, "cancelled", actor)


# event → (action, the status the window moved from; the facts service has refreshed it to the new one)
_MOVES = {"started": (audit.Action.MAINTENANCE_STARTED, MaintenanceStatus.SCHEDULED),
          "completed": (audit.Action.MAINTENANCE_COMPLETED, MaintenanceStatus.IN_PROGRESS),
          "cancelled": (audit.Action.MAINTENANCE_CANCELLED, MaintenanceStatus.SCHEDULED)}


def _moved(moved: bool, maintenance: Maintenance, event: str, actor: AbstractBaseUser | None) -> bool:
    """Only the call that made the change tells anyone (the facts services are idempotent)."""
    if moved:
        _tell(maintenance, event)
        action, source = _MOVES[event]
        _record(action, maintenance, actor=actor, before={"status": source}, after={"status": maintenance.status})
    return moved


def _tell(maintenance: Maintenance, event: str) -> None:
    maintenance_notify(maintenance=maintenance, event=event)
    publish_after_commit([maintenance.customer_id])


def _record(action: str, maintenance: Maintenance, *, actor: AbstractBaseUser | None, before: dict,
            after: dict, whole: bool = False) -> None:
    audit.record(action=action, actor=actor, customer=maintenance.customer, target=maintenance,
                 before=before, after=after, only_changes=not whole)
