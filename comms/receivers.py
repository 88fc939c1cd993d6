"""Listens to incidents: every public timeline entry becomes messages in the outbox."""

from typing import Any

from django.dispatch import receiver

from comms.outbox import communications_for_update
from incidents.models import Customer, IncidentUpdate
from incidents.signals import update_posted


@receiver(update_posted, dispatch_uid="comms.communications_for_update")
def write_communications(sender, *, update: IncidentUpdate, customer: Customer | None,
                         options: dict[str, Any], **kwargs) -> None:
    # Runs inside the incident's transaction: the Communications commit with the facts or not at all.
    communications_for_update(update, customer=customer, options=options)
