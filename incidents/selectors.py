"""Reads of the incident facts, scoped by who is asking.

Permission rule, in one place: managers (the ``view_all_customers`` permission or
superuser) see every customer; account managers see the customers assigned to them.
An incident is visible when at least one of its customers is. Console views and the API
both go through these functions, so they answer 404 the same way for what a user may
not see.

A shared incident (one outage, several customers) is seen in parts: staff see and change
only their customers' parts of it, that is those customers' numbers, names, components and
component changes (``incident_customers_for_user``). The incidents these functions return
carry only those parts in ``customer_links``, ``affected`` and each timeline entry's
``component_changes``; the incident's own facts (title, status, texts) are shared.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from incidents.models import (
    OPEN_STATUSES,
    AffectedComponent,
    Component,
    ComponentChange,
    Customer,
    CustomerIncident,
    Incident,
    IncidentUpdate,
    Language,
    Maintenance,
    MaintenanceStatus,
    RegulatoryClock,
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


def customer_for_user_or_404(user: AbstractBaseUser, *, slug: str) -> Customer:
    customer = customer_for_user(user, slug=slug)
    if customer is None:
        raise Http404("No such customer")
    return customer


def incidents_for_user(user: AbstractBaseUser) -> QuerySet[Incident]:
    if user_is_manager(user):
        return Incident.objects.all()
    visible = CustomerIncident.objects.filter(customer__in=customers_for_user(user)).values("incident_id")
    return Incident.objects.filter(pk__in=visible)


def incident_customers_for_user(user: AbstractBaseUser, incident: Incident) -> QuerySet[Customer]:
    """The incident's customers whose parts the user may see and change: all of them for a manager,
    else the ones the user manages. The console and the API pass these to the services as
    ``customers``, so neither path can change another customer's components."""
    return customers_for_user(user).filter(incident_links__incident=incident).order_by("incident_links__added_at",
                                                                                      "incident_links__id")


def incident_customers(incident: Incident) -> QuerySet[Customer]:
    """Every customer the incident affects, in the order they were added. Not for showing to
    staff (``incident_customers_for_user``): for what the incident owes all of them, such as
    a text in every language their people read."""
    return Customer.objects.filter(incident_links__incident=incident).order_by("incident_links__added_at",
                                                                            "incident_links__id")


def _parts_for_user(user: AbstractBaseUser, queryset: QuerySet, customer_path: str) -> QuerySet:
    """``queryset`` narrowed to the user's customers (``customer_path`` leads to the customer)."""
    if user_is_manager(user):
        return queryset
    return queryset.filter(**{f"{customer_path}__in": customers_for_user(user)})


def with_console_details(incidents: QuerySet[Incident], *, user: AbstractBaseUser) -> QuerySet[Incident]:
    """Prefetch what the dashboard and incident page show, in a fixed number of queries.

    ``customer_links`` and ``affected`` hold only the user's customers' parts (numbers, names,
    components); ``customers`` holds every affected customer, for what the incident owes all of
    them (the tightest cadence, every reader's language), never to be shown by name.
    """
    affected = _parts_for_user(user, AffectedComponent.objects.select_related("component__customer"),
                               "component__customer")
    return with_list_details(incidents, user=user).prefetch_related(Prefetch("affected", queryset=affected))


def with_list_details(incidents: QuerySet[Incident], *, user: AbstractBaseUser) -> QuerySet[Incident]:
    """What a list of incidents shows (the dashboard): ``customer_links`` and ``customers`` as in
    ``with_console_details``, without the components (8 per customer, three models each, were
    half of the dashboard's database reading)."""
    links = _parts_for_user(user, CustomerIncident.objects.select_related("customer"), "customer")
    return incidents.prefetch_related(Prefetch("customer_links", queryset=links), "customers")


DUE_SOON = timedelta(minutes=15)


def open_incidents_by_urgency(user: AbstractBaseUser, *, now: datetime) -> QuerySet[Incident]:
    """Open incidents, most urgent first: an update overdue, then one due soon, then by severity, then
    the earliest due; the dashboard pages through them."""
    urgency = Case(When(next_update_due_at__lt=now, then=Value(0)),
                   When(next_update_due_at__lt=now + DUE_SOON, then=Value(1)),
                   default=Value(2), output_field=IntegerField())
    incidents = with_list_details(incidents_for_user(user).filter(status__in=OPEN_STATUSES), user=user)
    return incidents.alias(urgency=urgency, severity_rank=_SEVERITY_RANK).order_by(
        "urgency", "severity_rank", F("next_update_due_at").asc(nulls_last=True), "started_at", "pk")


