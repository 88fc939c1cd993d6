"""The report as HTML (Django template, customer's language) and as PDF (WeasyPrint, isolated).

Limits, read with defaults so no setting is required:

- ``KALM_REPORT_MEMORY_MB`` (1024): address-space cap of the render process (``RLIMIT_AS``).
  A big report peaks far lower (see ``bench/report.py``); the cap is for runaway renders.
- ``KALM_REPORT_TIMEOUT_SECONDS`` (50): the render process is killed after this long.
  It is below the task's soft time limit (``reports.tasks``), so the failure is recorded
  by the task itself, never left to Celery's hard kill.
- ``KALM_LOGO_PATH`` (None): an image file for the cover; the only file besides the
  stylesheet a render may read.
- ``KALM_REPORT_RENDERER`` ("prewarmed"): fork each render from the worker's pre-warmed
  render process (``reports.zygote``); "fresh" starts a new interpreter per render
  (``reports.pdf.render_isolated``, about a second slower). Same limits either way.
"""

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from incidents.models import Customer, Incident
from reports.document import branding, report_context
from reports.models import PostIncidentReview
from reports.pdf import PdfResult, render_isolated
from reports.zygote import render_prewarmed

TEMPLATE = "reports/report.html"
STYLESHEET = Path(__file__).resolve().parent / "static" / "reports" / "report.css"


def review_of(incident: Incident) -> PostIncidentReview | None:
    return PostIncidentReview.objects.filter(incident=incident).prefetch_related("actions").first()


def build_html(incident: Incident, customer: Customer, *, version: int | None = None, layout: str = "blocks",
               template: str | None = None, now: datetime | None = None) -> str:
    """The report's HTML in the customer's language and time zone."""
    with translation.override(customer.language):
        context = report_context(incident, customer, review=review_of(incident), version=version, layout=layout,
                                 now=now)
        return render_to_string(template or TEMPLATE, context)


def memory_limit_mb() -> int:
    return int(getattr(settings, "KALM_REPORT_MEMORY_MB", 1024))


def timeout_seconds() -> float:
    return float(getattr(settings, "KALM_REPORT_TIMEOUT_SECONDS", 50))


def prewarmed() -> bool:
    return settings.KALM_REPORT_RENDERER != "fresh"


def make_pdf(html: str) -> PdfResult:
    logo = branding().logo_path
    render = render_prewarmed if prewarmed() else render_isolated
    return render(html, stylesheet=str(STYLESHEET), allowed_files=[logo] if logo else [],
                  memory_mb=memory_limit_mb(), timeout=timeout_seconds())
