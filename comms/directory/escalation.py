"""Escalation: which stakeholder roles hear about a trigger, and what they are sent.

Seed 004's triggers each reach a set of roles: ``DEFAULT_ESCALATION``, overridden per
customer (a whole trigger at a time) by ``EscalationRule`` rows. There are two callers:

- the outbox, for triggers a timeline entry carries (severity raised, business impact,
  external impact, personal data): ``role_kinds_for_update`` names the roles that get an
  ESCALATION (or REGULATORY) message from that entry *instead of* what routing would give
  them, so nobody receives two messages about one entry;
- the tick, for triggers that are about time (open too long, ETA passed, update overdue):
  cadence.escalation_jobs finds them, and ``comms.outbox.escalation.escalation_send``
  writes ESCALATION Communications to the trigger's roles.

The matrix decides *who* is told even where the routing table would not send them
updates: that is the point of an escalation.
"""



from comms.models import EscalationRule, MessageKind, Role
from comms.models import EscalationTrigger as T
from incidents.models import (
    Customer,
    IncidentUpdate,
    Severity,
    UpdateKind,
)

DEFAULT_ESCALATION: dict[str, list[str]] = {
    # "Severity raised → additional stakeholder roles (e.g. executives)".
    T.SEVERITY_RAISED: [Role.MANAGEMENT, Role.EXECUTIVES],
    # "Time threshold passed → management"; the MSP's own people follow it too.
    T.TIME_THRESHOLD: [Role.MANAGEMENT, Role.INTERNAL_MSP],
    # "Business impact found → the affected business units".
    T.BUSINESS_IMPACT: [Role.MANAGEMENT, Role.EXECUTIVES],
    # "External impact → external comms": the console prompts for the external message itself.
    T.EXTERNAL_IMPACT: [Role.MANAGEMENT, Role.EXECUTIVES, Role.INTERNAL_MSP],
    # "Regulatory threshold (personal data) → compliance/legal".
    T.REGULATORY: [Role.REGULATOR, Role.MANAGEMENT],
    # A late update is the MSP's failure to fix, not the customer's: by default only the
    # MSP's own people hear it (the managers also get a staff e-mail, comms.messages.staff_notices).
    T.UPDATE_OVERDUE: [Role.INTERNAL_MSP],
}

# A fact named in IncidentUpdate.facts_changed, the incident field that must now be set, its trigger.
_FACT_TRIGGERS = (
    ("business_impact", T.BUSINESS_IMPACT),
    ("external_impact", T.EXTERNAL_IMPACT),
    ("personal_data_involved", T.REGULATORY),
)


def escalation_matrix(customer: Customer) -> dict[str, list[str]]:
    """The customer's effective matrix: the defaults with its EscalationRule rows applied."""
    matrix = {trigger: list(roles) for trigger, roles in DEFAULT_ESCALATION.items()}
    for trigger, roles in EscalationRule.objects.filter(customer=customer).values_list("trigger", "roles"):
        matrix[trigger] = [role for role in roles or [] if role in Role.values]
    return matrix


def update_triggers(update: IncidentUpdate) -> list[str]:
    """The triggers a timeline entry carries, whether it is public or an internal note.

    An internal note may record business impact, external impact or personal data; the
    escalation goes out all the same, rendered from the facts (never the note's text).
    The opening entry only carries personal data (its clock starts there); a resolution
    only carries personal data too: escalating an incident that is over helps nobody.
    """
    incident = update.incident
    if update.kind in (UpdateKind.OPENED, UpdateKind.RESOLVED):
        flagged = update.kind == UpdateKind.OPENED or "personal_data_involved" in (update.facts_changed or [])
        return [T.REGULATORY] if flagged and incident.personal_data_involved else []
    triggers = []
    if update.severity_changed and Severity.rank(update.severity) < Severity.rank(update.previous_severity):
        triggers.append(T.SEVERITY_RAISED)
    changed = set(update.facts_changed or [])
    triggers += [trigger for fact, trigger in _FACT_TRIGGERS if fact in changed and getattr(incident, fact)]
    return triggers


def role_kinds_for_update(update: IncidentUpdate, customer: Customer) -> dict[str, str]:
    """Role → the kind it must receive for this entry (ESCALATION, or REGULATORY for personal data).

    REGULATORY wins when a role is in both: the formal notification carries the facts an
    escalation would, and one entry gives each stakeholder one message.
    """
    triggers = update_triggers(update)
    if not triggers:
        return {}
    matrix = escalation_matrix(customer)
    kinds: dict[str, str] = {}
    for trigger in triggers:
        kind = MessageKind.REGULATORY if trigger == T.REGULATORY else MessageKind.ESCALATION
        for role in matrix.get(trigger, []):
            if kinds.get(role) != MessageKind.REGULATORY:
                kinds[role] = kind
    return kinds