def open_incident_counts(user: AbstractBaseUser, *, now: datetime) -> dict[str, int]:
    """How many open incidents the user has, overdue, due soon, unacknowledged and per severity: one query."""
    counts = {"open": Count("pk"), "overdue": Count("pk", filter=Q(next_update_due_at__lt=now)),
              "due_soon": Count("pk", filter=Q(next_update_due_at__gte=now, next_update_due_at__lt=now + DUE_SOON)),
              "unacknowledged": Count("pk", filter=Q(acknowledged_at__isnull=True)),
              **{severity: Count("pk", filter=Q(severity=severity)) for severity in Severity.values}}
    return incidents_for_user(user).filter(status__in=OPEN_STATUSES).aggregate(**counts)


def dashboard_fingerprint(user: AbstractBaseUser) -> tuple:
    """What changes when the dashboard would: the user's incidents' last change and count, the newest
    maintenance window, the running clocks (three small queries)."""
    incidents = incidents_for_user(user).aggregate(changed=Max("updated_at"), count=Count("pk"))
    windows = maintenances_for_user(user).aggregate(created=Max("created_at"), count=Count("pk"))
    clocks = running_clocks_for_user(user).count()
    return (incidents["changed"], incidents["count"], windows["created"], windows["count"], clocks)


def unacknowledged_for_user(user: AbstractBaseUser, *, limit: int) -> QuerySet[Incident]:
    """Open incidents still waiting for their acknowledgment, longest waiting first."""
    incidents = incidents_for_user(user).filter(status__in=OPEN_STATUSES, acknowledged_at__isnull=True)
    return with_list_details(incidents, user=user).order_by("detected_at", "pk")[:limit]


def recently_resolved_for_user(user: AbstractBaseUser, *, limit: int = 10) -> QuerySet[Incident]:
    resolved = with_list_details(incidents_for_user(user).filter(status=Status.RESOLVED), user=user)
    return resolved.order_by("-resolved_at")[:limit]


def incident_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> Incident:
    incident = with_console_details(incidents_for_user(user), user=user).filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident")
    return incident


def incident_by_number_for_user(user: AbstractBaseUser, *, number: str) -> Incident | None:
    link = CustomerIncident.objects.filter(number=number, customer__in=customers_for_user(user)).first()
    if link is None:
        return None
    return with_console_details(Incident.objects.filter(pk=link.incident_id), user=user).get()


def timeline(incident: Incident, *, user: AbstractBaseUser) -> QuerySet[IncidentUpdate]:
    """Every timeline entry, newest first, internal notes included (staff only); each entry's
    ``component_changes`` are those of the user's customers' components."""
    changes = _parts_for_user(user, ComponentChange.objects.select_related("component__customer"),
                              "component__customer")
    return incident.updates.select_related("author").prefetch_related(
        Prefetch("component_changes", queryset=changes))


def components_for_customer(customer: Customer) -> QuerySet[Component]:
    return customer.components.order_by(*COMPONENT_ORDER)


def components_for_customers(customers: list[Customer]) -> dict[int, list[Component]]:
    """``components_for_customer`` of each customer, in one query."""
    found: dict[int, list[Component]] = {customer.pk: [] for customer in customers}
    for component in Component.objects.filter(customer__in=customers).order_by("customer_id", *COMPONENT_ORDER):
        found[component.customer_id].append(component)
    return found


COMPONENT_ORDER = ("group", "position", "name")  # on the page: ungrouped ("") first


# --- cadence, regulatory clocks and maintenance (dashboard and their own pages) ----------

MAINTENANCE_HORIZON = timedelta(days=14)
MAINTENANCE_RECENT = timedelta(days=30)


def incident_clocks(incident: Incident) -> QuerySet[RegulatoryClock]:
    """All of an incident's clocks, running and filed, soonest deadline first."""
    return incident.regulatory_clocks.select_related("filed_by").order_by("deadline_at", "pk")


