"""What happens when an incident's facts change, step by step, in one place.

Every change takes the same path, visible here rather than behind signals:

1. the facts: ``incidents.services`` / ``incidents.cadence`` validate and write the incident
   and its timeline entry;
2. the messages: ``comms.outbox.planning`` writes the Communications the entry calls for, in the
   same transaction, so they commit with the facts or not at all (the transactional outbox;
   sending is enqueued after commit);
3. the public face: ``statuspage.publishing`` re-publishes the affected customers' pages
   after commit;
4. the record: ``audit.services.record`` appends the change to the audit trail (who, from
   where, before → after), in the same transaction.

The console, the API and the tick call these functions; they never call the facts services
for a change that others must hear of. Each function takes the facts service's keyword
arguments and returns what it returns.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from audit import services as audit
from comms.outbox.planning import SEND_NOW, SendOptions, acknowledgment_release, communications_for_update
from incidents import cadence, services
from incidents.models import Customer, CustomerIncident, Incident, IncidentUpdate, UpdateKind
from playbook import activation, authority
from reports.links import summary_facts
from statuspage.publishing import publish_after_commit


@transaction.atomic
def open_incident(*, send: SendOptions = SEND_NOW, **facts: Any) -> Incident:
    incident = services.incident_open(**facts)
    activation.propose_lead(incident)  # the checklist, and a critical incident's lead from the standby rota
    update = incident.updates.get(kind=UpdateKind.OPENED)
    _tell(update, options=send)
    _record(audit.Action.INCIDENT_OPENED, update)
    return incident


@transaction.atomic
def post_update(*, send: SendOptions = SEND_NOW, **facts: Any) -> IncidentUpdate:
    before = _facts_now(facts["incident"])
    authority.check_update(**facts)  # once the response team formed, only its leads publish (playbook.authority)
    update = services.incident_post_update(**facts)
    _tell(update, options=send)
    _record(_UPDATE_ACTIONS[update.kind], update, before=before)
    return update


@transaction.atomic
def reopen(**facts: Any) -> IncidentUpdate:
    before = _facts_now(facts["incident"])
    update = services.incident_reopen(**facts)
    _tell(update)
    _record(audit.Action.INCIDENT_REOPENED, update, before=before)
    return update


@transaction.atomic
def add_customer(**facts: Any) -> CustomerIncident:
    """The added customer's people get their acknowledgment; only its page changes."""
    link = services.incident_add_customer(**facts)
    update = link.incident.updates.filter(kind=UpdateKind.CUSTOMER_ADDED).latest("created_at", "id")
    _tell(update, customer=link.customer)
    _record(audit.Action.INCIDENT_CUSTOMER_ADDED, update, customer=link.customer,
            before={"customers": sorted(_customer_names(link.incident, without=link.customer))},
            after={"customers": sorted(_customer_names(link.incident))})
    return link


@transaction.atomic
def post_holding(**facts: Any) -> IncidentUpdate | None:
    """The tick's "still working on it"; None when there was nothing to hold after all."""
    update = cadence.incident_post_holding(**facts)
    if update is not None:
        _tell(update, options=SendOptions(automatic=True))
        _record(audit.Action.INCIDENT_HOLDING, update)
    return update


@transaction.atomic
def release_acknowledgment(**facts: Any) -> IncidentUpdate | None:
    """Approval given (or the target reached): the opening entry's held messages go out now."""
    update = cadence.incident_release_acknowledgment(**facts)
    if update is not None:
        acknowledgment_release(update.incident)
        publish_after_commit(_customer_ids(update.incident))
        _record(audit.Action.INCIDENT_ACKNOWLEDGED, update, before={"acknowledged_at": None})
    return update


@transaction.atomic
def send_post_incident_summary(**facts: Any) -> IncidentUpdate:
    """The summary carries each customer's report: its signed link, or the PDF attached (reports.links)."""
    update = cadence.incident_send_post_incident_summary(**facts)
    reports = {link.customer_id: summary_facts(update.incident, link.customer)
               for link in update.incident.customer_links.select_related("customer")}
    _tell(update, options=SendOptions(facts=reports))
    _record(audit.Action.INCIDENT_SUMMARY, update)
    return update


@transaction.atomic
def extend_due(**facts: Any) -> IncidentUpdate:
    """Postponing the next update sends nothing, but the public page shows the new time."""
    before = _facts_now(facts["incident"], ("next_update_due_at",))
    update = cadence.incident_extend_due(**facts)
    publish_after_commit(_customer_ids(update.incident))
    _record(audit.Action.INCIDENT_POSTPONED, update, before=before)
    return update


def _tell(update: IncidentUpdate, *, customer: Customer | None = None,
          options: SendOptions = SEND_NOW) -> None:
    """Steps 2 and 3 for one timeline entry (inside the caller's transaction)."""
    communications_for_update(update, customer=customer, options=options)
    publish_after_commit([customer.pk] if customer else _customer_ids(update.incident))


def _customer_ids(incident: Incident) -> list[int]:
    return list(incident.customer_links.values_list("customer_id", flat=True))


# --- the audit trail ------------------------------------------------------------------------

# The incident's facts an audit event compares (texts as written; their other versions are in the timeline).
AUDITED_FACTS = ("title", "status", "severity", "category", "eta", "workaround", "business_impact", "root_cause",
                 "resolution_summary", "external_impact", "personal_data_involved")
_UPDATE_ACTIONS = {UpdateKind.UPDATE: audit.Action.INCIDENT_UPDATED, UpdateKind.NOTE: audit.Action.INCIDENT_NOTE,
                   UpdateKind.RESOLVED: audit.Action.INCIDENT_RESOLVED}
_DETAIL_LENGTH = 500


def _facts_now(incident: Incident, fields: tuple[str, ...] = AUDITED_FACTS) -> dict[str, Any]:
    """The facts as stored, read under the lock the facts service takes next (same transaction)."""
    return audit.snapshot(Incident.objects.select_for_update().get(pk=incident.pk), fields)


def _record(action: str, update: IncidentUpdate, *, before: Mapping[str, Any] | None = None,
            after: Mapping[str, Any] | None = None, customer: Customer | None = None) -> None:
    """One audit event for one timeline entry: who (its author; none for the tick), the incident
    (for its first customer, or ``customer``), before → after of what changed, components included,
    and the entry's text. Without ``after``, the fields ``before`` names are read from the incident
    as it is now; an opening records every fact as it starts."""
    incident = update.incident
    opened = action == audit.Action.INCIDENT_OPENED
    if opened:
        before, after = {}, audit.snapshot(incident, AUDITED_FACTS)
    elif after is None:
        after = audit.snapshot(incident, tuple(before or ()))
    before, after = dict(before or {}), dict(after)
    changes = [(change.component.name, change.previous_status or None, change.status)
               for change in update.component_changes.select_related("component")]
    if changes:
        if not opened:
            before["components"] = {name: previous for name, previous, _status in changes}
        after["components"] = {name: status for name, _previous, status in changes}
    link = incident.customer_links.select_related("customer").first()
    audit.record(action=action, actor=update.author, customer=customer or (link.customer if link else None),
                 incident=incident, target=incident, object_repr=f"{link.number if link else ''} {incident.title}",
                 before=before, after=after, only_changes=not opened, detail=update.message[:_DETAIL_LENGTH])


def _customer_names(incident: Incident, *, without: Customer | None = None) -> list[str]:
    links = incident.customer_links.select_related("customer")
    return [link.customer.name for link in links if without is None or link.customer_id != without.pk]
