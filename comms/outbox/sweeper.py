"""Finds outbox work that fell through the cracks; run once a minute by beat.

The on-commit enqueue is the fast path. This is the safety net: a broker that was down
at commit time, a worker killed mid-send (its lease expires), a retry whose time has
come, a scheduled message whose time has come, a message whose texts were never rendered
(comms.outbox.texts). Everything it finds is re-enqueued; the
claims in outbox.py and delivery.py make a duplicate enqueue harmless. It is also where a
deferred routine update goes out once its recipient's interval has ended (comms.outbox.coalescing).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from comms.models import Communication, CommunicationState, Delivery, DeliveryState
from comms.outbox.coalescing import release_due
from comms.outbox.delivery import communication_finish_if_done, lease

MAX_PER_SWEEP = 20_000


@dataclass(frozen=True)
class SweepWork:
    communications: list[int]
    deliveries: list[int]


def sweep() -> SweepWork:
    now = timezone.now()
    # Leave the on-commit path a moment before the sweeper duplicates its work.
    grace = timedelta(seconds=settings.KALM_SWEEP_GRACE_SECONDS)
    _release_expired_leases(now)
    released = release_due(now)
    # Due now (scheduled ones included), or still without texts (comms.outbox.texts), and old enough
    # that the on-commit path had its chance.
    communications = list(
        Communication.objects.filter(state=CommunicationState.QUEUED, created_at__lte=now - grace)
        .filter(Q(send_at__lte=now) | Q(template_context__isnull=False))
        .values_list("id", flat=True)[:1000]
    )
    due = list(
        Delivery.objects.filter(state=DeliveryState.QUEUED, next_attempt_at__lte=now,
                                updated_at__lte=now - grace).order_by("next_attempt_at")
        .values_list("id", flat=True)[:MAX_PER_SWEEP]
    )
    for communication_id in sorted(released.communications):
        communication_finish_if_done(communication_id)
    _finish_stuck_communications()
    queued = [delivery.pk for delivery in released.queued]
    already = set(queued)
    return SweepWork(communications, queued + [pk for pk in due if pk not in already])


def _release_expired_leases(now) -> int:
    """A delivery 'sending' for longer than the lease belongs to a dead worker: queue it again."""
    return Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=now - lease()).update(
        state=DeliveryState.QUEUED, next_attempt_at=now, last_error="worker lost; retrying"
    )


def _finish_stuck_communications() -> None:
    for communication_id in Communication.objects.filter(state=CommunicationState.SENDING).values_list(
        "id", flat=True
    )[:1000]:
        communication_finish_if_done(communication_id)
