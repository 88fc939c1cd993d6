"""The transactional outbox: turn a timeline entry into Communications, then into Deliveries.

Three steps, on purpose (docs/architecture.md, decision 1):

1. ``communications_for_update`` runs inside the transaction that wrote the incident
   update. It decides the message kind per stakeholder, groups recipients by
   kind × audience × language, takes each group's template facts (comms.messages.context,
   one snapshot per language, shared by its audiences) and writes one Communication per
   group with those facts and its recipients' ids. A few rows, however many recipients:
   publishing stays fast with 10,000 stakeholders.
2. After commit, outside that transaction and its row locks, the texts are rendered from the
   stored facts (comms.outbox.texts): a staff-edited template is untrusted code, bounded, and
   never run while other writers wait (issue 11).
3. ``communication_expand`` (a task, enqueued on commit for every Communication and re-driven
   by the sweeper) does step 2, then writes one Delivery per recipient × channel and hands
   them to the delivery workers. It is idempotent: Delivery is unique per (communication,
   channel, address).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from comms.directory import escalation
from comms.directory.lifecycle import AFTERWARDS, DURING, in_order, introduced_ids
from comms.directory.routing import kind_for_role, routing_table
from comms.messages.context import message_context
from comms.messages.rendering import plain_text
from comms.models import (
    Communication,
    CommunicationState,
    MessageKind,
    Role,
    Stakeholder,
)
from comms.outbox.drills import drill_recipients
from comms.tasks import enqueue, expand_communication
from incidents.models import Customer, Incident, IncidentUpdate, Severity, UpdateKind

GroupKey = tuple[str, str, str]  # kind, audience, language
DraftKey = tuple[int, str, str, str]  # customer id, kind, audience, language: one message the composer shows


@dataclass
class PlannedMessage:
    customer: Customer
    kind: str
    audience: str
    language: str
    context: dict[str, Any]  # the template facts (comms.messages.context): JSON, rendered after commit
    recipient_ids: list[int] = field(default_factory=list)
    edited: tuple[str, str] | None = None  # (subject, body) the account manager wrote in the composer


@dataclass(frozen=True, slots=True)
class SendOptions:
    """What a change's caller knows about its messages beyond the timeline entry itself."""

    # The composer's edited drafts: (customer id, kind, audience, language) → (subject, body).
    texts: Mapping[DraftKey, tuple[str, str]] = field(default_factory=dict)
    send_at: datetime | None = None  # the composer's scheduled time (None: now)
    automatic: bool = False  # written by the system (the tick), not a person
    facts: Mapping[int, Mapping[str, Any]] | None = None  # customer id → template facts only the caller has


SEND_NOW = SendOptions()  # a person's change, sent at once with the templates' texts


def kinds_for_update(update: IncidentUpdate) -> list[str]:
    """Message kinds an entry may produce, most specific first; [] for entries that stay internal.

    Escalation and regulatory notices for the roles an entry's triggers reach come from
    the escalation matrix on top of these (``plan_for_update``).
    """
    if update.kind in (UpdateKind.OPENED, UpdateKind.CUSTOMER_ADDED):
        # "Customer added" is an internal timeline entry, but the added customer's people
        # still need their acknowledgment.
        return [MessageKind.ACKNOWLEDGMENT]
    if update.is_internal:
        # Notes, postponed due times, and ACKNOWLEDGED: releasing the acknowledgment sends the
        # messages the opening entry held back (acknowledgment_release), never new ones.
        return []
    if update.kind == UpdateKind.POST_INCIDENT:
        return [MessageKind.POST_INCIDENT]  # with the report link (comms.messages.context report_url)
    if update.kind == UpdateKind.HOLDING:
        return [MessageKind.HOLDING]  # the tick's automatic "still working on it"
    if update.kind == UpdateKind.RESOLVED:
        return [MessageKind.RESOLUTION]
    if not update.message:
        return []  # a silent status or component change is shown on the status page, not mailed
    if update.severity_changed and Severity.rank(update.severity) < Severity.rank(update.previous_severity):
        return [MessageKind.ESCALATION, MessageKind.UPDATE]
    return [MessageKind.UPDATE]


