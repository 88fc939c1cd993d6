"""The transactional outbox: turn a timeline entry into Communications, then into Deliveries.

Two steps, on purpose (DESIGN.md decision 1):

1. ``communications_for_update`` runs inside the transaction that wrote the incident
   update. It decides the message kind per stakeholder, groups recipients by
   kind × audience × language, renders one message per group and writes one
   Communication per group with its recipients' ids. A few rows, however many recipients:
   publishing stays fast with 10,000 stakeholders.
2. ``communication_expand`` (a task, enqueued on commit and re-driven by the sweeper) writes
   one Delivery per recipient × channel and hands them to the delivery workers. It is
   idempotent: Delivery is unique per (communication, channel, address).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comms.context import message_context
from comms.models import (
    URGENT_KINDS,
    Communication,
    CommunicationState,
    Delivery,
    DeliveryState,
    MessageKind,
    Stakeholder,
)
from comms.rendering import RenderedMessage, render_message, render_plain
from comms.routing import kind_for_role, routing_table
from incidents.models import Customer, IncidentUpdate, Severity, UpdateKind

GroupKey = tuple[str, str, str]  # kind, audience, language


@dataclass
class PlannedMessage:
    customer: Customer
    kind: str
    audience: str
    language: str
    rendered: RenderedMessage
    recipient_ids: list[int] = field(default_factory=list)


def kinds_for_update(update: IncidentUpdate) -> list[str]:
    """Message kinds an entry may produce, most specific first; [] for entries that stay internal."""
    if update.kind in (UpdateKind.OPENED, UpdateKind.CUSTOMER_ADDED):
        # "Customer added" is an internal timeline entry, but the added customer's people
        # still need their acknowledgment.
        return [MessageKind.ACKNOWLEDGMENT]
    if update.is_internal:
        return []
    if update.kind == UpdateKind.RESOLVED:
        return [MessageKind.RESOLUTION]
    if not update.message:
        return []  # a silent status or component change is shown on the status page, not mailed
    if update.severity_changed and Severity.rank(update.severity) < Severity.rank(update.previous_severity):
        return [MessageKind.ESCALATION, MessageKind.UPDATE]
    return [MessageKind.UPDATE]


def plan_for_update(update: IncidentUpdate, *, customer: Customer | None = None) -> list[PlannedMessage]:
    """What would be sent for this entry: one rendered message per kind × audience × language."""
    kinds = kinds_for_update(update)
    if not kinds:
        return []
    incident = update.incident
    customers = [customer] if customer else [link.customer for link in incident.customer_links.all()]
    plans: list[PlannedMessage] = []
    for each in customers:
        groups = _recipient_groups(each, incident_id=incident.pk, kinds=kinds, severity=incident.severity)
        for (kind, audience, language), ids in sorted(groups.items()):
            context = message_context(incident=incident, customer=each, update=update, language=language)
            rendered = render_message(kind=kind, audience=audience, language=language, context=context,
                                      customer=each)
            plans.append(PlannedMessage(each, kind, audience, language, rendered, ids))
    return plans


def _recipient_groups(customer: Customer, *, incident_id: int, kinds: list[str],
                      severity: str) -> dict[GroupKey, list[int]]:
    """Active stakeholders routed for one of ``kinds``, grouped; reads plain values, not models."""
    table = routing_table(customer)
    affected = set(
        customer.components.filter(affected_by__incident_id=incident_id).values_list("id", flat=True)
    )
    interests = _component_interests(customer)
    groups: dict[GroupKey, list[int]] = defaultdict(list)
    rows = customer.stakeholders.filter(is_active=True).values_list("id", "role", "audience", "language")
    for stakeholder_id, role, audience, language in rows.iterator(chunk_size=2000):
        kind = kind_for_role(table, role=role, kinds=kinds, severity=severity)
        wanted = interests.get(stakeholder_id)
        if kind and (not wanted or wanted & affected):
            groups[(kind, audience, language)].append(stakeholder_id)
    return groups


def _component_interests(customer: Customer) -> dict[int, set[int]]:
    """Stakeholder id → the components they chose; absent means 'all components'."""
    through = Stakeholder.components.through.objects.filter(stakeholder__customer=customer)
    interests: dict[int, set[int]] = defaultdict(set)
    for stakeholder_id, component_id in through.values_list("stakeholder_id", "component_id"):
        interests[stakeholder_id].add(component_id)
    return interests


def communications_for_update(
    update: IncidentUpdate, *, customer: Customer | None = None, options: Mapping[str, Any] | None = None,
    author=None,
) -> list[Communication]:
    """Write the Communications for an entry (inside the caller's transaction) and enqueue them on commit.

    ``options`` may carry ``texts`` ({(customer_id, kind, audience, language): (subject, body)})
    with what the account manager edited in the composer, and ``send_at`` for a scheduled send.
    """
    options = options or {}
    texts: Mapping[GroupKey, tuple[str, str]] = options.get("texts", {})
    send_at: datetime = options.get("send_at") or timezone.now()
    communications = []
    for plan in plan_for_update(update, customer=customer):
        rendered = _edited(plan, texts, update) or plan.rendered
        communications.append(Communication(
            incident=update.incident, update=update, customer=plan.customer, kind=plan.kind,
            audience=plan.audience, language=plan.language, subject=rendered.subject,
            body_text=rendered.body_text, body_html=rendered.body_html, short_text=rendered.short_text[:480],
            author=author or update.author, is_automatic=bool(options.get("automatic")),
            recipient_ids=plan.recipient_ids, send_at=send_at,
        ))
    Communication.objects.bulk_create(communications)
    if send_at <= timezone.now():
        ids = [c.pk for c in communications]
        transaction.on_commit(lambda: _enqueue_expansion(ids))
    return communications


def _edited(plan: PlannedMessage, texts: Mapping, update: IncidentUpdate) -> RenderedMessage | None:
    edited = texts.get((plan.customer.pk, plan.kind, plan.audience, plan.language))
    if not edited:
        return None
    subject, body = edited
    context = message_context(incident=update.incident, customer=plan.customer, update=update,
                              language=plan.language)
    # What the account manager edited is finished text: wrapped as a message, never evaluated again.
    return render_plain(subject=subject, body=body, context=context, language=plan.language)


def _enqueue_expansion(communication_ids: Iterable[int]) -> None:
    from comms.tasks import enqueue, expand_communication  # tasks import this module

    for communication_id in communication_ids:
        enqueue(expand_communication, communication_id)


def communication_expand(communication_id: int) -> list[int]:
    """Create the Deliveries of a queued Communication; returns the ids now queued for sending.

    Claims the row with SELECT … FOR UPDATE SKIP LOCKED and a state check, so a duplicate
    task or a sweep racing the first run does nothing; the whole expansion is one
    transaction, so a crash leaves the Communication queued for the sweeper.
    """
    with transaction.atomic():
        communication = (
            Communication.objects.select_for_update(skip_locked=True)
            .filter(pk=communication_id, state=CommunicationState.QUEUED, send_at__lte=timezone.now())
            .first()
        )
        if communication is None:
            return []
        deliveries = _deliveries_for(communication)
        Delivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
        communication.state = CommunicationState.SENDING if deliveries else CommunicationState.DONE
        communication.save(update_fields=["state"])
    return list(communication.deliveries.filter(state=DeliveryState.QUEUED).values_list("id", flat=True))


def _deliveries_for(communication: Communication) -> list[Delivery]:
    now = timezone.now()
    recipients = Stakeholder.objects.filter(pk__in=communication.recipient_ids, is_active=True)
    pairs = [(stakeholder, channel, address) for stakeholder in recipients.iterator(chunk_size=2000)
             for channel, address in stakeholder.addresses()]
    recent = set() if communication.kind in URGENT_KINDS else _recently_messaged(
        communication, {(channel, address) for _, channel, address in pairs}, now
    )
    return [
        Delivery(communication=communication, stakeholder=stakeholder, channel=channel, address=address,
                 next_attempt_at=now,
                 state=DeliveryState.COALESCED if (channel, address) in recent else DeliveryState.QUEUED)
        for stakeholder, channel, address in pairs
    ]


def _recently_messaged(communication: Communication, pairs: set[tuple[str, str]], now: datetime) -> set:
    """(channel, address) pairs that got another message within the coalescing interval."""
    since = now - timedelta(minutes=settings.KALM_COALESCE_MINUTES)
    addresses = sorted({address for _, address in pairs})
    found: set[tuple[str, str]] = set()
    for start in range(0, len(addresses), 900):  # stay under SQLite's bound-parameter limit
        found.update(
            Delivery.objects.filter(created_at__gte=since, address__in=addresses[start:start + 900])
            .exclude(communication=communication)
            .exclude(state=DeliveryState.COALESCED)
            .values_list("channel", "address")
        )
    return found & pairs
