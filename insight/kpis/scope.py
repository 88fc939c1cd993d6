"""What a KPI counts: the incidents of some customers, category and severity, started in [start, end).

Every KPI is attributed to the incident's start (in the reader's time zone for the months),
except maintenance (its window's start) and SLA credits (the decision, as billing counts
them). Drill incidents never count.
"""

from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.db.models import Case, F, IntegerField, QuerySet, When
from django.db.models.functions import Greatest, TruncMonth

from incidents.models import CustomerIncident, Incident, Severity, Status

Month = tuple[int, int]  # (year, month) in the reader's time zone


@dataclass(frozen=True)
class Scope:
    """The filters: the customers the reader may see (narrowed to one if chosen), category, severity."""

    customer_ids: tuple[int, ...]
    tz: tzinfo
    now: datetime
    category: str = ""
    severity: str = ""


def incidents(scope: Scope, start: datetime, end: datetime) -> QuerySet[Incident]:
    """The incidents the KPIs count: one row each, even when shared by several customers in scope."""
    linked = CustomerIncident.objects.filter(customer_id__in=scope.customer_ids).values("incident_id")
    queryset = Incident.objects.filter(is_drill=False, started_at__gte=start, started_at__lt=end, pk__in=linked)
    if scope.category:
        queryset = queryset.filter(category=scope.category)
    if scope.severity:
        queryset = queryset.filter(severity=scope.severity)
    return queryset.order_by()


def month_of(field: str, scope: Scope) -> TruncMonth:
    return TruncMonth(field, tzinfo=scope.tz)


def month_key(value: object) -> Month:
    """(year, month) of a TruncMonth value: a datetime or date through the ORM, text from SQLite in raw SQL."""
    if isinstance(value, str):
        return int(value[:4]), int(value[5:7])
    return value.year, value.month  # type: ignore[attr-defined]


def links(scope: Scope, start: datetime, end: datetime) -> QuerySet[CustomerIncident]:
    """The (incident, customer) pairs in scope: the incident as each customer saw it, under that customer's
    contract, as the post-incident report measures it (``reports.facts``)."""
    queryset = CustomerIncident.objects.filter(customer_id__in=scope.customer_ids, incident__is_drill=False,
                                               incident__started_at__gte=start, incident__started_at__lt=end)
    if scope.category:
        queryset = queryset.filter(incident__category=scope.category)
    if scope.severity:
        queryset = queryset.filter(incident__severity=scope.severity)
    return queryset.order_by()


def cadence_minutes(severity: str, status: str, customer: str = "customer") -> Case:
    """Minutes between public updates under ``customer``'s contract for the row's (``severity``, ``status``)
    fields: ``Customer.cadence_minutes`` as one SQL expression (a join, no subquery per row)."""
    per_severity = Case(*[When(**{severity: value}, then=F(f"{customer}__cadence_{value}_minutes"))
                          for value in Severity.values], output_field=IntegerField())
    return Case(When(**{status: Status.MONITORING},
                     then=Greatest(per_severity, F(f"{customer}__cadence_monitoring_minutes"))),
                default=per_severity, output_field=IntegerField())
