"""An incident as one affected customer saw it: the rows the report and the metrics read.

A shared incident (an upstream outage) has one number, language, time zone, contract and
set of components per customer, so everything here is scoped by (incident, customer):
only the customer's components, only the messages the customer's people received, and
for a customer added later, only the timeline from its joining on. Queries are a fixed
number per report, however long the timeline or the delivery log.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch
from django.utils import timezone

from comms.models import Communication, Delivery, MessageKind
from core.formatting import Clock
from followup.models import Compensation, RemediationAction
from followup.selectors import compensation_of, open_actions
from incidents.models import (
    ComponentChange,
    Customer,
    CustomerIncident,
    Incident,
    IncidentUpdate,
    RegulatoryClock,
    UpdateKind,
)
from playbook import selectors as playbook_selectors
from playbook.models import Phase
from reports import metrics
from reports.metrics import Change, Point

# A customer added later joins in the transaction that writes its "customer added" entry;
# the entry's time is taken a moment before the link row's, so the window opens a little earlier.
JOIN_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class Scope:
    incident: Incident
    customer: Customer
    number: str
    added_at: datetime
    first: bool  # the customer the incident was opened for
    now: datetime

    @property
    def since(self) -> datetime | None:
        return None if self.first else self.added_at - JOIN_SLACK

    @property
    def end(self) -> datetime:
        return self.incident.resolved_at or self.now


def scope_for(incident: Incident, customer: Customer, *, now: datetime | None = None) -> Scope:
    """Raises ``CustomerIncident.DoesNotExist`` when the incident does not affect the customer."""
    links = list(CustomerIncident.objects.filter(incident=incident).order_by("added_at", "id"))
    link = next((each for each in links if each.customer_id == customer.pk), None)
    if link is None:
        raise CustomerIncident.DoesNotExist(f"incident {incident.pk} does not affect customer {customer.pk}")
    return Scope(incident=incident, customer=customer, number=link.number, added_at=link.added_at,
                 first=link.pk == links[0].pk, now=now or timezone.now())


def timeline_updates(scope: Scope) -> list[IncidentUpdate]:
    """Timeline entries in the customer's window, oldest first, with the customer's component changes."""
    changes = ComponentChange.objects.filter(component__customer=scope.customer).select_related("component")
    updates = scope.incident.updates.order_by("created_at", "id").prefetch_related(
        Prefetch("component_changes", queryset=changes.order_by("component__position", "component__name"),
                 to_attr="customer_changes")
    )
    if scope.since is not None:
        updates = updates.filter(created_at__gte=scope.since)
    return list(updates)


def points(scope: Scope, updates: list[IncidentUpdate]) -> list[Point]:
    """The metrics' view of the timeline; a later customer's joining entry is its acknowledgment."""
    return [
        Point(at=update.created_at, status=update.status, severity=update.severity,
              public=update.is_public or (index == 0 and not scope.first
                                          and update.kind == UpdateKind.CUSTOMER_ADDED))
        for index, update in enumerate(updates)
    ]


def component_changes(scope: Scope) -> list[Change]:
    rows = (ComponentChange.objects.filter(update__incident=scope.incident, component__customer=scope.customer)
            .order_by("update__created_at", "id").values_list("update__created_at", "component__name", "status"))
    return [Change(at=at, component=name, status=status) for at, name, status in rows]


def acknowledgment_window(scope: Scope) -> tuple[datetime, datetime | None]:
    """(from, acknowledged): detection and the release for the first customer; joining and its message else."""
    if scope.first:
        return scope.incident.detected_at, scope.incident.acknowledged_at
    sent = (Communication.objects.filter(incident=scope.incident, customer=scope.customer,
                                         kind=MessageKind.ACKNOWLEDGMENT)
            .order_by("send_at").values_list("send_at", flat=True).first())
    return scope.added_at, sent


def regulatory_clocks(scope: Scope) -> list[RegulatoryClock]:
    return list(RegulatoryClock.objects.filter(incident=scope.incident).order_by("deadline_at"))


@dataclass(frozen=True)
class CommunicationRow:
    at: datetime
    kind: str
    audience: str
    language: str
    subject: str
    state: str
    automatic: bool
    update_id: int | None
    recipients: int
    channels: dict[str, int] = field(default_factory=dict)  # channel -> deliveries
    outcomes: dict[str, int] = field(default_factory=dict)  # delivery state -> deliveries


def communication_rows(scope: Scope) -> list[CommunicationRow]:
    """Every message this customer's people were sent about the incident, oldest first (three queries)."""
    messages = (Communication.objects.filter(incident=scope.incident, customer=scope.customer)
                .order_by("send_at", "id")
                .values_list("id", "send_at", "kind", "audience", "language", "subject", "state", "is_automatic",
                             "update_id"))
    deliveries = Delivery.objects.filter(communication__incident=scope.incident,
                                         communication__customer=scope.customer).order_by()
    channels: dict[int, dict[str, int]] = defaultdict(dict)
    outcomes: dict[int, dict[str, int]] = defaultdict(dict)
    for message_id, channel, state, count in (deliveries.values("communication_id", "channel", "state")
                                              .annotate(n=Count("id")).values_list("communication_id", "channel",
                                                                                   "state", "n")):
        channels[message_id][channel] = channels[message_id].get(channel, 0) + count
        outcomes[message_id][state] = outcomes[message_id].get(state, 0) + count
    people = dict(deliveries.values("communication_id").annotate(n=Count("stakeholder_id", distinct=True))
                  .values_list("communication_id", "n"))
    return [
        CommunicationRow(at=at, kind=kind, audience=audience, language=language, subject=subject, state=state,
                         automatic=automatic, update_id=update_id, recipients=people.get(pk, 0),
                         channels=channels.get(pk, {}), outcomes=outcomes.get(pk, {}))
        for pk, at, kind, audience, language, subject, state, automatic, update_id in messages
    ]


