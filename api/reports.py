"""``GET /api/v1/incidents/<number>/report.pdf``: the current report, or 202 while it is made.

Mounted next to the incidents router on the same prefix (``api.add_router("/incidents",
router)`` in ``kalm.api``; django-ninja allows several routers per prefix). The number is
a customer's own incident number, so it names the report's customer too; a number of a
customer the caller does not manage answers 404, like the rest of the API.

- newest version done → 200 ``application/pdf``;
- newest version pending or rendering → 202 with ``Retry-After`` and the render's state;
- no version yet → one is queued, then 202 as above;
- newest version failed → the previous finished version (200) if there is one, else 409
  with the error (regenerate from the console).
"""

from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from api.schemas import NOT_FOUND, READ_ERRORS, IncidentNumber
from incidents.models import CustomerIncident
from incidents.selectors import customers_for_user
from reports import services
from reports.models import RenderStatus, ReportRender

router = Router(tags=["reports"])

RETRY_AFTER_SECONDS = 5
_PDF_RESPONSE = {"description": "The report", "content": {"application/pdf": {"schema": {"type": "string",
                                                                                          "format": "binary"}}}}


class RenderStateOut(Schema):
    detail: str
    number: str
    version: int
    status: str
    error: str
    created_at: datetime


def _state(render: ReportRender, number: str, detail: str) -> RenderStateOut:
    return RenderStateOut(detail=detail, number=number, version=render.version, status=render.status,
                          error=render.error, created_at=render.created_at)


def _pdf(render: ReportRender, number: str) -> HttpResponse:
    try:
        with render.file.open("rb") as stream:
            response = HttpResponse(stream.read(), content_type="application/pdf")
    except OSError:  # the file is missing from the store: 404, as reports.views does
        raise Http404("No such report") from None
    response["Content-Disposition"] = f'inline; filename="{number}-v{render.version}.pdf"'
    response["X-Content-SHA256"] = render.content_hash
    return response


@router.get("/{number}/report.pdf", response={202: RenderStateOut, 409: RenderStateOut, **READ_ERRORS, **NOT_FOUND},
            openapi_extra={"responses": {200: _PDF_RESPONSE}}, summary="The incident's post-incident report (PDF)")
def report_pdf(request: HttpRequest, number: IncidentNumber, response: HttpResponse):
    link = (CustomerIncident.objects.select_related("incident", "customer")
            .filter(number=number, customer__in=customers_for_user(request.auth)).first())
    if link is None:
        raise Http404("No such incident")
    latest = services.latest_render(link.incident, link.customer)
    if latest is None:
        latest = services.render_request(incident=link.incident, customer=link.customer, user=request.auth)
    if latest.status == RenderStatus.DONE:
        return _pdf(latest, number)
    if latest.in_progress:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Status(202, _state(latest, number, "The report is being rendered; ask again after Retry-After seconds."))
    current = services.current_render(link.incident, link.customer)
    if current is not None:
        return _pdf(current, number)
    return Status(409, _state(latest, number, "The last render failed; regenerate the report from the console."))
