"""One monthly report render, as the worker does it, and its e-mail (once).

The render is claimed with a conditional UPDATE (pending → rendering); the e-mail with
another (``sent_at`` from empty to now), in the transaction that writes the messages, so
it is written once whatever ticks, re-renders or redelivered tasks come after.
"""

import hashlib
import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from incidents.models import Customer
from insight.models import ServiceReport, ServiceReportSetting, ServiceReportStatus
from insight.monthly import document, mail
from reports.pdf import RenderFailed

logger = logging.getLogger(__name__)

ERROR_MAX = 2000


def setting_for(customer: Customer) -> ServiceReportSetting:
    """The customer's setting, or the defaults (enabled, a link) unsaved."""
    return ServiceReportSetting.objects.filter(customer=customer).first() or ServiceReportSetting(customer=customer)


@transaction.atomic
def setting_save(customer: Customer, *, enabled: bool, delivery: str, actor: AbstractBaseUser) -> ServiceReportSetting:
    """Whether the customer's management gets the monthly report, and as a link or an attachment (audited)."""
    setting = setting_for(customer)
    setting.enabled, setting.delivery = enabled, delivery
    setting.full_clean()
    setting.save()
    audit.record(action=audit.Action.SERVICE_REPORT_SETTING_CHANGED, actor=actor, customer=customer, target=setting,
                 detail=f"enabled={enabled}, delivery={delivery}")
    return setting


def render_run(report_id: int, *, now: datetime | None = None) -> ServiceReport | None:
    """The task's body: claim the pending render, make the PDF, store it, mail it if asked; None if not ours."""
    claimed = ServiceReport.objects.filter(pk=report_id, status=ServiceReportStatus.PENDING).update(
        status=ServiceReportStatus.RENDERING, started_at=timezone.now())
    if not claimed:
        return None
    report = ServiceReport.objects.select_related("customer").get(pk=report_id)
    try:
        result = document.render_pdf(report.customer, report.month, now=now)
    except RenderFailed as error:
        return _fail(report, str(error))
    except Exception as error:  # any failure is recorded on the row for the console, never a lost task
        logger.exception("service report %s failed", report_id)
        return _fail(report, f"{type(error).__name__}: {error}")
    report.file.save(report.filename, ContentFile(result.pdf), save=False)
    report.content_hash = hashlib.sha256(result.pdf).hexdigest()
    report.size, report.pages = len(result.pdf), result.pages
    report.status, report.rendered_at, report.error = ServiceReportStatus.DONE, timezone.now(), ""
    report.save(update_fields=["file", "content_hash", "size", "pages", "status", "rendered_at", "error"])
    if report.send:
        mail_once(report)
    return report


def _fail(report: ServiceReport, error: str) -> ServiceReport:
    report.status, report.error, report.rendered_at = ServiceReportStatus.FAILED, error[:ERROR_MAX], timezone.now()
    report.save(update_fields=["status", "error", "rendered_at"])
    return report


@transaction.atomic
def mail_once(report: ServiceReport) -> bool:
    """Write the e-mail to the management stakeholders, once per report; True when this call did."""
    now = timezone.now()
    setting = setting_for(report.customer)
    claimed = ServiceReport.objects.filter(pk=report.pk, status=ServiceReportStatus.DONE, send=True,
                                           sent_at__isnull=True).update(sent_at=now, delivered_as=setting.delivery)
    if not claimed:
        return False
    report.sent_at, report.delivered_as = now, setting.delivery
    report.communications.set(mail.service_report_send(report))
    return True
