"""The worker's side of the intake: an integration's accepted requests, one at a time in arrival
order, each in its own transaction with the integration's row locked (``intake.ingest``).

Order matters (a firing then a resolved notification must not swap), so a task never takes a
request: it takes the integration and works through whatever is pending, oldest first. Several
tasks for one integration queue on its lock and the later ones find nothing left. A request that
fails is marked failed with the error and the next one goes on; one that could not be processed
at all (the database away) stays pending and the sweeper hands it out again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import CustomerIncident
from intake.ingest import ingest
from intake.models import IntakeRequest, Integration, RequestState
from intake.signals import AlertSignal

logger = logging.getLogger(__name__)

SWEEP_AFTER = timedelta(seconds=30)  # a request still pending this long lost its task: hand it out again


class Busy(Exception):
    """Another worker holds the integration: it works through what is pending, this one too."""


def process_pending(integration_id: int) -> int:
    """Process the integration's pending requests in arrival order; returns how many.

    ``Busy`` when another worker is at it (PostgreSQL's SKIP LOCKED): in a storm one worker
    drains the queue instead of every task waiting on the same row lock.
    """
    processed = 0
    while _process_next(integration_id):
        processed += 1
    return processed


def _process_next(integration_id: int) -> bool:
    try:
        with transaction.atomic():
            integration = (Integration.objects.select_for_update(of=("self",), skip_locked=True)
                           .select_related("customer").filter(pk=integration_id).first())
            if integration is None:
                if Integration.objects.filter(pk=integration_id).exists():
                    raise Busy
                return False
            request = _oldest_pending(integration_id)
            if request is None:
                return False
            outcome = ingest(integration, [AlertSignal.from_json(item) for item in request.signals],
                             timezone.now())
            request.state, request.counts = RequestState.DONE, dict(outcome.counts)
            numbers = sorted(CustomerIncident.objects.filter(incident_id__in=outcome.incidents)
                             .values_list("number", flat=True))
            request.outcome = (str(outcome) + (f" ({', '.join(numbers)})" if numbers else ""))[:500]
            request.processed_at = timezone.now()
            request.save(update_fields=["state", "counts", "outcome", "processed_at"])
        return True
    except Busy:
        raise
    except Exception as error:  # one bad request never stops the ones after it
        logger.exception("intake: request of integration %s failed", integration_id)
        return _mark_failed(integration_id, error)


def _mark_failed(integration_id: int, error: Exception) -> bool:
    """The oldest pending request is marked failed (so the next can go on); False if even that fails."""
    try:
        with transaction.atomic():
            Integration.objects.select_for_update().filter(pk=integration_id).first()
            request = _oldest_pending(integration_id)
            if request is None:
                return False
            request.state, request.processed_at = RequestState.FAILED, timezone.now()
            request.outcome = f"{type(error).__name__}: {error}"[:500]
            request.save(update_fields=["state", "outcome", "processed_at"])
        return True
    except Exception:  # the database itself is away: leave it pending for the sweeper
        logger.exception("intake: could not mark a request of integration %s failed", integration_id)
        return False


def _oldest_pending(integration_id: int) -> IntakeRequest | None:
    return (IntakeRequest.objects.filter(integration_id=integration_id, state=RequestState.PENDING)
            .order_by("received_at", "pk").first())


def integrations_left_pending(now=None) -> list[int]:
    """Integrations with a request pending longer than ``SWEEP_AFTER`` (its task was lost)."""
    before = (now or timezone.now()) - SWEEP_AFTER
    return list(IntakeRequest.objects.filter(state=RequestState.PENDING, received_at__lt=before)
                .values_list("integration_id", flat=True).distinct())


def purge_requests(now=None) -> int:
    """Forget request records older than ``KALM_INTAKE_KEEP_DAYS`` (pending ones too: a week late is
    no news); returns how many."""
    before = (now or timezone.now()) - timedelta(days=settings.KALM_INTAKE_KEEP_DAYS)
    deleted, _ = IntakeRequest.objects.filter(received_at__lt=before).delete()
    return deleted


def has_pending(integration_id: int) -> bool:
    return IntakeRequest.objects.filter(integration_id=integration_id, state=RequestState.PENDING).exists()
