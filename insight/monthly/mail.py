"""The monthly report's e-mail to the customer's management stakeholders, through the comms outbox.

Recipients: the customer's active stakeholders in the *management* and *executives* roles
(comms.models.Role), one message per language they read, written as finished text (like
the composer's, ``texts_edited``) so the outbox wraps it in the customer's layout and
sends, retries and logs it like every other message. The message kind is
``SERVICE_REPORT_KIND``: no incident, nothing else in comms reads it.

The report travels as the customer chose (``ServiceReportSetting.delivery``): a signed
link that expires (``links.py``), or the PDF itself, added per e-mail delivery by
``service_report_extras`` (named in ``settings.KALM_DELIVERY_EXTRAS``). A PDF too big
for mail goes as a link; the choice is fixed when the message is written
(``ServiceReport.delivered_as``), so the text and the attachment always agree.
"""

from collections import defaultdict

from django.conf import settings
from django.core.signing import BadSignature, TimestampSigner
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from comms.messages.context import customer_context, empty_context
from comms.models import Audience, Communication, Delivery, Role, Stakeholder, WrittenKind
from comms.outbox.planning import PlannedMessage, communications_write
from comms.transports import Attachment, MessageExtras
from insight.models import ServiceReport, ServiceReportDelivery, ServiceReportStatus
from insight.monthly.document import month_label

SERVICE_REPORT_KIND = WrittenKind.SERVICE_REPORT  # e-mail only (comms.models.EMAIL_ONLY_KINDS)
MANAGEMENT_ROLES = (Role.MANAGEMENT, Role.EXECUTIVES)
MAX_BYTES = 10 * 1024 * 1024  # as reports.attachments: base64 makes it 13.3 MB on the wire
LINK_SALT = "kalm.insight.service_report"
LINK_DAYS = 30


# --- links ------------------------------------------------------------------------------------


def report_token(report_id: int) -> str:
    return TimestampSigner(salt=LINK_SALT).sign_object({"s": report_id})


def report_link(report: ServiceReport) -> str:
    return settings.SITE_URL + reverse("service_reports:public", args=[report_token(report.pk)])


def report_for_token(token: str) -> ServiceReport | None:
    """The finished report a token names; None for a tampered, expired or unknown token."""
    try:
        data = TimestampSigner(salt=LINK_SALT).unsign_object(token, max_age=LINK_DAYS * 24 * 3600)
    except BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    return (ServiceReport.objects.select_related("customer")
            .filter(pk=data["s"], status=ServiceReportStatus.DONE).exclude(file="").first())


# --- the message ------------------------------------------------------------------------------


def recipients_by_language(report: ServiceReport) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for pk, language in (Stakeholder.objects.filter(customer=report.customer, is_active=True,
                                                    role__in=MANAGEMENT_ROLES)
                         .order_by("pk").values_list("pk", "language")):
        groups[language].append(pk)
    return groups


def attached(report: ServiceReport) -> bool:
    return report.delivered_as == ServiceReportDelivery.ATTACHMENT and report.size <= MAX_BYTES


def texts(report: ServiceReport, language: str) -> tuple[str, str]:
    """(subject, body) in ``language``."""
    with translation.override(language):
        facts = {"month": month_label(report.month, language), "customer": report.customer.name,
                 "msp": settings.KALM_MSP_NAME}
        subject = _("Monthly service report %(month)s: %(customer)s") % facts
        lines = [_("The monthly service report of %(msp)s for %(customer)s for %(month)s is ready: availability "
                   "per component, incidents, response times against the contract and maintenance done.") % facts]
        if attached(report):
            lines.append(_("The report is attached to this e-mail (%(filename)s).") % {"filename": report.filename})
        else:
            lines.append(_("Download the report (PDF; the link is valid for %(days)s days):") % {"days": LINK_DAYS})
            lines.append(report_link(report))
        return subject, "\n\n".join(lines)


def service_report_send(report: ServiceReport) -> list[Communication]:
    """Write one message per recipients' language (in the caller's transaction); sent on commit."""
    customer = report.customer
    plans = []
    for language, ids in sorted(recipients_by_language(report).items()):
        context = empty_context() | customer_context(customer=customer, language=language)
        plans.append(PlannedMessage(customer=customer, kind=SERVICE_REPORT_KIND, audience=Audience.EXECUTIVE,
                                    language=language, context=context, recipient_ids=ids,
                                    edited=texts(report, language)))
    return communications_write(plans, incident=None, update=None, automatic=True)


def service_report_extras(delivery: Delivery) -> MessageExtras | None:
    """The PDF for an e-mail delivery of a service report that announced it attached; else None."""
    communication = delivery.communication
    if delivery.channel != "email" or communication.kind != SERVICE_REPORT_KIND:
        return None
    report = ServiceReport.objects.select_related("customer").filter(communications=communication.pk).first()
    if report is None or not attached(report) or report.status != ServiceReportStatus.DONE:
        return None
    with report.file.open("rb") as file:
        content = file.read()
    return MessageExtras(attachments=(Attachment(filename=report.filename, content=content,
                                                 mimetype="application/pdf"),))
