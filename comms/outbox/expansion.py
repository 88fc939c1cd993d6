"""The outbox after commit (docs/architecture.md, decision 1): a committed Communication gets its texts
(comms.outbox.texts), then one Delivery per recipient × channel. Run by the ``expand_communication``
task (enqueued on commit, re-driven by the sweeper); idempotent: the texts are rendered once, and
Delivery is unique per (communication, channel, address)."""

from django.db import transaction
from django.utils import timezone

from comms.models import (
    EMAIL_ONLY_KINDS,
    Channel,
    Communication,
    CommunicationState,
    Delivery,
    DeliveryState,
    Stakeholder,
)
from comms.outbox import coalescing
from comms.outbox.delivery import communication_finish_if_done
from comms.outbox.drills import drill_recipients
from comms.outbox.texts import communication_render


def communication_expand(communication_id: int) -> list[int]:
    """Render a Communication's texts if not yet done; create its Deliveries once it is due.

    Returns the ids now queued for sending. The texts are rendered first, in no transaction:
    templates run outside every lock (issue 11), and no Delivery exists before its texts do.
    Claims the row with SELECT … FOR UPDATE SKIP LOCKED and a state check, so a duplicate
    task or a sweep racing the first run does nothing; the whole expansion is one
    transaction, so a crash leaves the Communication queued for the sweeper. A routine
    update to someone inside their interval is written DEFERRED; a delivery that goes now
    takes over the deferred ones to its address about the incident (comms.outbox.coalescing).
    """
    communication_render(communication_id)
    with transaction.atomic():
        communication = (
            Communication.objects.select_for_update(skip_locked=True)
            .filter(pk=communication_id, state=CommunicationState.QUEUED, send_at__lte=timezone.now(),
                    template_context__isnull=True)
            .first()
        )
        if communication is None:
            return []
        deliveries = _deliveries_for(communication)
        absorbed = coalescing.absorb_deferred(communication, deliveries)
        Delivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
        coalescing.supersede_absorbed(communication, absorbed)
        communication.state = CommunicationState.SENDING if deliveries else CommunicationState.DONE
        communication.save(update_fields=["state"])
    for superseded in sorted(absorbed.communications):
        communication_finish_if_done(superseded)
    return list(communication.deliveries.filter(state=DeliveryState.QUEUED).values_list("id", flat=True))


def _deliveries_for(communication: Communication) -> list[Delivery]:
    now = timezone.now()
    recipients = Stakeholder.objects.filter(pk__in=communication.recipient_ids, is_active=True)
    drill = communication.incident is not None and communication.incident.is_drill
    if drill:  # planning chose only internal people; checked again here, where addresses become deliveries
        recipients = recipients.filter(drill_recipients())
    email_only = drill or communication.kind in EMAIL_ONLY_KINDS
    pairs = [(stakeholder, channel, address) for stakeholder in recipients.iterator(chunk_size=2000)
             for channel, address in stakeholder.addresses() if not email_only or channel == Channel.EMAIL]
    waits = coalescing.deferred_until(communication, {(channel, address) for _, channel, address in pairs}, now)
    return [
        Delivery(communication=communication, stakeholder=stakeholder, channel=channel, address=address,
                 state=DeliveryState.DEFERRED if (channel, address) in waits else DeliveryState.QUEUED,
                 next_attempt_at=waits.get((channel, address), now))
        for stakeholder, channel, address in pairs
    ]
