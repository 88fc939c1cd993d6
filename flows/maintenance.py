"""What happens when a maintenance window changes: the facts (incidents.maintenance), the
message the change calls for (comms.outbox.maintenance), and the customer's public page."""

from typing import Any

from django.db import transaction

from comms.outbox.maintenance import maintenance_notify
from incidents import maintenance as facts
from incidents.models import Maintenance
from statuspage.publishing import publish_after_commit


@transaction.atomic
def schedule(**arguments: Any) -> tuple[Maintenance, list[str]]:
    maintenance, warnings = facts.maintenance_schedule(**arguments)
    _tell(maintenance, "scheduled")
    return maintenance, warnings


@transaction.atomic
def edit_texts(*, maintenance: Maintenance, **arguments: Any) -> bool:
    """Corrected texts: the page shows them and the reminders carry them; no message of their own."""
    changed = facts.maintenance_edit_texts(maintenance=maintenance, **arguments)
    if changed:
        publish_after_commit([maintenance.customer_id])
    return changed


@transaction.atomic
def start(*, maintenance: Maintenance, **arguments: Any) -> bool:
    return _moved(facts.maintenance_start(maintenance=maintenance, **arguments), maintenance, "started")


@transaction.atomic
def complete(*, maintenance: Maintenance, **arguments: Any) -> bool:
    return _moved(facts.maintenance_complete(maintenance=maintenance, **arguments), maintenance, "completed")


@transaction.atomic
def cancel(*, maintenance: Maintenance) -> bool:
    return _moved(facts.maintenance_cancel(maintenance=maintenance), maintenance, "cancelled")


def _moved(moved: bool, maintenance: Maintenance, event: str) -> bool:
    """Only the call that made the change tells anyone (the facts services are idempotent)."""
    if moved:
        _tell(maintenance, event)
    return moved


def _tell(maintenance: Maintenance, event: str) -> None:
    maintenance_notify(maintenance=maintenance, event=event)
    publish_after_commit([maintenance.customer_id])
