"""Integrations as the MSP manages them: created per customer and source, their address, a
rotated secret (the old one keeps working for a day while the source is re-pointed)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from incidents.models import Customer
from intake.models import Integration, MappingRule, new_token

ROTATION_GRACE = timedelta(days=1)


def webhook_url(integration: Integration) -> str:
    """The full address a source posts to, secret included."""
    return settings.SITE_URL + reverse("intake:receive", args=[integration.token])


@transaction.atomic
def integration_get_or_create(*, customer: Customer, kind: str, policy: str | None = None,
                              actor: AbstractBaseUser | None = None) -> Integration:
    """The customer's (first) integration of ``kind``, created with the default mapping if it has none;
    ``policy`` (publish/draft), when given, is set on it."""
    integration = Integration.objects.filter(customer=customer, kind=kind).order_by("pk").first()
    if integration is None:
        integration = Integration.objects.create(customer=customer, kind=kind, policy=policy or "publish")
        audit.record(action=audit.Action.INTEGRATION_CREATED, actor=actor, target=integration, customer=customer,
                     after={"kind": kind, "policy": integration.policy}, only_changes=False)
    elif policy and integration.policy != policy:
        audit.record(action=audit.Action.INTEGRATION_CHANGED, actor=actor, target=integration, customer=customer,
                     before={"policy": integration.policy}, after={"policy": policy})
        integration.policy = policy
        integration.save(update_fields=["policy"])
    return integration


@transaction.atomic
def token_rotate(integration: Integration, *, actor: AbstractBaseUser | None = None) -> Integration:
    integration.previous_token = integration.token
    integration.previous_token_until = timezone.now() + ROTATION_GRACE
    integration.token = new_token()
    integration.save(update_fields=["token", "previous_token", "previous_token_until"])
    audit.record(action=audit.Action.INTEGRATION_ROTATED, actor=actor, target=integration,
                 customer=integration.customer)
    return integration


@transaction.atomic
def integration_create(*, customer: Customer, kind: str, name: str = "", policy: str = "publish",
                       actor: AbstractBaseUser | None = None) -> Integration:
    integration = Integration.objects.create(customer=customer, kind=kind, name=name, policy=policy)
    audit.record(action=audit.Action.INTEGRATION_CREATED, actor=actor, target=integration, customer=customer,
                 after=settings_of(integration), only_changes=False)
    return integration


SETTINGS = ("name", "policy", "resolution", "quiet_minutes", "flap_seconds", "default_severity", "category",
            "enabled", "mapping", "signing_secret")


def settings_of(integration: Integration) -> dict:
    """The integration's settings as the audit trail records them (audit.changes redacts the secret)."""
    return {field: getattr(integration, field) for field in SETTINGS}


@transaction.atomic
def integration_change(integration: Integration, *, actor: AbstractBaseUser | None = None, **changes) -> Integration:
    before = settings_of(integration)
    for field, value in changes.items():
        if field not in SETTINGS:
            raise ValueError(f"not a setting: {field}")
        setattr(integration, field, value)
    integration.full_clean()
    integration.save()
    audit.record(action=audit.Action.INTEGRATION_CHANGED, actor=actor, target=integration,
                 customer=integration.customer, before=before, after=settings_of(integration))
    return integration


@transaction.atomic
def rule_add(integration: Integration, *, customers: list[Customer], actor: AbstractBaseUser | None = None,
             **fields) -> MappingRule:
    position = (integration.rules.aggregate(last=Max("position"))["last"] or 0) + 1
    rule = MappingRule.objects.create(integration=integration, position=position, **fields)
    rule.customers.set(customers)
    audit.record(action=audit.Action.INTEGRATION_CHANGED, actor=actor, target=integration,
                 customer=integration.customer, before={"rules": None},
                 after={"rules": _rule_facts(rule)}, detail=f"rule {rule} added")
    return rule


@transaction.atomic
def rule_delete(rule: MappingRule, *, actor: AbstractBaseUser | None = None) -> None:
    integration = rule.integration
    facts = _rule_facts(rule)
    rule.delete()
    audit.record(action=audit.Action.INTEGRATION_CHANGED, actor=actor, target=integration,
                 customer=integration.customer, before={"rules": facts}, after={"rules": None},
                 detail="rule deleted")


def _rule_facts(rule: MappingRule) -> dict:
    return {"match": rule.match, "customers": sorted(c.slug for c in rule.customers.all()),
            "components": rule.components, "severity": rule.severity, "category": rule.category,
            "policy": rule.policy, "flap_seconds": rule.flap_seconds}
