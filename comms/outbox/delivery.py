"""Sending one delivery, exactly once per success, with retries and an audit trail.

The steps, each a short transaction of its own:
1. claim: ``UPDATE … SET state='sending' WHERE id=… AND state='queued' AND due`` — only the
   worker that changed one row goes on (docs/architecture.md, decision 2);
2. write a DeliveryAttempt row *before* the external call;
3. call the transport;
4. record the outcome: sent; queued again with exponential backoff (transient error); or
   failed with its reason (permanent error, or out of attempts).
A worker killed between 1 and 4 leaves the delivery 'sending'; the sweeper puts it back
in the queue once its lease has expired. E-mails carry a Message-ID derived from the
delivery, so a re-send after such a crash is recognisable as the same message.

Only the delivery in flight when a worker dies can be sent twice: each success is written
by its own UPDATE right after the transport accepted it, and a worker never starts a send
on a claim older than half the lease (the rest of that chunk goes back to the queue), so
the sweeper cannot hand a delivery to a second worker while the first may still send it
(one send is bounded by the transports' time-outs, 10 s per exchange, far below 150 s).
"""

import functools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from comms.directory.addresses import masked_address
from comms.messages import staff_notices
from comms.models import (
    FINAL_DELIVERY_STATES,
    Communication,
    CommunicationState,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    EndpointHealth,
)
from comms.outbox.earlier_updates import EarlierUpdate, message_texts
from comms.transports import MessageExtras, OutgoingMessage, Transport, TransportError, transport_for
from core.links import status_page_url

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
QUARANTINE_AFTER = 5  # consecutive failures of one webhook/chat endpoint
ENDPOINT_CHANNELS = ("teams", "slack", "webhook")
# Deliveries claimed together (one conditional UPDATE, one SELECT, one INSERT for all). A
# killed worker leaves at most this many per thread to the lease: later, never twice.
CLAIM_CHUNK = 25


@functools.cache
def extras_providers() -> tuple[Callable[[Delivery], MessageExtras | None], ...]:
    """What other apps add to a delivery's message, declared in ``settings.KALM_DELIVERY_EXTRAS``:
    a subscriber's List-Unsubscribe and footer (statuspage), the PDF attached instead of linked
    (reports). Each is called once per delivery, so it must not query per call."""
    return tuple(import_string(path) for path in settings.KALM_DELIVERY_EXTRAS)


def lease() -> timedelta:
    return timedelta(seconds=settings.KALM_DELIVERY_LEASE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass
class BatchFacts:
    """Facts every delivery of a batch shares, looked up once per batch instead of per message."""

    numbers: dict[tuple[int, int], str] = field(default_factory=dict)  # (incident, customer) → number
    status_pages: dict[str, str] = field(default_factory=dict)  # customer slug → status page URL
    earlier: dict[int, EarlierUpdate | None] = field(default_factory=dict)  # update id → what it said


def deliver_batch(delivery_ids: Iterable[int]) -> dict[str, int]:
    """Send the given deliveries, one transport session per channel; returns outcome counts.

    Deliveries are claimed CLAIM_CHUNK at a time (one conditional UPDATE, one SELECT, one
    INSERT of their attempts), then sent one by one; each success is recorded by a single
    UPDATE right after the transport accepted it. A worker killed mid-chunk leaves at most
    CLAIM_CHUNK deliveries 'sending' for the sweeper to release once their lease expires.
    Whether a Communication is done is checked once per batch, not per chunk.
    """
    outcomes: dict[str, int] = {}
    by_channel: dict[str, list[int]] = {}
    communications: set[int] = set()
    for delivery_id, channel in Delivery.objects.filter(pk__in=list(delivery_ids)).values_list("id", "channel"):
        by_channel.setdefault(channel, []).append(delivery_id)
    for channel, ids in by_channel.items():
        transport = transport_for(channel)
        transport.open()
        facts = BatchFacts()
        try:
            ids = sorted(ids)
            for start in range(0, len(ids), CLAIM_CHUNK):
                chunk = ids[start:start + CLAIM_CHUNK]
                send_until = time.monotonic() + lease().total_seconds() / 2  # taken before the claim: conservative
                claimed = _claim(chunk)
                _count(outcomes, "skipped", len(chunk) - len(claimed))
                communications.update(delivery.communication_id for delivery, _ in claimed)
                for outcome in _deliver_claimed(claimed, transport, facts, send_until):
                    _count(outcomes, outcome)
        finally:
            transport.close()
    for communication_id in sorted(communications):
        communication_finish_if_done(communication_id)
    return outcomes


def _count(outcomes: dict[str, int], outcome: str, n: int = 1) -> None:
    if n:
        outcomes[outcome] = outcomes.get(outcome, 0) + n


def _claim(ids: list[int]) -> list[tuple[Delivery, DeliveryAttempt]]:
    """Claim the queued, due deliveries among ``ids``; return them loaded, each with its new attempt row."""
    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: a row another worker is claiming right now is simply not ours.
        mine = list(Delivery.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=ids, state=DeliveryState.QUEUED, next_attempt_at__lte=now)
                    .values_list("id", flat=True))
        Delivery.objects.filter(pk__in=mine).update(state=DeliveryState.SENDING, claimed_at=now,
                                                     attempts=F("attempts") + 1)
    deliveries = list(Delivery.objects.select_related("stakeholder").filter(pk__in=mine).order_by("id"))
    # A chunk's deliveries share one or two Communications: load each once rather than once per row
    # (its texts and template facts are the widest columns Kalm reads; issue 14's fan-out).
    communications = (Communication.objects.select_related("incident", "customer")
                      .in_bulk({delivery.communication_id for delivery in deliveries}))
    for delivery in deliveries:
        delivery.communication = communications[delivery.communication_id]
    attempts = DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(delivery=delivery, number=delivery.attempts, started_at=now) for delivery in deliveries
    )
    return list(zip(deliveries, attempts, strict=True))