@dataclass(frozen=True)
class Metrics:
    acknowledgment: metrics.Acknowledgment
    cadence: metrics.Cadence
    resolution: metrics.Resolution
    downtime: list[metrics.Downtime]
    total_downtime: timedelta
    notifications: list[metrics.Notification]
    credit_rate: Decimal | None
    credit: Decimal | None


def compute_metrics(scope: Scope, *, timeline: list[Point], changes: list[Change],
                    clocks: list[RegulatoryClock], credit_rate: Decimal | None) -> Metrics:
    customer, incident = scope.customer, scope.incident
    detected, acknowledged = acknowledgment_window(scope)
    downtime = metrics.component_downtime(changes, end=scope.end)
    total = metrics.total_downtime(downtime)
    return Metrics(
        acknowledgment=metrics.acknowledgment(detected_at=detected, acknowledged_at=acknowledged,
                                              target=timedelta(minutes=customer.ack_target_minutes)),
        cadence=metrics.update_intervals(
            timeline, lambda severity, status: timedelta(minutes=customer.cadence_minutes(severity, status)),
            now=scope.now),
        resolution=metrics.resolution(started_at=incident.started_at, detected_at=incident.detected_at,
                                      resolved_at=incident.resolved_at, points=timeline, now=scope.now),
        downtime=downtime,
        total_downtime=total,
        notifications=[metrics.notification(regime=clock.regime, started_at=clock.started_at,
                                            deadline_at=clock.deadline_at, filed_at=clock.filed_at, now=scope.now)
                       for clock in clocks],
        credit_rate=credit_rate,
        credit=metrics.sla_credit(total, credit_rate),
    )


@dataclass(frozen=True)
class FollowUp:
    """The follow-up the customer is owed: this incident's credit decision, and every open action of theirs."""

    compensation: Compensation | None
    actions: list[RemediationAction]


def follow_up(scope: Scope) -> FollowUp:
    return FollowUp(compensation=compensation_of(scope.incident, scope.customer),
                    actions=list(open_actions([scope.customer.pk])))


# --- the response playbook (roles and the completed checklist) -------------------------------


def playbook_rows(scope: Scope, clock: Clock) -> dict[str, list[dict[str, str]]]:
    """The filled roles and the checklist items done, as the report shows them (in the customer's language)."""
    language = scope.customer.language
    roles = [{"role": slot.label, "person": slot.person_name} for slot in playbook_selectors.role_slots(scope.incident)
             if slot.person_name]
    done = [{"phase": str(Phase(item.phase).label), "item": item.text(language), "at": clock.date_time(item.done_at)}
            for item in playbook_selectors.completed_items(scope.incident)]
    return {"roles": roles, "done": done}
