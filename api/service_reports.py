"""``GET /api/v1/customers/{slug}/service-reports/{YYYY-MM}.pdf``: a customer's monthly service report.

Scoped like the rest of the API: a customer the caller does not manage answers 404, exactly
like one that does not exist. The month is the customer's (``insight.monthly.facts``); a
month that is not YYYY-MM with a month from 01 to 12, or that has not begun yet, answers
422 naming the field.

- finished → 200 ``application/pdf``;
- pending or rendering → 202 with ``Retry-After``;
- never rendered → one is queued (not mailed), then 202 as above;
- failed → 409 with the error (render it again from the console).
"""

from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path, Router, Schema, Status
from ninja.errors import ValidationError

from api.schemas import NOT_FOUND, READ_ERRORS
from incidents.selectors import customers_for_user
from insight.models import ServiceReport, ServiceReportStatus
from insight.monthly.facts import parse_month
from insight.monthly.services import report_for, report_request

router = Router(tags=["service reports"])

RETRY_AFTER_SECONDS = 5
CustomerSlug = Path[str, {"pattern": r"^[-a-zA-Z0-9_]+$", "max_length": 50}]
Month = Path[str, {"pattern": r"^\d{4}-\d{2}$", "description": "e.g. 2026-11"}]
_PDF_RESPONSE = {"description": "The report", "content": {"application/pdf": {"schema": {"type": "string",
                                                                                          "format": "binary"}}}}


class ServiceReportStateOut(Schema):
    detail: str
    customer: str
    month: str
    status: str
    error: str
    created_at: datetime


def _state(report: ServiceReport, detail: str) -> ServiceReportStateOut:
    return ServiceReportStateOut(detail=detail, customer=report.customer.slug, month=f"{report.month:%Y-%m}",
                                 status=report.status, error=report.error, created_at=report.created_at)


def _month_error(message: str) -> ValidationError:
    return ValidationError([{"loc": ["path", "month"], "msg": message, "type": "value_error"}])


@router.get("/{slug}/service-reports/{month}.pdf",
            response={202: ServiceReportStateOut, 409: ServiceReportStateOut, **READ_ERRORS, **NOT_FOUND},
            openapi_extra={"responses": {200: _PDF_RESPONSE}}, summary="A customer's monthly service report (PDF)")
def service_report_pdf(request: HttpRequest, slug: CustomerSlug, month: Month, response: HttpResponse):
    customer = customers_for_user(request.auth).filter(slug=slug).first()
    if customer is None:
        raise Http404("No such customer")
    try:
        first_day = parse_month(month)
    except ValueError as error:
        raise _month_error(str(error)) from error
    if first_day > timezone.now().astimezone(customer.tzinfo).date():
        raise _month_error("The month has not begun yet in the customer's time zone.")
    report = report_for(customer, first_day) or report_request(customer=customer, month=first_day)
    if report.status == ServiceReportStatus.DONE:
        with report.file.open("rb") as stream:
            answer = HttpResponse(stream.read(), content_type="application/pdf")
        answer["Content-Disposition"] = f'inline; filename="{report.filename}"'
        answer["X-Content-SHA256"] = report.content_hash
        return answer
    if report.in_progress:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Status(202, _state(report, "The report is being rendered; ask again after Retry-After seconds."))
    return Status(409, _state(report, "The last render failed; render it again from the console."))
