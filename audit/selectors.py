"""Reading the audit trail: managers only (``incidents.selectors.user_is_manager``), newest first.

An event belongs to a customer when it names the customer, or names an incident that affects
the customer (an incident shared by several customers is in each one's trail).
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from audit.models import AuditEvent
from incidents.models import Customer, Incident
from incidents.selectors import user_is_manager


def user_may_read_audit(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.is_active and user_is_manager(user)


def events_for_user(user: AbstractBaseUser) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("customer", "incident")
    return events if user_may_read_audit(user) else events.none()


def events_filtered(events: QuerySet[AuditEvent], *, customer: Customer | None = None,
                    incident: Incident | None = None, action: str | None = None,
                    since: datetime | None = None, until: datetime | None = None) -> QuerySet[AuditEvent]:
    """``since`` inclusive, ``until`` exclusive."""
    if customer is not None:
        affected = Incident.objects.filter(customer_links__customer=customer).values("pk")
        events = events.filter(Q(customer=customer) | Q(incident__in=affected))
    if incident is not None:
        events = events.filter(incident=incident)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.order_by("-at", "-id")


def incident_by_number(number: str) -> Incident | None:
    """Any of an incident's numbers (one per affected customer)."""
    return Incident.objects.filter(customer_links__number=number.strip()).first() if number.strip() else None
