"""Planned-maintenance messages: the announcement, reminders, and the start and completion notices.

The announcement, start and completion follow the facts: incidents.maintenance sends
``maintenance_changed`` inside the transaction that scheduled, started or completed a
window, and comms.receivers calls ``maintenance_notify`` there, so the messages commit
with the change or not at all. Reminders (a day and an hour before) follow no fact: the
cadence tick calls ``maintenance_remind``, and also starts and completes windows on time.

A maintenance message is a Communication without an incident: one per kind × audience ×
language, for the customer's stakeholders that routing sends the kind to and whose
component interests (if any) include one of the window's components. Times are in the
customer's zone, with the zone abbreviation that holds at the window's start (a window
announced in October for November is in CET, not CEST).
"""

from collections import defaultdict
from typing import Any

from django.utils import timezone, translation

from comms.directory.routing import routed, routing_table
from comms.messages.context import customer_context, empty_context
from comms.models import Communication, MessageKind
from comms.outbox import planning as outbox
from comms.outbox.planning import PlannedMessage
from core.formatting import Clock, label
from core.texts import localized
from incidents.models import ComponentStatus, Maintenance, Severity

# What each maintenance_changed event sends. A cancellation sends nothing: there is no
# message kind for it yet (the status page drops the window). Corrected texts ("edited")
# send nothing either: the status page shows them, and the reminders carry them.
EVENT_KINDS: dict[str, str] = {
    "scheduled": MessageKind.MAINTENANCE_ANNOUNCEMENT,
    "started": MessageKind.MAINTENANCE_STARTED,
    "completed": MessageKind.MAINTENANCE_COMPLETED,
}


def maintenance_notify(*, maintenance: Maintenance, event: str) -> list[Communication]:
    """The message a change of the window calls for (inside the change's transaction)."""
    kind = EVENT_KINDS.get(event)
    return maintenance_send(maintenance=maintenance, kind=kind) if kind else []


def maintenance_remind(*, maintenance: Maintenance) -> list[Communication]:
    """A reminder before the window (the tick decides when)."""
    return maintenance_send(maintenance=maintenance, kind=MessageKind.MAINTENANCE_REMINDER)


def maintenance_send(*, maintenance: Maintenance, kind: str) -> list[Communication]:
    """Write the messages of ``kind`` for the window; they are enqueued on commit."""
    # The announcement is the planner's own message; the rest the system sends on its own.
    announcement = kind == MessageKind.MAINTENANCE_ANNOUNCEMENT
    return outbox.communications_write(
        maintenance_plans(maintenance=maintenance, kind=kind), incident=None, update=None,
        author=maintenance.created_by if announcement else None, automatic=not announcement,
    )


def maintenance_plans(*, maintenance: Maintenance, kind: str) -> list[PlannedMessage]:
    """One message (its template facts) per audience × language among the stakeholders who should hear of it."""
    customer = maintenance.customer
    plans = []
    for (audience, language), ids in sorted(_recipient_groups(maintenance, kind).items()):
        context = maintenance_context(maintenance=maintenance, language=language)
        plans.append(PlannedMessage(customer, kind, audience, language, context, ids))
    return plans


def _recipient_groups(maintenance: Maintenance, kind: str) -> dict[tuple[str, str], list[int]]:
    """(audience, language) → stakeholder ids: routed for ``kind`` and interested in the components.

    Maintenance has no severity: a routing cell that is switched on at any level counts.
    """
    customer = maintenance.customer
    table = routing_table(customer)
    components = set(maintenance.components.values_list("id", flat=True))
    interests = outbox.component_interests(customer)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    rows = customer.stakeholders.filter(is_active=True).values_list("id", "role", "audience", "language")
    for stakeholder_id, role, audience, language in rows.iterator(chunk_size=2000):
        wanted = interests.get(stakeholder_id)
        if routed(table, role=role, kind=kind, severity=Severity.CRITICAL) and (not wanted or wanted & components):
            groups[(audience, language)].append(stakeholder_id)
    return groups


def maintenance_context(*, maintenance: Maintenance, language: str) -> dict[str, Any]:
    """The customer keys and the maintenance keys, in ``language`` and the customer's zone.

    The window's texts and its components' names are written in the customer's language;
    a reader of another language gets their version where there is one (core.texts).
    """
    customer = maintenance.customer
    clock = Clock(tz=customer.tzinfo, now=timezone.now(), language=language)

    def text(obj: object, field: str) -> str:
        return localized(obj, field, language, written_in=customer.language)

    with translation.override(language):
        names = [text(component, "name")
                 for component in maintenance.components.order_by("group", "position", "name")]
        under_maintenance = label(ComponentStatus, ComponentStatus.UNDER_MAINTENANCE)
        facts = {
            "maintenance_title": text(maintenance, "title"),
            "window_start": clock.date_time(maintenance.starts_at),
            "window_end": clock.date_time(maintenance.ends_at),
            "expected_impact": text(maintenance, "expected_impact"),
            "customer_action": text(maintenance, "customer_action"),
            "components": [{"name": name, "status": under_maintenance} for name in names],
            "components_text": ", ".join(names),
        }
        zone = customer_context(customer=customer, language=language, now=maintenance.starts_at)
        return empty_context() | zone | facts
