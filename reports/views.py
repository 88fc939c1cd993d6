"""The public signed link in the post-incident summary: the report PDF, no login, 14 days."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from incidents.models import CustomerIncident
from reports.links import render_for_token
from reports.models import ReportRender


def pdf_response(render_row: ReportRender, *, number: str) -> FileResponse:
    """The stored PDF; a file missing from the store (a lost disk, a half-done migration to
    ``KALM_FILE_STORE=database``) is a 404, never a 500."""
    try:
        stream = render_row.file.open("rb")
    except OSError:
        raise Http404("No such report") from None
    response = FileResponse(stream, content_type="application/pdf", filename=f"{number}-v{render_row.version}.pdf")
    response["X-Content-SHA256"] = render_row.content_hash
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def public_report(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link in the post-incident summary: no login, 14 days, 404 for anything else."""
    current = render_for_token(token)
    if current is None:
        raise Http404("No such report")
    number = CustomerIncident.objects.values_list("number", flat=True).get(incident_id=current.incident_id,
                                                                         customer_id=current.customer_id)
    response = pdf_response(current, number=number)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


