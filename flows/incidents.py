"""What happens when an incident's facts change, step by step, in one place.

Every change takes the same path, visible here rather than behind signals:

1. the facts: ``incidents.services`` / ``incidents.cadence`` validate and write the incident
   and its timeline entry;
2. the messages: ``comms.outbox.planning`` writes the Communications the entry calls for, in the
   same transaction, so they commit with the facts or not at all (the transactional outbox;
   sending is enqueued after commit);
3. the public face: ``statuspage.publishing`` re-publishes the affected customers' pages
   after commit.

The console, the API and the tick call these functions; they never call the facts services
for a change that others must hear of. Each function takes the facts service's keyword
arguments and returns what it returns.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from comms.outbox.planning import acknowledgment_release, communications_for_update
from incidents import cadence, services
from incidents.models import Customer, CustomerIncident, Incident, IncidentUpdate, UpdateKind
from reports.links import summary_facts
from statuspage.publishing import publish_after_commit


@transaction.atomic
def open_incident(*, publish_options: Mapping[str, Any] | None = None, **facts: Any) -> Incident:
    incident = services.incident_open(**facts)
    _tell(incident.updates.get(kind=UpdateKind.OPENED), options=publish_options)
    return incident


@transaction.atomic
def post_update(*, publish_options: Mapping[str, Any] | None = None, **facts: Any) -> IncidentUpdate:
    update = services.incident_post_update(**facts)
    _tell(update, options=publish_options)
    return update


@transaction.atomic
def reopen(**facts: Any) -> IncidentUpdate:
    update = services.incident_reopen(**facts)
    _tell(update)
    return update


@transaction.atomic
def add_customer(**facts: Any) -> CustomerIncident:
    """The added customer's people get their acknowledgment; only its page changes."""
    link = services.incident_add_customer(**facts)
    update = link.incident.updates.filter(kind=UpdateKind.CUSTOMER_ADDED).latest("created_at", "id")
    _tell(update, customer=link.customer)
    return link


@transaction.atomic
def post_holding(**facts: Any) -> IncidentUpdate | None:
    """The tick's "still working on it"; None when there was nothing to hold after all."""
    update = cadence.incident_post_holding(**facts)
    if update is not None:
        _tell(update, options={"automatic": True})
    return update


@transaction.atomic
def release_acknowledgment(**facts: Any) -> IncidentUpdate | None:
    """Approval given (or the target reached): the opening entry's held messages go out now."""
    update = cadence.incident_release_acknowledgment(**facts)
    if update is not None:
        acknowledgment_release(update.incident)
        publish_after_commit(_customer_ids(update.incident))
    return update


@transaction.atomic
def send_post_incident_summary(**facts: Any) -> IncidentUpdate:
    """The summary carries each customer's report: its signed link, or the PDF attached (reports.links)."""
    update = cadence.incident_send_post_incident_summary(**facts)
    reports = {link.customer_id: summary_facts(update.incident, link.customer)
               for link in update.incident.customer_links.select_related("customer")}
    _tell(update, options={"facts": reports})
    return update


@transaction.atomic
def extend_due(**facts: Any) -> IncidentUpdate:
    """Postponing the next update sends nothing, but the public page shows the new time."""
    update = cadence.incident_extend_due(**facts)
    publish_after_commit(_customer_ids(update.incident))
    return update


def _tell(update: IncidentUpdate, *, customer: Customer | None = None,
          options: Mapping[str, Any] | None = None) -> None:
    """Steps 2 and 3 for one timeline entry (inside the caller's transaction)."""
    communications_for_update(update, customer=customer, options=options)
    publish_after_commit([customer.pk] if customer else _customer_ids(update.incident))


def _customer_ids(incident: Incident) -> list[int]:
    return list(incident.customer_links.values_list("customer_id", flat=True))