def _deliver_claimed(claimed: list[tuple[Delivery, DeliveryAttempt]], transport: Transport, facts: BatchFacts,
                     send_until: float) -> list[str]:
    outcomes, sent_attempts = [], []
    for index, (delivery, attempt) in enumerate(claimed):
        if time.monotonic() >= send_until:
            # A slow server ate half the lease: the sweeper may soon hand the rest of this
            # chunk to another worker, so give it back untried rather than risk two senders.
            outcomes += _release_untried(claimed[index:])
            break
        try:
            _refuse_if_quarantined(delivery)
            provider_id = transport.send(outgoing_message(delivery, facts))
        except TransportError as error:
            outcomes.append(_record_failure(delivery, attempt, error))
            continue
        _mark_sent(delivery, provider_id)
        sent_attempts.append(attempt.pk)
        outcomes.append("sent")
    # The attempt rows of this chunk are completed together; the delivery rows, which
    # decide what is sent again, were updated one by one above.
    if sent_attempts:
        DeliveryAttempt.objects.filter(pk__in=sent_attempts).update(finished_at=timezone.now(), outcome="sent")
    return outcomes


def _release_untried(claimed: list[tuple[Delivery, DeliveryAttempt]]) -> list[str]:
    """Queue claimed deliveries again as if never claimed (no call was made); the sweeper re-sends them."""
    ours = Delivery.objects.filter(
        pk__in=[delivery.pk for delivery, _attempt in claimed], state=DeliveryState.SENDING,
        claimed_at=claimed[0][0].claimed_at,  # one claim, one time; a row released by the sweeper is not ours
    )
    with transaction.atomic():
        ours.update(state=DeliveryState.QUEUED, attempts=F("attempts") - 1, next_attempt_at=timezone.now())
        DeliveryAttempt.objects.filter(pk__in=[attempt.pk for _delivery, attempt in claimed]).delete()
    logger.warning("%s claimed deliveries released untried: the claim is older than half the lease", len(claimed))
    return ["released"] * len(claimed)


def deliver_one(delivery_id: int, transport: Transport) -> str:
    """Claim, attempt and record one delivery; returns 'skipped', 'sent', 'retry' or 'failed'."""
    claimed = _claim([delivery_id])
    outcomes = _deliver_claimed(claimed, transport, BatchFacts(), time.monotonic() + lease().total_seconds() / 2)
    for delivery_row, _attempt in claimed:
        communication_finish_if_done(delivery_row.communication_id)
    return outcomes[0] if outcomes else "skipped"


def outgoing_message(delivery: Delivery, facts: BatchFacts | None = None) -> OutgoingMessage:
    """The transport's view of a delivery; ``facts`` caches what a batch's deliveries share."""
    facts = facts or BatchFacts()
    communication = delivery.communication
    customer = communication.customer
    page_key = f"{customer.slug}/{communication.language}"
    if page_key not in facts.status_pages:
        facts.status_pages[page_key] = status_page_url(customer.slug, language=communication.language,
                                                       page_language=customer.language)
    metadata = {
        "kind": communication.kind, "audience": communication.audience, "language": communication.language,
        "customer": communication.customer.name, "status_page_url": facts.status_pages[page_key],
    }
    if communication.incident_id:
        incident = communication.incident
        metadata |= {"incident_number": _incident_number(communication, facts.numbers),
                     "incident_title": incident.title, "status": incident.status, "severity": incident.severity}
    stakeholder = delivery.stakeholder
    extras = _extras(delivery)
    texts = message_texts(delivery, facts.earlier)  # + "Earlier updates" when it took over deferred ones
    return OutgoingMessage(
        delivery_id=delivery.pk, channel=delivery.channel, address=delivery.address,
        subject=communication.subject, body_text=texts.body_text, body_html=texts.body_html,
        short_text=texts.short_text, message_id=delivery.message_id, metadata=metadata,
        secret=stakeholder.webhook_secret if stakeholder else "",
        headers=extras.headers, footer_text=extras.footer_text, footer_html=extras.footer_html,
        attachments=extras.attachments, personal=extras.personal,
        public_endpoint_only=bool(stakeholder and stakeholder.self_subscribed)
        and not settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE,
    )


