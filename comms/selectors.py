"""Reads for the communication log, the delivery alerts and the stakeholder pages.

Every read is scoped through ``incidents.selectors.customers_for_user``: a delivery or
stakeholder is visible when its customer is. What a user may not see answers 404, the
same way the incident pages do.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from comms.models import (
    Channel,
    Communication,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    EndpointHealth,
    Stakeholder,
)
from incidents.models import Component, Customer, CustomerIncident, Incident, IncidentUpdate
from incidents.selectors import customers_for_user

# Endpoint channels and the stakeholder field that holds each one's address.
ENDPOINT_FIELDS = {
    Channel.TEAMS: "teams_webhook_url",
    Channel.SLACK: "slack_webhook_url",
    Channel.WEBHOOK: "webhook_url",
}


# --- the communication log -------------------------------------------------------------


def deliveries_for_user(user: AbstractBaseUser) -> QuerySet[Delivery]:
    """The user's customers' deliveries, newest first, with what a log row shows."""
    number = CustomerIncident.objects.filter(
        incident=OuterRef("communication__incident"), customer=OuterRef("communication__customer")
    ).values("number")[:1]
    return (
        Delivery.objects.filter(communication__customer__in=customers_for_user(user))
        .select_related("communication__customer")
        .annotate(incident_number=Subquery(number))
        .order_by("-created_at", "-id")
    )


def deliveries_filtered(
    deliveries: QuerySet[Delivery],
    *,
    customer: Customer | None = None,
    incident: Incident | int | None = None,
    kind: str = "",
    audience: str = "",
    channel: str = "",
    state: str = "",
    number: str = "",
    since: datetime | None = None,
) -> QuerySet[Delivery]:
    """Narrow a log queryset; empty arguments do not filter."""
    lookups = {
        "communication__customer": customer,
        "communication__incident": incident,
        "communication__kind": kind,
        "communication__audience": audience,
        "channel": channel,
        "state": state,
        "incident_number__icontains": number.strip(),
        "created_at__gte": since,
    }
    return deliveries.filter(**{lookup: value for lookup, value in lookups.items() if value})


def deferred_for_incident(user: AbstractBaseUser, *, incident: Incident) -> dict[str, Any]:
    """How many of the incident's deliveries (to the user's customers) are deferred, and when they go out."""
    return Delivery.objects.filter(
        communication__customer__in=customers_for_user(user), communication__incident=incident,
        state=DeliveryState.DEFERRED,
    ).aggregate(count=Count("id"), first=Min("next_attempt_at"), last=Max("next_attempt_at"))


def delivery_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> Delivery:
    delivery = (
        deliveries_for_user(user)
        .select_related("communication__incident", "stakeholder")
        .prefetch_related(Prefetch("history", queryset=DeliveryAttempt.objects.order_by("number")))
        .filter(pk=pk)
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery")
    return delivery


# --- alerts shown on every console page -----------------------------------------------------


def newest_failed_delivery_id() -> int:
    """The last delivery that failed, anyone's (0: none): one step down the ``delivery_state_log`` index.
    A cached failure count keyed by it is recounted as soon as another delivery fails."""
    newest = (Delivery.objects.filter(state=DeliveryState.FAILED).order_by("-created_at", "-id")
              .values_list("id", flat=True).first())
    return newest or 0


def failed_delivery_count(user: AbstractBaseUser, *, since: datetime) -> int:
    return Delivery.objects.filter(
        communication__customer__in=customers_for_user(user), state=DeliveryState.FAILED, created_at__gte=since
    ).count()


def _endpoints_of(stakeholders: QuerySet[Stakeholder]) -> Q:
    """Match EndpointHealth rows whose (channel, address) is one of these stakeholders' URLs."""
    condition = Q(pk__in=[])
    for channel, field in ENDPOINT_FIELDS.items():
        addresses = stakeholders.exclude(**{field: ""}).values(field)
        condition |= Q(channel=channel, address__in=addresses)
    return condition


def any_endpoint_quarantined() -> bool:
    """Whether any endpoint is quarantined at all (as a rule none is): the cheap question first."""
    return EndpointHealth.objects.filter(quarantined_at__isnull=False).exists()


def quarantined_endpoints_for_user(user: AbstractBaseUser, *, limit: int = 20) -> list[EndpointHealth]:
    """Quarantined endpoints that one of the user's customers' active stakeholders uses."""
    stakeholders = Stakeholder.objects.filter(customer__in=customers_for_user(user), is_active=True)
    quarantined = EndpointHealth.objects.filter(quarantined_at__isnull=False).filter(_endpoints_of(stakeholders))
    return list(quarantined.order_by("-quarantined_at", "id")[:limit])


def user_may_release_endpoint(user: AbstractBaseUser, *, channel: str, address: str) -> bool:
    """True when one of the user's customers has a stakeholder (active or not) with this endpoint."""
    field = ENDPOINT_FIELDS.get(channel)
    if field is None or not address:
        return False
    return Stakeholder.objects.filter(customer__in=customers_for_user(user), **{field: address}).exists()


def update_recipient_count(update: IncidentUpdate) -> int:
    """The stakeholders the update's messages were written for (each counted once, whatever the
    channels or audiences): the outbox writes them in the update's own transaction."""
    recipients: set[int] = set()
    for ids in Communication.objects.filter(update=update).values_list("recipient_ids", flat=True):
        recipients.update(ids)
    return len(recipients)


# --- stakeholders -----------------------------------------------------------------------------


def stakeholder_customers_for_user(user: AbstractBaseUser) -> QuerySet[Customer]:
    """The user's customers by name, each with its number of active stakeholders (one query)."""
    active = Count("stakeholders", filter=Q(stakeholders__is_active=True))
    return customers_for_user(user).annotate(active_stakeholders=active).order_by("name")


def stakeholder_addresses_for_user(user: AbstractBaseUser) -> set[str]:
    """The e-mail addresses (lower case) of the user's customers' stakeholders, active or not."""
    addresses = Stakeholder.objects.filter(customer__in=customers_for_user(user)).exclude(email="")
    return {address.lower() for address in addresses.values_list("email", flat=True)}


def stakeholders_for_customer(customer: Customer) -> QuerySet[Stakeholder]:
    """Active stakeholders first, then by name; components prefetched."""
    components = Prefetch("components", queryset=Component.objects.order_by("group", "position", "name"))
    return customer.stakeholders.prefetch_related(components).order_by("-is_active", "name", "id")


def stakeholder_for_customer_or_404(customer: Customer, *, pk: int) -> Stakeholder:
    stakeholder = customer.stakeholders.filter(pk=pk).first()
    if stakeholder is None:
        raise Http404("No such stakeholder")
    return stakeholder
