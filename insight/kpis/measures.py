"""The KPI queries: each one aggregate query for the period, or one query grouped by month.

Each returns ``{key: {name: value}}`` where the key is None for the whole period or the
(year, month) of the reader's time zone for a trend. Nothing loops over incidents in Python.
"""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, Sum, Value, When, Window
from django.db.models.expressions import RowRange
from django.db.models.functions import Coalesce, Greatest

from comms.models import Delivery, DeliveryState
from followup.selectors import credits_granted
from incidents.models import Maintenance, MaintenanceStatus, RegulatoryClock, Status
from insight.kpis.scope import Month, Scope, cadence_minutes, incidents, links, month_key, month_of
from insight.sql import Epoch, Percentile

Grouped = dict[Month | None, dict[str, Any]]
ANNOUNCE_AHEAD = timedelta(days=7)
SUMMARY_WITHIN = timedelta(hours=24)
TOLERANCE = 0.001  # seconds: epoch floats compare equal moments as equal
# The closed gaps of the timeline rows ``{inner}`` (cadence_measures): count, late, longest, per month.
CLOSED_GAPS_SQL = (
    "SELECT g.kpi_month, COUNT(*), "
    "SUM(CASE WHEN (CASE WHEN g.slack_before > g.slack THEN g.slack_before ELSE g.slack END) > g.gap_start + %s "
    "THEN 1 ELSE 0 END), "
    "MAX(g.at_s - g.gap_start) FROM ({inner}) g "
    "WHERE g.is_public = 1 AND g.gap_start IS NOT NULL "
    "AND (g.resolved_last IS NULL OR g.resolved_last < g.gap_start) "
    "GROUP BY g.kpi_month"
)


def grouped(queryset: QuerySet, month_field: str | None, scope: Scope, **aggregates: Any) -> Grouped:
    """One aggregate over the period (``month_field`` None) or one GROUP BY month query."""
    if month_field is None:
        return {None: queryset.aggregate(**aggregates)}
    rows = (queryset.annotate(kpi_month=month_of(month_field, scope)).values("kpi_month")
            .annotate(**aggregates).order_by("kpi_month"))
    return {month_key(row.pop("kpi_month")): row for row in rows}