def _extras(delivery: Delivery) -> MessageExtras:
    """All registered providers' additions, merged (later providers win on a header clash)."""
    found = [extras for provider in extras_providers() if (extras := provider(delivery)) is not None]
    if not found:
        return MessageExtras()
    return MessageExtras(
        headers={key: value for extras in found for key, value in extras.headers.items()},
        footer_text="\n".join(extras.footer_text for extras in found if extras.footer_text),
        footer_html="".join(extras.footer_html for extras in found if extras.footer_html),
        attachments=tuple(attachment for extras in found for attachment in extras.attachments),
        personal=next((extras.personal for extras in found if extras.personal), ""),
    )


def _incident_number(communication: Communication, numbers: dict[tuple[int, int], str]) -> str:
    key = (communication.incident_id, communication.customer_id)
    if key not in numbers:
        link = communication.incident.customer_links.filter(customer=communication.customer_id).first()
        numbers[key] = link.number if link else ""
    return numbers[key]


def _refuse_if_quarantined(delivery: Delivery) -> None:
    if delivery.channel in ENDPOINT_CHANNELS and EndpointHealth.objects.filter(
        channel=delivery.channel, address=delivery.address, quarantined_at__isnull=False
    ).exists():
        raise TransportError("Endpoint is quarantined after repeated failures; release it in the console.",
                             permanent=True)


# One statement per sent delivery, written out: it runs once per message on the fan-out's hot path, and
# the ORM's building and compiling of the same UPDATE cost as much as PostgreSQL running it.
_MARK_SENT = (f"UPDATE {Delivery._meta.db_table} SET state = %s, sent_at = %s, provider_id = %s, "  # noqa: S608 - the table
              "last_error = '' WHERE id = %s")  # name is the model's own; every value is a parameter


def _mark_sent(delivery: Delivery, provider_id: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SENT, [DeliveryState.SENT.value, timezone.now(), provider_id[:200], delivery.pk])
    if delivery.channel in ENDPOINT_CHANNELS:
        EndpointHealth.objects.filter(channel=delivery.channel, address=delivery.address).update(
            consecutive_failures=0
        )


def _record_failure(delivery: Delivery, attempt: DeliveryAttempt, error: TransportError) -> str:
    now = timezone.now()
    final = error.permanent or delivery.attempts >= MAX_ATTEMPTS
    outcome = "failed" if final else "retry"
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED if final else DeliveryState.QUEUED,
            next_attempt_at=now + retry_delay(delivery.attempts), last_error=str(error)[:2000],
        )
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(finished_at=now, outcome=outcome,
                                                            error=str(error)[:2000])
        if delivery.channel in ENDPOINT_CHANNELS:
            _count_endpoint_failure(delivery, str(error), now)
    logger.warning("delivery %s %s (attempt %s): %s", delivery.pk, outcome, delivery.attempts, error)
    return outcome


def _count_endpoint_failure(delivery: Delivery, error: str, now) -> None:
    health, _ = EndpointHealth.objects.select_for_update().get_or_create(
        channel=delivery.channel, address=delivery.address
    )
    health.consecutive_failures += 1
    health.last_error = error[:2000]
    if health.consecutive_failures >= QUARANTINE_AFTER and health.quarantined_at is None:
        # Under the row lock only one transaction sees quarantined_at empty, and the notice
        # is mailed on its commit: one notice per quarantine, none for a rolled-back one.
        health.quarantined_at = now
        logger.error("endpoint %s %s quarantined after %s failures", delivery.channel,
                     masked_address(delivery.channel, delivery.address), health.consecutive_failures)
        staff_notices.endpoint_quarantined(customer=delivery.communication.customer, channel=delivery.channel,
                                           address=delivery.address, failures=health.consecutive_failures,
                                           error=error)
    health.save()


def communication_finish_if_done(communication_id: int) -> None:
    """Mark a Communication done once none of its deliveries can still change."""
    open_deliveries = Delivery.objects.filter(communication_id=communication_id).exclude(
        state__in=FINAL_DELIVERY_STATES
    )
    if not open_deliveries.exists():
        Communication.objects.filter(pk=communication_id, state=CommunicationState.SENDING).update(
            state=CommunicationState.DONE
        )


def endpoint_release(*, channel: str, address: str) -> bool:
    """Lift a quarantine (the customer fixed their webhook); returns whether one was lifted."""
    return bool(EndpointHealth.objects.filter(channel=channel, address=address, quarantined_at__isnull=False)
                .update(quarantined_at=None, consecutive_failures=0))
