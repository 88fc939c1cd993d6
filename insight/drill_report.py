"""The drill report: how the team did in a drill, each figure against the customer's contract.

A drill is measured exactly as a real incident is in its post-incident report (reports.facts and
reports.metrics, the same definitions): time to acknowledge from detection to the
acknowledgment going out, against the contract's acknowledgment target; cadence adherence,
every gap between public updates against the cadence in force. Roles filled and checklist
items done come from the playbook (playbook.selectors.response_summary); their target is all
of them, as the response plan asks. The drill's messages are counted too, with where they
went: the proof that nothing left the MSP.

Plain data, no wording: the console page says it in the reader's language.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from comms.models import Channel, Delivery, Role
from incidents.models import Customer, Drill, Incident
from playbook.selectors import ResponseSummary, response_summary
from reports import facts, metrics


@dataclass(frozen=True)
class Ratio:
    """``done`` of ``total`` against the target of all of them."""

    done: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.total, 1) if self.total else None

    @property
    def met(self) -> bool | None:
        return None if not self.total else self.done >= self.total


@dataclass(frozen=True)
class DrillReport:
    incident: Incident
    customer: Customer
    number: str
    scenario: str  # the scenario's slug (flows.drill_scenarios names it)
    started_at: datetime
    acknowledgment: metrics.Acknowledgment  # elapsed vs the contract's target
    cadence: metrics.Cadence  # gaps between public updates vs the cadence in force
    roles: Ratio
    checklist: Ratio
    deliveries: dict[str, int]  # channel → deliveries of the drill's messages (internal only)
    outside: int  # deliveries to anyone but an internal (MSP) stakeholder's e-mail: 0, or something is wrong
    measured_at: datetime

    @property
    def cadence_met(self) -> bool | None:
        return None if not self.cadence.counted else self.cadence.on_time == self.cadence.counted

    @property
    def ack_target(self) -> timedelta:
        return self.acknowledgment.target


def drill_report(incident: Incident, *, now: datetime | None = None) -> DrillReport:
    """The report of a drill (``incident.is_drill``), for the customer it was started for."""
    if not incident.is_drill:
        raise ValueError(f"incident {incident.pk} is not a drill")
    now = now or timezone.now()
    link = incident.customer_links.select_related("customer").order_by("added_at", "id").first()
    scope = facts.scope_for(incident, link.customer, now=now)
    timeline = facts.points(scope, facts.timeline_updates(scope))
    figures = facts.compute_metrics(scope, timeline=timeline, changes=[], clocks=[], credit_rate=None)
    summary: ResponseSummary = response_summary(incident)
    drill = Drill.objects.filter(incident=incident).first()
    deliveries = Delivery.objects.filter(communication__incident=incident)
    channels = deliveries.values("channel").annotate(count=Count("id")).values_list("channel", "count")
    outside = deliveries.exclude(stakeholder__role=Role.INTERNAL_MSP, stakeholder__self_subscribed=False,
                                 channel=Channel.EMAIL).count()
    return DrillReport(
        incident=incident, customer=link.customer, number=link.number,
        scenario=drill.scenario if drill else "", started_at=incident.started_at,
        acknowledgment=figures.acknowledgment, cadence=figures.cadence,
        roles=Ratio(summary.roles_filled, summary.roles_total),
        checklist=Ratio(summary.checklist_done, summary.checklist_total),
        deliveries=dict(channels), outside=outside, measured_at=now,
    )
