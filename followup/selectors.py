"""Reads of the follow-up: credits to bill, actions still open or overdue, an incident's follow-up.

Per-customer scoping is the caller's (``incidents.selectors.customers_for_user``) or, where a
user is given, done here with it. Drill incidents never produce credits to bill.
"""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from followup.models import (
    GRANTED,
    ActionStatus,
    Compensation,
    CreditPolicy,
    CustomerEscalation,
    RemediationAction,
)
from incidents.models import Customer, Incident
from incidents.selectors import customers_for_user


def credits_granted(customer_ids: Iterable[int], start: datetime, end: datetime) -> QuerySet[Compensation]:
    """Approved or adjusted credits decided in [start, end), oldest decision first (what billing invoices)."""
    return (Compensation.objects.filter(customer_id__in=list(customer_ids), status__in=GRANTED,
                                        decided_at__gte=start, decided_at__lt=end, incident__is_drill=False)
            .select_related("customer", "incident", "decided_by").order_by("decided_at", "id"))


def open_actions(customer_ids: Iterable[int]) -> QuerySet[RemediationAction]:
    """Open actions of these customers, the earliest due first."""
    return (RemediationAction.objects.filter(customer_id__in=list(customer_ids), status=ActionStatus.OPEN)
            .select_related("customer", "incident", "owner").order_by("due_at", "id"))


def overdue_actions_for_user(user: AbstractBaseUser, now: datetime) -> QuerySet[RemediationAction]:
    """Open actions past due that the user may see: their customers' (managers: all) or their own."""
    visible = Q(customer__in=customers_for_user(user)) | Q(owner_id=user.pk)
    return (RemediationAction.objects.filter(visible, status=ActionStatus.OPEN, due_at__lt=now)
            .select_related("customer", "incident", "owner").order_by("due_at", "id"))


def actions_for_user(user: AbstractBaseUser, *, customer: Customer | None = None,
                     status: str = "") -> QuerySet[RemediationAction]:
    actions = RemediationAction.objects.filter(customer__in=customers_for_user(user))
    if customer is not None:
        actions = actions.filter(customer=customer)
    if status:
        actions = actions.filter(status=status)
    return actions.select_related("customer", "incident", "owner").order_by("status", "due_at", "id")


def action_for_user(user: AbstractBaseUser, pk: int) -> RemediationAction | None:
    return actions_for_user(user).filter(pk=pk).first()


def incident_escalations(incident: Incident, customers: QuerySet[Customer]) -> QuerySet[CustomerEscalation]:
    return (CustomerEscalation.objects.filter(incident=incident, customer__in=customers)
            .select_related("customer", "owner").order_by("-created_at", "-id"))


def incident_compensations(incident: Incident, customers: QuerySet[Customer]) -> QuerySet[Compensation]:
    return (Compensation.objects.filter(incident=incident, customer__in=customers)
            .select_related("customer", "decided_by").order_by("customer__name"))


def incident_actions(incident: Incident, customers: QuerySet[Customer]) -> QuerySet[RemediationAction]:
    return (RemediationAction.objects.filter(incident=incident, customer__in=customers)
            .select_related("customer", "owner").order_by("due_at", "id"))


def compensation_of(incident: Incident, customer: Customer) -> Compensation | None:
    return Compensation.objects.filter(incident=incident, customer=customer).select_related("decided_by").first()


def credit_policy(customer: Customer) -> CreditPolicy | None:
    return CreditPolicy.objects.filter(customer=customer).first()
