"""Writes for the monthly service report: request a render, render it (the task's body), mail it once.

Like the incident report (``reports.services``/``reports.runs``), a report is a row before
it is a file: ``report_request`` writes (or re-arms) the ``pending`` row in the caller's
transaction and enqueues the render on commit; the task claims it with a conditional
UPDATE (pending → rendering), so a duplicate or redelivered task does nothing. A render
asked to be sent (the tick's) is mailed by ``mail_once`` after it is stored: the UPDATE
that sets ``sent_at`` is the claim, so a second tick, a re-render or a redelivered task
never writes a second e-mail (``insight.monthly.runs``).
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from comms.tasks import enqueue
from incidents.models import Customer
from insight.models import ServiceReport, ServiceReportStatus
from insight.tasks import TIME_LIMIT, render_service_report

PENDING_STALE = timedelta(minutes=10)  # nobody consumed the "reports" queue (reports.services, the same)
RENDERING_STALE = timedelta(seconds=TIME_LIMIT + 30)  # past the task's hard time limit: the worker died


def report_for(customer: Customer, month: date) -> ServiceReport | None:
    return ServiceReport.objects.filter(customer=customer, month=month.replace(day=1)).first()


def stalled(report: ServiceReport, now: datetime) -> bool:
    """In progress, but no worker will finish it: never picked up, or its worker was killed."""
    if report.status == ServiceReportStatus.PENDING:
        return (report.requested_at or report.created_at) < now - PENDING_STALE
    return report.status == ServiceReportStatus.RENDERING and (report.started_at or now) < now - RENDERING_STALE


def report_request(*, customer: Customer, month: date, send: bool = False, queue: bool = True) -> ServiceReport:
    """Queue a (re-)render of ``customer``'s ``month``; one in progress (and not stalled) is returned as it is.

    ``send`` asks for the e-mail once it is rendered (the tick); it is never taken back by a
    later request. ``queue=False`` leaves the render to the caller (the management command).
    """
    month, now = month.replace(day=1), timezone.now()
    with transaction.atomic():
        report, created = ServiceReport.objects.select_for_update().get_or_create(
            customer=customer, month=month,
            defaults={"language": customer.language, "send": send, "requested_at": now})
        armed = created or not report.in_progress or stalled(report, now) or (send and not report.send)
        if armed and not created:
            report.status, report.error, report.language = ServiceReportStatus.PENDING, "", customer.language
            report.send, report.requested_at = report.send or send, now
            report.save(update_fields=["status", "error", "language", "send", "requested_at"])
        if armed and queue:
            transaction.on_commit(lambda: enqueue(render_service_report, report.pk))
    return report
