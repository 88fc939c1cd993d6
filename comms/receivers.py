"""Listens to incidents: every public timeline entry becomes messages in the outbox; so do
acknowledgment releases and maintenance windows."""

from typing import Any

from django.dispatch import receiver

from comms.maintenance_messages import maintenance_notify
from comms.outbox import acknowledgment_release, communications_for_update
from incidents.models import Customer, IncidentUpdate, Maintenance, UpdateKind
from incidents.signals import maintenance_changed, update_posted


@receiver(update_posted, dispatch_uid="comms.communications_for_update")
def write_communications(sender, *, update: IncidentUpdate, customer: Customer | None,
                         options: dict[str, Any], **kwargs) -> None:
    # Runs inside the incident's transaction: the Communications commit with the facts or not at all.
    communications_for_update(update, customer=customer, options=options)


# --- cadence, escalation and maintenance (issue 4) ------------------------------------------
# Same rule as above: these run inside the transaction that changed the facts and only
# write rows; sending is enqueued on commit.


@receiver(update_posted, dispatch_uid="comms.acknowledgment_release")
def release_held_acknowledgment(sender, *, update: IncidentUpdate, **kwargs) -> None:
    """Approval given (or target reached): the opening entry's held messages go out now."""
    if update.kind == UpdateKind.ACKNOWLEDGED:
        acknowledgment_release(update.incident)


@receiver(maintenance_changed, dispatch_uid="comms.maintenance_notify")
def write_maintenance_messages(sender, *, maintenance: Maintenance, event: str, **kwargs) -> None:
    """Scheduled → announcement (also when less than 7 days ahead), started → start, completed → completion."""
    maintenance_notify(maintenance=maintenance, event=event)