def plan_for_update(update: IncidentUpdate, *, customer: Customer | None = None,
                    facts: Mapping[int, Mapping[str, Any]] | None = None) -> list[PlannedMessage]:
    """What would be sent for this entry: one message (its facts) per kind × audience × language.

    Routing picks each stakeholder's kind from ``kinds_for_update``; the escalation matrix
    replaces it with an escalation (or regulatory) notice for the roles the entry's
    triggers reach, also roles that routing would not tell (comms.directory.escalation).
    ``facts`` (customer id → template facts) adds what others know, e.g. the report link
    that flows.incidents gives a post-incident summary.
    """
    kinds = kinds_for_update(update)
    if not kinds and not escalation.update_triggers(update):
        return []
    incident = update.incident
    links = incident.customer_links.select_related("customer")
    customers = [customer] if customer else [link.customer for link in links]
    plans: list[PlannedMessage] = []
    for each in customers:
        forced = escalation.role_kinds_for_update(update, each)
        if kinds or forced:
            plans += plan_messages(incident=incident, customer=each, update=update, kinds=kinds, forced=forced,
                                   facts=(facts or {}).get(each.pk))
    return plans


def plan_messages(
    *, incident: Incident, customer: Customer, kinds: list[str], forced: Mapping[str, str] | None = None,
    update: IncidentUpdate | None = None, message: Callable[[str], str] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> list[PlannedMessage]:
    """One message per kind × audience × language for ``customer``'s stakeholders, with its template facts.

    ``forced`` (role → kind) overrides routing for those roles. ``message`` (language → text)
    fills ``{{ message }}`` when no timeline entry speaks (the tick's escalations); ``facts``
    are added to every context (only names of comms.messages.context.ALLOWED_VARIABLES).
    """
    groups = _recipient_groups(customer, incident_id=incident.pk, kinds=kinds, severity=incident.severity,
                               forced=forced or {}, drill=incident.is_drill)
    plans: list[PlannedMessage] = []
    contexts: dict[str, dict] = {}  # the facts in each language, shared by that language's audiences
    for (kind, audience, language), ids in sorted(groups.items()):
        if language not in contexts:
            contexts[language] = message_context(incident=incident, customer=customer, update=update,
                                                 language=language) | dict(facts or {})
        context = dict(contexts[language])
        if message is not None:
            context["message"] = message(language)
        plans.append(PlannedMessage(customer, kind, audience, language, context, ids))
    return plans


def _recipient_groups(customer: Customer, *, incident_id: int, kinds: list[str], severity: str,
                      forced: Mapping[str, str], drill: bool = False) -> dict[GroupKey, list[int]]:
    """Active stakeholders routed for one of ``kinds`` (or forced), grouped by kind × audience × language.

    Routing depends on the role alone, so it is decided once per role; the database filters
    on role and on chosen components and, on PostgreSQL, groups the ids itself: a dozen
    rows come back for 10,000 stakeholders and no Python object is made per stakeholder.
    """
    table = routing_table(customer)
    # Once it is over, everyone who was told about it hears how it ended, whatever the severity is now
    # (comms.directory.lifecycle keeps it to the people who were introduced).
    after = {kind: Severity.LOW for kind in kinds if kind in AFTERWARDS}
    kind_of_role = {role: kind for role in Role.values
                    if (kind := forced.get(role) or kind_for_role(table, role=role, kinds=kinds, severity=severity)
                        or kind_for_role(_reachable(table, after), role=role, kinds=list(after), severity=severity))}
    if not kind_of_role:
        return {}
    recipients = customer.stakeholders.filter(_wants_incident(customer, incident_id), is_active=True,
                                              role__in=list(kind_of_role)).order_by()
    if drill:
        recipients = recipients.filter(drill_recipients())
    groups: dict[GroupKey, list[int]] = defaultdict(list)
    for role, audience, language, ids in _ids_by_role_audience_language(recipients):
        groups[(kind_of_role[role], audience, language)] += ids
    if not any(kind in DURING or kind in AFTERWARDS for kind, _audience, _language in groups):
        return {key: sorted(ids) for key, ids in groups.items()}
    return in_order(groups, introduced_ids(incident_id=incident_id, customer_id=customer.pk))


def _reachable(table: dict[str, dict[str, str]], kinds: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The table with ``kinds`` routed at any severity for the roles that have them at all."""
    return {role: {kind: threshold for kind, threshold in kinds.items() if kind in cells}
            for role, cells in table.items()}


def _wants_incident(customer: Customer, incident_id: int) -> Q:
    """A stakeholder who chose no components hears about everything; one who chose some, about those."""
    chosen = Stakeholder.components.through.objects.filter(stakeholder_id=OuterRef("pk"))
    affected = chosen.filter(component__customer=customer, component__affected_by__incident_id=incident_id)
    return ~Exists(chosen) | Exists(affected)


def _ids_by_role_audience_language(recipients: QuerySet) -> Iterable[tuple[str, str, str, list[int]]]:
    if connection.vendor == "postgresql":
        return recipients.values("role", "audience", "language").annotate(ids=ArrayAgg("id")).values_list(
            "role", "audience", "language", "ids")
    grouped: dict[tuple[str, str, str], list[int]] = defaultdict(list)  # SQLite (development, tests)
    for stakeholder_id, *key in recipients.values_list("id", "role", "audience", "language"):
        grouped[tuple(key)].append(stakeholder_id)
    return [(*key, ids) for key, ids in grouped.items()]


def component_interests(customer: Customer) -> dict[int, set[int]]:
    """Stakeholder id → the components they chose; absent means 'all components'."""
    through = Stakeholder.components.through.objects.filter(stakeholder__customer=customer)
    interests: dict[int, set[int]] = defaultdict(set)
    for stakeholder_id, component_id in through.values_list("stakeholder_id", "component_id"):
        interests[stakeholder_id].add(component_id)
    return interests


def communications_for_update(
    update: IncidentUpdate, *, customer: Customer | None = None, options: SendOptions = SEND_NOW,
    author=None,
) -> list[Communication]:
    """Write the Communications for an entry (inside the caller's transaction) and enqueue them on commit.

    ``options``: the composer's edited texts and scheduled time, whether the system wrote the
    entry (holding updates always are), and template facts only the caller knows (the summary's
    report link per customer).
    """
    plans = [replace(plan, edited=options.texts.get((plan.customer.pk, plan.kind, plan.audience, plan.language)))
             for plan in plan_for_update(update, customer=customer, facts=options.facts)]
    return communications_write(
        plans, incident=update.incident, update=update, author=author or update.author,
        automatic=options.automatic or update.kind == UpdateKind.HOLDING,
        send_at=lambda plan: held_until(update, plan.customer) or options.send_at,
    )


def communications_write(
    plans: Iterable[PlannedMessage], *, incident: Incident | None, update: IncidentUpdate | None, author=None,
    automatic: bool = False, send_at: Callable[[PlannedMessage], datetime | None] | None = None,
) -> list[Communication]:
    """Write one Communication per plan (in the caller's transaction); enqueue them all on commit.

    Each is written with its template facts and no texts (a composer's edited text is stored as
    finished text); the task enqueued on commit renders them outside this transaction
    (comms.outbox.texts) and expands the due ones. ``send_at(plan)`` may name a later time (a
    scheduled or held message); the sweeper expands it when that time comes. ``incident`` is
    None for maintenance messages.
    """
    now = timezone.now()
    communications = []
    for plan in plans:
        subject, body = plain_text(subject=plan.edited[0], body=plan.edited[1]) if plan.edited else ("", "")
        communications.append(Communication(
            incident=incident, update=update, customer=plan.customer, kind=plan.kind, audience=plan.audience,
            language=plan.language, subject=subject, body_text=body, template_context=plan.context,
            texts_edited=plan.edited is not None, author=author, is_automatic=automatic,
            recipient_ids=plan.recipient_ids, send_at=(send_at(plan) if send_at else None) or now,
        ))
    Communication.objects.bulk_create(communications)
    # All of them, due or not: the texts of a scheduled or held message are rendered now, and shown in the log.
    written = [c.pk for c in communications]
    if written:
        transaction.on_commit(lambda: _enqueue_expansion(written))
    return communications


def _enqueue_expansion(communication_ids: Iterable[int]) -> None:
    for communication_id in communication_ids:
        enqueue(expand_communication, communication_id)


# --- acknowledgment with approval (issue 4) --------------------------------------------
# A customer whose contract asks for approval gets the opening entry's messages held until
# the account manager approves (or the tick releases them at the acknowledgment target).
# They are written at once with send_at = the target, so even a tick that never comes
# cannot hold them longer: the sweeper expands them when that time is reached.


def held_until(update: IncidentUpdate, customer: Customer) -> datetime | None:
    """When the opening entry's messages for ``customer`` go out unless released earlier; None = not held."""
    incident = update.incident
    if update.kind != UpdateKind.OPENED or incident.acknowledged_at is not None or not customer.ack_requires_approval:
        return None
    return incident.detected_at + timedelta(minutes=customer.ack_target_minutes)


def acknowledgment_release(incident: Incident) -> list[int]:
    """Send the opening entry's held messages now (inside the ACKNOWLEDGED entry's transaction).

    Returns their ids. A message whose hold ran out already is enqueued again too: the
    claim in communication_expand makes that harmless, and the sweeper need not be waited for.
    """
    now = timezone.now()
    held = Communication.objects.filter(incident=incident, update__kind=UpdateKind.OPENED,
                                        state=CommunicationState.QUEUED)
    ids = list(held.values_list("id", flat=True))
    if ids:
        Communication.objects.filter(pk__in=ids, send_at__gt=now).update(send_at=now)
        transaction.on_commit(lambda: _enqueue_expansion(ids))
    return ids
