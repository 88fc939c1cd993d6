"""Who receives which kind of message at which severity: seed 004's stakeholder map.

DEFAULT_ROUTING gives, per role and message kind, the least severe incident level at which
the role is told. A customer's RoutingRule rows override single cells (an empty
``min_severity`` switches the cell off). Kinds not listed for a role are not sent to it.
"""

from comms.models import MessageKind as K
from comms.models import Role, RoutingRule
from incidents.models import Customer, Severity

ALWAYS = Severity.LOW
HIGH_UP = Severity.HIGH
MEDIUM_UP = Severity.MEDIUM
CRITICAL_ONLY = Severity.CRITICAL

_INCIDENT_FLOW = {K.ACKNOWLEDGMENT: ALWAYS, K.UPDATE: ALWAYS, K.HOLDING: ALWAYS, K.RESOLUTION: ALWAYS}
_MAINTENANCE = {K.MAINTENANCE_ANNOUNCEMENT: ALWAYS, K.MAINTENANCE_REMINDER: ALWAYS,
                K.MAINTENANCE_STARTED: ALWAYS, K.MAINTENANCE_COMPLETED: ALWAYS}

DEFAULT_ROUTING: dict[str, dict[str, str]] = {
    # "What's happening, when restoration" — immediately.
    Role.AFFECTED_USERS: _INCIDENT_FLOW | _MAINTENANCE,
    # The customer's IT hears everything, in technical words.
    Role.CUSTOMER_IT: _INCIDENT_FLOW | _MAINTENANCE | {K.ESCALATION: ALWAYS, K.POST_INCIDENT: ALWAYS},
    # "Business impact, response status" — rapid, from medium severity up.
    Role.MANAGEMENT: {K.ACKNOWLEDGMENT: MEDIUM_UP, K.UPDATE: MEDIUM_UP, K.HOLDING: MEDIUM_UP,
                      K.RESOLUTION: MEDIUM_UP, K.ESCALATION: ALWAYS, K.MANAGEMENT_SUMMARY: ALWAYS,
                      K.POST_INCIDENT: MEDIUM_UP, K.MAINTENANCE_ANNOUNCEMENT: ALWAYS},
    # "Material impact, risk, decisions needed" — when relevant. Told at the start of anything whose
    # end they will hear of (comms.directory.lifecycle): a High incident reaches them from its acknowledgment on.
    Role.EXECUTIVES: {K.ACKNOWLEDGMENT: HIGH_UP, K.UPDATE: CRITICAL_ONLY, K.RESOLUTION: HIGH_UP,
                      K.ESCALATION: HIGH_UP, K.MANAGEMENT_SUMMARY: HIGH_UP, K.POST_INCIDENT: HIGH_UP},
    # "Per contract": the formal loop of acknowledgment, resolution and report.
    Role.CONTRACT_CONTACT: {K.ACKNOWLEDGMENT: ALWAYS, K.RESOLUTION: ALWAYS, K.POST_INCIDENT: ALWAYS,
                            K.MAINTENANCE_ANNOUNCEMENT: ALWAYS},
    # "Per requirement": only the regulatory notification.
    Role.REGULATOR: {K.REGULATORY: ALWAYS},
    # "If needed": never automatic; the escalation engine prompts for external communication.
    Role.MEDIA: {},
    Role.INTERNAL_MSP: dict.fromkeys(K.values, ALWAYS),
}


# Kinds that follow an acknowledgment: a role receiving one at a severity is acknowledged at it too.
_FOLLOW_ACKNOWLEDGMENT = (K.UPDATE, K.HOLDING, K.RESOLUTION, K.POST_INCIDENT)


def routing_table(customer: Customer) -> dict[str, dict[str, str]]:
    """The customer's effective table: defaults with its overrides applied, acknowledgments widened."""
    table = {role: dict(kinds) for role, kinds in DEFAULT_ROUTING.items()}
    for rule in RoutingRule.objects.filter(customer=customer):
        if rule.min_severity:
            table[rule.role][rule.kind] = rule.min_severity
        else:
            table[rule.role].pop(rule.kind, None)
    return {role: _acknowledged_first(kinds) for role, kinds in table.items()}


def _acknowledged_first(kinds: dict[str, str]) -> dict[str, str]:
    """The role's cells with the acknowledgment reaching every severity a later kind reaches
    (comms.directory.lifecycle)."""
    later = [kinds[kind] for kind in _FOLLOW_ACKNOWLEDGMENT if kind in kinds]
    if not later:
        return kinds
    widest = max([*later, kinds.get(K.ACKNOWLEDGMENT, Severity.CRITICAL)], key=Severity.rank)
    return kinds | {K.ACKNOWLEDGMENT: widest}


def routed(table: dict[str, dict[str, str]], *, role: str, kind: str, severity: str) -> bool:
    threshold = table.get(role, {}).get(kind)
    return threshold is not None and Severity.rank(severity) <= Severity.rank(threshold)


def kind_for_role(table: dict[str, dict[str, str]], *, role: str, kinds: list[str], severity: str) -> str | None:
    """The first of ``kinds`` (most specific first) that reaches the role, or None.

    One timeline entry gives each stakeholder one message: a severity increase reaches
    executives as an escalation notice and everyone else as an ordinary update.
    """
    return next((kind for kind in kinds if routed(table, role=role, kind=kind, severity=severity)), None)
