"""A monitoring source's request, start to end: which integration (its secret), whether the
signature holds, the payload read by the source's module, the alerts ingested, the request recorded.

The answer is what a source's retry logic needs: 404 for an unknown secret, 401 for a bad
signature, 400 naming the field for a body that cannot be read (nothing stored but the
record), 200 with what happened. Kalm failing to store (the database down) is the one 5xx,
raised to the view, so the source retries.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from incidents.models import CustomerIncident
from intake.ingest import Outcome, ingest
from intake.models import IntakeRequest, Integration
from intake.signals import PayloadError
from intake.sources import PARSERS, VERIFIERS
from intake.sources.base import Payload

KEPT_BODY = 64 * 1024  # characters of a request's body kept on its record
MAX_TOKEN = 64


@dataclass(frozen=True)
class Receipt:
    status: int
    body: dict[str, Any]


def integration_for(token: str, now: datetime | None = None) -> Integration | None:
    """The enabled integration whose address (or, within a day of rotating, whose old one) this is."""
    if not token or len(token) > MAX_TOKEN:
        return None
    now = now or timezone.now()
    return (Integration.objects.select_related("customer").filter(enabled=True)
            .filter(Q(token=token) | Q(previous_token=token, previous_token_until__gt=now)).first())


def receive(integration: Integration, payload: Payload, *, client_address: str | None = None) -> Receipt:
    now = timezone.now()
    verify = VERIFIERS.get(integration.kind)
    if integration.signing_secret and verify and not verify(payload, integration.signing_secret):
        return _record(integration, payload, client_address, now,
                       Receipt(401, {"error": "the signature does not match the integration's signing secret",
                                     "field": "signature"}))
    try:
        signals = PARSERS[integration.kind](payload, integration.mapping)
    except PayloadError as error:
        return _record(integration, payload, client_address, now,
                       Receipt(400, {"error": error.problem, "field": error.field}))
    outcome = ingest(integration, signals, now)
    return _record(integration, payload, client_address, now, Receipt(200, {
        "alerts": len(signals), "outcome": dict(outcome.counts), "incidents": _numbers(outcome)}))


def _numbers(outcome: Outcome) -> list[str]:
    return sorted(CustomerIncident.objects.filter(incident_id__in=outcome.incidents).values_list("number", flat=True))


def _record(integration: Integration, payload: Payload, client_address: str | None, now: datetime,
            receipt: Receipt) -> Receipt:
    text = payload.body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    outcome = receipt.body.get("error") or ", ".join(f"{what} {count}" for what, count in
                                                      sorted(receipt.body.get("outcome", {}).items()))
    if receipt.status == 400:
        outcome = f"{receipt.body['field']}: {outcome}"
    IntakeRequest.objects.create(
        integration=integration, received_at=now, status_code=receipt.status, counts=receipt.body.get("outcome", {}),
        outcome=(outcome or "nothing to do")[:500], body=text[:KEPT_BODY], truncated=len(text) > KEPT_BODY,
        client_address=client_address or None)
    return receipt


def purge_requests(now: datetime | None = None) -> int:
    """Forget request records older than ``KALM_INTAKE_KEEP_DAYS``; returns how many."""
    before = (now or timezone.now()) - timedelta(days=settings.KALM_INTAKE_KEEP_DAYS)
    deleted, _ = IntakeRequest.objects.filter(received_at__lt=before).delete()
    return deleted
