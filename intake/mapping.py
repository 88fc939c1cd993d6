"""Where an alert goes: which customers, which of their components, what severity, category and
policy, from the integration's rules (first match wins) and the contract's defaults."""

from dataclasses import dataclass

from incidents.models import Component, Customer
from intake.models import Integration, MappingRule
from intake.signals import AlertSignal

ANY = "*"


@dataclass(frozen=True)
class Target:
    customers: list[Customer]
    component_ids: list[int]
    severity: str
    category: str
    policy: str
    flap_seconds: int


def rule_matches(rule: MappingRule, labels: dict[str, str]) -> bool:
    """Every label of the rule matches: the same value (case-insensitive), any of a list, or "*" for present."""
    for key, wanted in rule.match.items():
        value = labels.get(key)
        if value is None:
            return False
        options = wanted if isinstance(wanted, list) else [wanted]
        if ANY not in options and value.lower() not in {str(option).lower() for option in options}:
            return False
    return True


def target_for(integration: Integration, signal: AlertSignal, rules: list[MappingRule] | None = None) -> Target:
    """The first matching rule's choices, each falling back to the alert's and the integration's own."""
    rules = list(integration.rules.prefetch_related("customers")) if rules is None else rules
    rule = next((rule for rule in rules if rule_matches(rule, signal.labels)), None)
    customers = (list(rule.customers.all()) if rule else []) or [integration.customer]
    names = list(rule.components) if rule and rule.components else list(signal.components)
    return Target(
        customers=customers,
        component_ids=components_named(customers, names),
        severity=(rule.severity if rule and rule.severity else None) or signal.severity or integration.default_severity,
        category=(rule.category if rule and rule.category else None) or integration.category,
        policy=(rule.policy if rule and rule.policy else None) or integration.policy,
        flap_seconds=rule.flap_seconds if rule and rule.flap_seconds is not None else integration.flap_seconds,
    )


def components_named(customers: list[Customer], names: list[str]) -> list[int]:
    """The customers' components with these names (case-insensitive; in any of their languages' names)."""
    wanted = {name.strip().lower() for name in names if name.strip()}
    if not wanted:
        return []
    found = []
    for component in Component.objects.filter(customer__in=customers).order_by("customer_id", "position", "pk"):
        names_of = {component.name.lower(), *(str(texts.get("name", "")).lower()
                                              for texts in (component.translations or {}).values())}
        if names_of & wanted:
            found.append(component.pk)
    return found
