"""Reads of the incident facts, scoped by who is asking.

Permission rule, in one place: managers (the ``view_all_customers`` permission or
superuser) see every customer; account managers see the customers assigned to them.
An incident is visible when at least one of its customers is. Console views and the API
both go through these functions, so they answer 404 the same way for what a user may
not see.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404

from incidents.models import (
    OPEN_STATUSES,
    AffectedComponent,
    Component,
    Customer,
    CustomerIncident,
    Incident,
    IncidentUpdate,
    Severity,
    Status,
)

VIEW_ALL_PERMISSION = "incidents.view_all_customers"
_SEVERITY_RANK = Case(
    *[When(severity=value, then=Value(index)) for index, value in enumerate(Severity.values)],
    output_field=IntegerField(),
)


def user_is_manager(user: AbstractBaseUser) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION))


def user_is_msp_staff(user: AbstractBaseUser) -> bool:
    """MSP staff may use the console: managers and anyone with assigned customers."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user_is_manager(user) or user.managed_customers.exists()


def customers_for_user(user: AbstractBaseUser) -> QuerySet[Customer]:
    if user_is_manager(user):
        return Customer.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    return Customer.objects.filter(account_managers=user)


def customer_for_user(user: AbstractBaseUser, *, slug: str) -> Customer | None:
    return customers_for_user(user).filter(slug=slug).first()


def incidents_for_user(user: AbstractBaseUser) -> QuerySet[Incident]:
    if user_is_manager(user):
        return Incident.objects.all()
    visible = CustomerIncident.objects.filter(customer__in=customers_for_user(user)).values("incident_id")
    return Incident.objects.filter(pk__in=visible)


def with_console_details(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Prefetch what the dashboard and incident page show, in a fixed number of queries."""
    return incidents.prefetch_related(
        Prefetch("customer_links", queryset=CustomerIncident.objects.select_related("customer")),
        Prefetch("affected", queryset=AffectedComponent.objects.select_related("component__customer")),
    )


def open_incidents_for_user(user: AbstractBaseUser) -> QuerySet[Incident]:
    """Open incidents, most severe first, then oldest first."""
    incidents = with_console_details(incidents_for_user(user).filter(status__in=OPEN_STATUSES))
    return incidents.alias(severity_rank=_SEVERITY_RANK).order_by("severity_rank", "started_at")


def recently_resolved_for_user(user: AbstractBaseUser, *, limit: int = 10) -> QuerySet[Incident]:
    return with_console_details(incidents_for_user(user).filter(status=Status.RESOLVED)).order_by("-resolved_at")[
        :limit
    ]


def incident_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> Incident:
    incident = with_console_details(incidents_for_user(user)).filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident")
    return incident


def incident_by_number_for_user(user: AbstractBaseUser, *, number: str) -> Incident | None:
    link = CustomerIncident.objects.filter(number=number, customer__in=customers_for_user(user)).first()
    if link is None:
        return None
    return with_console_details(Incident.objects.filter(pk=link.incident_id)).get()


def timeline(incident: Incident) -> QuerySet[IncidentUpdate]:
    """Every timeline entry, newest first, internal notes included (console only)."""
    return incident.updates.select_related("author").prefetch_related("component_changes__component")


def components_for_customer(customer: Customer) -> QuerySet[Component]:
    return customer.components.order_by("group", "position", "name")


# --- public reads: what a customer's status page may show -------------------------------


def public_updates_queryset() -> QuerySet[IncidentUpdate]:
    """Public timeline entries only: never internal notes, never empty entries; newest first."""
    return IncidentUpdate.objects.filter(is_internal=False).exclude(message="").order_by("-created_at", "-id")


def public_updates(incident: Incident) -> QuerySet[IncidentUpdate]:
    return public_updates_queryset().filter(incident=incident)


def public_incident_links(customer: Customer) -> QuerySet[CustomerIncident]:
    """The customer's incidents (its own numbers), with facts and public updates prefetched."""
    return customer.incident_links.select_related("incident").prefetch_related(
        Prefetch(
            "incident__updates",
            queryset=public_updates_queryset(),
            to_attr="public_updates",
        ),
        Prefetch(
            "incident__affected",
            queryset=AffectedComponent.objects.filter(component__customer=customer).select_related("component"),
            to_attr="customer_affected",
        ),
    )