def incident_measures(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """Count, time to acknowledge and to resolve, reopen rate, post-incident summaries within 24 h."""
    seconds_to_ack = Greatest(Epoch("acknowledged_at") - Epoch("detected_at"), Value(0.0))
    queryset = incidents(scope, start, end).annotate(
        ack_s=Case(When(acknowledged_at__isnull=False, then=seconds_to_ack)),
        ttr_s=Case(When(status=Status.RESOLVED, resolved_at__isnull=False,
                        then=Epoch("resolved_at") - Epoch("started_at"))),
    )
    summary_due = Q(status=Status.RESOLVED) & (Q(post_incident_sent_at__isnull=False)
                                                | Q(resolved_at__lte=scope.now - SUMMARY_WITHIN))
    return grouped(
        queryset, "started_at" if monthly else None, scope,
        incidents=Count("pk"),
        ack_median=Percentile("ack_s", 0.5), ack_p90=Percentile("ack_s", 0.9),
        acknowledged=Count("ack_s"),
        ttr_median=Percentile("ttr_s", 0.5), ttr_p90=Percentile("ttr_s", 0.9),
        resolved=Count("ttr_s"),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        summaries_due=Count("pk", filter=summary_due),
        summaries_within=Count("pk", filter=Q(status=Status.RESOLVED,
                                              post_incident_sent_at__lte=F("resolved_at") + SUMMARY_WITHIN)),
    )


def target_measures(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """Acknowledged within the target, per (incident, customer): each customer's own contract decides."""
    queryset = links(scope, start, end).annotate(
        ack_s=Greatest(Epoch("incident__acknowledged_at") - Epoch("incident__detected_at"), Value(0.0)))
    return grouped(
        queryset, "incident__started_at" if monthly else None, scope,
        ack_checked=Count("pk", filter=Q(incident__acknowledged_at__isnull=False)),
        ack_within=Count("pk", filter=Q(incident__acknowledged_at__isnull=False,
                                        ack_s__lte=F("customer__ack_target_minutes") * 60.0 + TOLERANCE)),
        ack_target_min=Min("customer__ack_target_minutes"), ack_target_max=Max("customer__ack_target_minutes"),
    )


def cadence_measures(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """Gaps between public updates and how many were on time, as ``reports.metrics.update_intervals``,
    per (incident, customer) under that customer's cadence.

    A gap runs from a public update of an open incident to the next public update (a resolution
    closes it; the time between a resolution and a reopening is none). It is late when some entry
    inside it came after the gap's start plus the cadence in force just before that entry (each
    entry records the severity and status before it: ``previous_severity``/``previous_status``).
    With ``slack = at - cadence before it``, the gap ending at an entry is late exactly when the
    running maximum of ``slack`` up to that entry exceeds the gap's start: windows over the
    timeline (all with one frame, the rows before: one pass), no nesting. A gap still running
    counts once it is late (``_ongoing``).
    """
    public = Q(incident__updates__is_internal=False) & ~Q(incident__updates__message="")
    at = Epoch("incident__updates__created_at")
    resolved = Q(incident__updates__status=Status.RESOLVED)
    frame = {"partition_by": [F("pk")],
             "order_by": [F("incident__updates__created_at").asc(), F("incident__updates__id").asc()]}
    before = RowRange(start=None, end=-1)
    in_force = cadence_minutes("incident__updates__previous_severity", "incident__updates__previous_status")
    rows = (links(scope, start, end)
            .annotate(kpi_month=month_of("incident__started_at", scope) if monthly else Value(0),
                      at_s=at,
                      is_public=Case(When(public, then=Value(1)), default=Value(0)),
                      gap_start=Window(Max(Case(When(public & ~resolved, then=at))), frame=before, **frame),
                      resolved_last=Window(Max(Case(When(resolved, then=at))), frame=before, **frame),
                      slack=at - in_force * 60.0,
                      slack_before=Window(Max(at - in_force * 60.0), frame=before, **frame))
            .values("kpi_month", "at_s", "is_public", "gap_start", "resolved_last", "slack", "slack_before"))
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # no customers in scope: nothing to count
        return {}
    outer = CLOSED_GAPS_SQL.replace("{inner}", inner)  # the ORM's own SQL; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(outer, (TOLERANCE, *params))
        closed = cursor.fetchall()
    result: Grouped = {}
    for month, gaps, late, longest in closed:
        result[month_key(month) if monthly else None] = {"gaps": gaps, "late": late or 0, "longest": longest}
    for key, ongoing in _ongoing(scope, start, end, monthly=monthly).items():
        row = result.setdefault(key, {"gaps": 0, "late": 0, "longest": None})
        if ongoing["late_gaps"]:
            row["gaps"] += ongoing["late_gaps"]
            row["late"] += ongoing["late_gaps"]
            row["longest"] = max(row["longest"] or 0.0, ongoing["longest"] or 0.0)
    for row in result.values():
        row["on_time"] = row["gaps"] - row["late"]
    return result


def _ongoing(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """Open incidents silent for longer than the cadence of their state now: a late gap still running."""
    queryset = (links(scope, start, end).exclude(incident__status=Status.RESOLVED)
                .filter(incident__last_public_update_at__isnull=False)
                .annotate(silence=Value(scope.now.timestamp()) - Epoch("incident__last_public_update_at"),
                          allowed=cadence_minutes("incident__severity", "incident__status") * 60.0)
                .filter(silence__gt=F("allowed") + TOLERANCE))
    return grouped(queryset, "incident__started_at" if monthly else None, scope,
                   late_gaps=Count("pk"), longest=Max("silence"))


def maintenance_measures(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """Maintenance windows starting in the period (not cancelled), and how many were announced ≥ 7 days ahead.

    Category and severity belong to incidents, so they do not narrow this one."""
    queryset = (Maintenance.objects.filter(customer_id__in=scope.customer_ids, starts_at__gte=start,
                                           starts_at__lt=end)
                .exclude(status=MaintenanceStatus.CANCELLED).order_by())
    return grouped(queryset, "starts_at" if monthly else None, scope,
                   maintenance=Count("pk"),
                   announced=Count("pk", filter=Q(created_at__lte=F("starts_at") - ANNOUNCE_AHEAD)))


def regulatory_measures(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """Notification deadlines that are decided (filed, or past due) and how many were met (filed in time)."""
    queryset = RegulatoryClock.objects.filter(incident__in=incidents(scope, start, end).values("pk")).order_by()
    return grouped(queryset, "incident__started_at" if monthly else None, scope,
                   deadlines=Count("pk", filter=Q(filed_at__isnull=False) | Q(deadline_at__lt=scope.now)),
                   deadlines_met=Count("pk", filter=Q(filed_at__lte=F("deadline_at"))))


def delivery_measures(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """Failed deliveries of the messages these customers' people were sent about the period's incidents."""
    queryset = Delivery.objects.filter(
        state=DeliveryState.FAILED, communication__customer_id__in=scope.customer_ids,
        communication__incident_id__in=incidents(scope, start, end).values("pk"),
    ).order_by()
    return grouped(queryset, "communication__incident__started_at" if monthly else None, scope,
                   deliveries_failed=Count("pk"))


def credit_measures(scope: Scope, start: datetime, end: datetime, *, monthly: bool) -> Grouped:
    """SLA credits granted (approved or adjusted), per currency, by the month they were decided."""
    queryset = credits_granted(scope.customer_ids, start, end).order_by()
    if scope.category:
        queryset = queryset.filter(incident__category=scope.category)
    if scope.severity:
        queryset = queryset.filter(incident__severity=scope.severity)
    amount = Coalesce("amount", "proposed_amount")
    if monthly:
        rows = (queryset.annotate(kpi_month=month_of("decided_at", scope)).values("kpi_month", "currency")
                .annotate(total=Sum(amount), count=Count("pk")).order_by("kpi_month", "currency"))
    else:
        rows = queryset.values("currency").annotate(total=Sum(amount), count=Count("pk")).order_by("currency")
    result: Grouped = {}
    for row in rows:
        key = month_key(row["kpi_month"]) if monthly else None
        entry = result.setdefault(key, {"credits": {}, "credits_count": 0})
        entry["credits"][row["currency"]] = row["total"]
        entry["credits_count"] += row["count"]
    return result


MEASURES = (incident_measures, target_measures, cadence_measures, maintenance_measures, regulatory_measures,
            delivery_measures, credit_measures)
