"""One report render, as the worker does it: claim the pending version, make the PDF in its
bounded child process (reports.rendering), store it, or record why it failed."""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.utils import timezone

from incidents.models import CustomerIncident
from reports import rendering
from reports.models import RenderStatus, ReportRender
from reports.pdf import RenderFailed

logger = logging.getLogger(__name__)

ERROR_MAX = 2000


def render_run(render_id: int, *, template: str | None = None) -> ReportRender | None:
    """The task's body: claim a pending render, make the PDF, store it; None if not ours to do."""
    claimed = ReportRender.objects.filter(pk=render_id, status=RenderStatus.PENDING).update(
        status=RenderStatus.RENDERING, started_at=timezone.now())
    if not claimed:
        return None
    render = ReportRender.objects.select_related("incident", "customer").get(pk=render_id)
    try:
        html = rendering.build_html(render.incident, render.customer, version=render.version, template=template)
        result = rendering.make_pdf(html)
    except RenderFailed as error:
        return _fail(render, str(error))
    except Exception as error:  # any failure is the requester's to see, never a hang or a lost task
        logger.exception("report render %s failed", render_id)
        return _fail(render, f"{type(error).__name__}: {error}")
    number = CustomerIncident.objects.values_list("number", flat=True).get(incident=render.incident,
                                                                         customer=render.customer)
    render.file.save(f"{number}-v{render.version}.pdf", ContentFile(result.pdf), save=False)
    render.content_hash = hashlib.sha256(result.pdf).hexdigest()
    render.size, render.pages = len(result.pdf), result.pages
    render.status, render.finished_at, render.error = RenderStatus.DONE, timezone.now(), ""
    render.save(update_fields=["file", "content_hash", "size", "pages", "status", "finished_at", "error"])
    return render


def _fail(render: ReportRender, error: str) -> ReportRender:
    render.status, render.error, render.finished_at = RenderStatus.FAILED, error[:ERROR_MAX], timezone.now()
    render.save(update_fields=["status", "error", "finished_at"])
    return render
