"""A monitoring source's request: which integration (its secret), whether the signature holds,
the payload read by the source's module, and the request stored with its alerts for a worker
(``intake.processing``, enqueued after commit).

The answer is what a source's retry logic needs: 404 for an unknown secret, 401 for a bad
signature, 400 naming the field for a body that cannot be read (nothing stored but the
record), 202 once the alerts are stored. Kalm failing to store (the database down) is the one
5xx, raised to the view, so the source retries. The source never waits for an incident to
open: that is the worker's job, in arrival order, and the request's record shows what it did.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from comms.tasks import enqueue
from intake.models import IntakeRequest, Integration, RequestState
from intake.signals import PayloadError
from intake.sources import PARSERS, VERIFIERS
from intake.sources.base import Payload
from intake.tasks import process_integration

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
    with transaction.atomic():
        receipt = _record(integration, payload, client_address, now,
                          Receipt(202, {"alerts": len(signals), "accepted": True}),
                          signals=[signal.to_json() for signal in signals])
        transaction.on_commit(lambda: enqueue(process_integration, integration.pk))
    return receipt


def _record(integration: Integration, payload: Payload, client_address: str | None, now: datetime,
            receipt: Receipt, *, signals: list[dict] | None = None) -> Receipt:
    text = payload.body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    refused = signals is None
    outcome = f"{receipt.body.get('field', '')}: {receipt.body.get('error', '')}" if refused else ""
    IntakeRequest.objects.create(
        integration=integration, received_at=now, status_code=receipt.status,
        state=RequestState.REFUSED if refused else RequestState.PENDING, signals=signals or [],
        outcome=outcome[:500], body=text[:KEPT_BODY], truncated=len(text) > KEPT_BODY,
        client_address=client_address or None)
    return receipt