def running_clocks_for_user(user: AbstractBaseUser) -> QuerySet[RegulatoryClock]:
    """Unfiled clocks of the user's incidents, soonest deadline first, in one query.

    Each carries ``number`` and ``time_zone``: the incident number and zone of the first of
    its customers the user may see.
    """
    links = CustomerIncident.objects.filter(incident=OuterRef("incident")).order_by("added_at", "id")
    if not user_is_manager(user):
        links = links.filter(customer__in=customers_for_user(user))
    return (
        RegulatoryClock.objects.filter(incident__in=incidents_for_user(user), filed_at__isnull=True)
        .select_related("incident")
        .annotate(number=Subquery(links.values("number")[:1]),
                  time_zone=Subquery(links.values("customer__time_zone")[:1]))
        .order_by("deadline_at", "pk")
    )


def clock_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> RegulatoryClock:
    clock = RegulatoryClock.objects.filter(pk=pk, incident__in=incidents_for_user(user)).first()
    if clock is None:
        raise Http404("No such regulatory clock")
    return clock


def maintenances_for_user(user: AbstractBaseUser) -> QuerySet[Maintenance]:
    if user_is_manager(user):
        return Maintenance.objects.all()
    return Maintenance.objects.filter(customer__in=customers_for_user(user))


def upcoming_maintenance_for_user(user: AbstractBaseUser, *, now: datetime) -> QuerySet[Maintenance]:
    """In progress, or scheduled to start within 14 days (or late to start), in one query."""
    upcoming = Q(status=MaintenanceStatus.SCHEDULED, starts_at__lte=now + MAINTENANCE_HORIZON)
    return (maintenances_for_user(user).filter(upcoming | Q(status=MaintenanceStatus.IN_PROGRESS))
            .select_related("customer").order_by("starts_at", "pk"))


def maintenance_overview_for_user(user: AbstractBaseUser, *, now: datetime) -> QuerySet[Maintenance]:
    """Scheduled and in progress, plus windows that ended in the last 30 days."""
    current = Q(status__in=[MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS])
    return (maintenances_for_user(user).filter(current | Q(ends_at__gte=now - MAINTENANCE_RECENT))
            .select_related("customer").prefetch_related("components").order_by("starts_at", "pk"))


def maintenance_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> Maintenance:
    maintenance = (maintenances_for_user(user).filter(pk=pk).select_related("customer", "created_by")
                   .prefetch_related("components").first())
    if maintenance is None:
        raise Http404("No such maintenance window")
    return maintenance


# --- public reads: what a customer's status page may show -------------------------------


def public_updates_queryset() -> QuerySet[IncidentUpdate]:
    """Public timeline entries only: never internal notes, never empty entries; newest first."""
    return IncidentUpdate.objects.filter(is_internal=False).exclude(message="").order_by("-created_at", "-id")


def public_updates(incident: Incident) -> QuerySet[IncidentUpdate]:
    return public_updates_queryset().filter(incident=incident)


def public_incident_links(customers: list[Customer]) -> QuerySet[CustomerIncident]:
    """The customers' incidents (their own numbers), with facts and public updates prefetched; never a
    drill. ``customer_affected``: the incident's affected components of any of these customers."""
    return CustomerIncident.objects.filter(customer__in=customers, incident__is_drill=False).select_related(
        "incident").prefetch_related(
        Prefetch(
            "incident__updates",
            queryset=public_updates_queryset(),
            to_attr="public_updates",
        ),
        Prefetch(
            "incident__affected",
            queryset=AffectedComponent.objects.filter(component__customer__in=customers).select_related("component"),
            to_attr="customer_affected",
        ),
    )


def reader_languages(customers: Iterable[Customer]) -> list[str]:
    """The languages the customers' pages and people read: the forms ask for texts in exactly these.

    The first customer's language comes first (texts are written in it); then each other
    customer's language and the languages of their active contacts. Contacts are comms'
    ``Stakeholder`` rows, read through the reverse relation ``stakeholders`` so that this
    app imports nothing from the apps built on it.
    """
    customers = list(customers)
    languages = [customer.language for customer in customers]
    contacts = (Customer.objects.filter(pk__in=[customer.pk for customer in customers],
                                        stakeholders__is_active=True)
                .values_list("stakeholders__language", flat=True).distinct())
    known = set(Language.values)
    return list(dict.fromkeys([*languages, *sorted(language for language in contacts if language in known)]))
