"""Follow-up changes that others must hear of, or that need the report's measurements.

- ``record_escalation``: the customer escalated → the fact (followup.services), then a
  management summary to that customer's executives and management, in each reader's
  language, in the same transaction (the transactional outbox). Lifecycle rule
  (comms.directory.lifecycle): a summary goes only to people who were told of the incident;
  an executive who was not hears it as an escalation notice that introduces it.
- ``propose_compensation``: the measured downtime (the report's own measure:
  reports.facts + reports.metrics, outage per affected component, merged) → the contract's
  credit (followup.services.credit_proposal).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from comms.models import Communication, MessageKind, Role
from comms.outbox import planning as outbox
from followup import services
from followup.models import Compensation, CustomerEscalation
from incidents.models import Customer, CustomerIncident, Incident
from reports import facts, metrics

SUMMARY_ROLES = (Role.EXECUTIVES, Role.MANAGEMENT)


@transaction.atomic
def record_escalation(*, incident: Incident, customer: Customer, raised_by: str, channel: str, demand: str,
                      owner=None, author=None) -> tuple[CustomerEscalation, list[Communication]]:
    escalation = services.escalation_record(incident=incident, customer=customer, raised_by=raised_by,
                                            channel=channel, demand=demand, owner=owner, author=author)
    return escalation, management_summary_send(incident=incident, customer=customer, author=author)


def management_summary_send(*, incident: Incident, customer: Customer, author=None) -> list[Communication]:
    """MANAGEMENT_SUMMARY to the customer's executives and management (inside the caller's transaction)."""
    summaries = outbox.plan_messages(incident=incident, customer=customer, kinds=[],
                                     forced=dict.fromkeys(SUMMARY_ROLES, MessageKind.MANAGEMENT_SUMMARY),
                                     message=_escalated_note)
    told = {stakeholder for plan in summaries for stakeholder in plan.recipient_ids}
    introductions = []
    for plan in outbox.plan_messages(incident=incident, customer=customer, kinds=[],
                                     forced=dict.fromkeys(SUMMARY_ROLES, MessageKind.ESCALATION),
                                     message=_escalated_note):
        plan.recipient_ids = [pk for pk in plan.recipient_ids if pk not in told]
        if plan.recipient_ids:
            introductions.append(plan)
    return outbox.communications_write([*summaries, *introductions], incident=incident, update=None, author=author)


def _escalated_note(language: str) -> str:
    with translation.override(language):
        return _("Your organisation has escalated this incident to us. Our management follows it personally "
                 "until it is resolved.")


def measured_downtime(incident: Incident, customer: Customer) -> timedelta:
    """Wall-clock time at least one of the customer's components was in outage (as the report counts it)."""
    scope = facts.scope_for(incident, customer)
    return metrics.total_downtime(metrics.component_downtime(facts.component_changes(scope), end=scope.end))


@transaction.atomic
def propose_compensation(*, incident: Incident, customer: Customer, author=None) -> Compensation:
    try:
        downtime = measured_downtime(incident, customer)
    except CustomerIncident.DoesNotExist:
        raise ValidationError({"customer": [_("This customer is not affected by the incident.")]}) from None
    return services.compensation_propose(incident=incident, customer=customer, downtime=downtime, author=author)
