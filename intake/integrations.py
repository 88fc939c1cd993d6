"""Integrations as the MSP manages them: created per customer and source, their address, a
rotated secret (the old one keeps working for a day while the source is re-pointed)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from incidents.models import Customer
from intake.models import Integration, new_token

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
