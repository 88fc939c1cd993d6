"""Reads for the console, scoped by the per-customer rule (incidents.selectors): an integration,
its alerts and its requests belong to the integration's customer."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from incidents.models import OPEN_STATUSES, Incident
from incidents.selectors import customers_for_user, incidents_for_user
from intake.models import Alert, AlertState, IntakeRequest, Integration

RECENT_REQUESTS = 50


def integrations_for_user(user: AbstractBaseUser) -> QuerySet[Integration]:
    return (Integration.objects.filter(customer__in=customers_for_user(user)).select_related("customer")
            .annotate(firing=Count("alerts", filter=Q(alerts__firing=True, alerts__state=AlertState.OPEN)),
                      waiting=Count("alerts", filter=Q(alerts__state=AlertState.INBOX))))


def integration_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> Integration:
    return get_object_or_404(Integration.objects.select_related("customer").filter(
        customer__in=customers_for_user(user)), pk=pk)


def recent_requests(integration: Integration) -> QuerySet[IntakeRequest]:
    return integration.requests.all()[:RECENT_REQUESTS]


@dataclass(frozen=True)
class InboxGroup:
    """The alerts of one group waiting for a person, and what may be done with them."""

    lead: Alert
    alerts: list[Alert]
    publishes_at: datetime  # the acknowledgment target: the tick publishes it then
    open_incidents: list[Incident]  # where it may be added


def inbox_for_user(user: AbstractBaseUser) -> list[InboxGroup]:
    alerts = (Alert.objects.filter(state=AlertState.INBOX, integration__customer__in=customers_for_user(user))
              .select_related("integration__customer").order_by("first_seen_at", "pk"))
    groups: dict[tuple[int, str], list[Alert]] = {}
    for alert in alerts:
        groups.setdefault((alert.integration_id, alert.group_key), []).append(alert)
    # A real alert never joins a drill (flows.drills): its public messages would stay internal.
    open_incidents = list(incidents_for_user(user).filter(status__in=OPEN_STATUSES, is_drill=False).prefetch_related(
        "customer_links").order_by("-detected_at")[:200])
    result = []
    for members in groups.values():
        lead = members[0]
        customer = lead.integration.customer
        result.append(InboxGroup(
            lead=lead, alerts=members,
            publishes_at=lead.first_seen_at + timedelta(minutes=customer.ack_target_minutes),
            open_incidents=[i for i in open_incidents
                            if any(link.customer_id == customer.pk for link in i.customer_links.all())]))
    return result


def inbox_alert_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> Alert:
    return get_object_or_404(Alert.objects.select_related("integration__customer").filter(
        integration__customer__in=customers_for_user(user)), pk=pk)


def recent_alerts_for_user(user: AbstractBaseUser, *, limit: int = 30) -> QuerySet[Alert]:
    return (Alert.objects.filter(integration__customer__in=customers_for_user(user))
            .select_related("integration__customer", "incident").order_by("-last_seen_at", "-pk")[:limit])


def alerts_of_incident(incident: Incident) -> list[Alert]:
    return list(incident.alerts.select_related("integration").order_by("-firing", "first_seen_at", "pk"))
