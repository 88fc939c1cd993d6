"""Console pages for the post-incident report (the public signed-link download is reports.views).

Access is the incident's: managers and the account managers of the incident's customers
(``incidents.selectors``); a report is per customer, and a user sees only the reports of
customers they manage. What a user may not see answers 404. The status fragment is
polled by htmx and answers 286 (stop polling) once nothing is in progress.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.access import staff_required
from console.forms import IncidentMessageForm
from console.forms.reports import ReviewForm
from core.forms import add_service_errors
from core.texts import localized
from flows import incidents as incident_flow
from incidents.models import CustomerIncident, Incident
from incidents.selectors import customers_for_user, incident_for_user_or_404
from reports import services
from reports.models import ReportRender
from reports.views import pdf_response

HTMX_STOP_POLLING = 286


def visible_links(user, incident: Incident) -> QuerySet[CustomerIncident]:
    return (incident.customer_links.filter(customer__in=customers_for_user(user)).select_related("customer")
            .order_by("added_at", "id"))


def _link_or_404(request: HttpRequest, incident: Incident) -> CustomerIncident:
    links = visible_links(request.user, incident)
    slug = request.GET.get("customer") or request.POST.get("customer")
    link = links.filter(customer__slug=slug).first() if slug else links.first()
    if link is None:
        raise Http404("No such report")
    return link


def _panels(request: HttpRequest, incident: Incident) -> list[dict]:
    return [_panel(link) for link in visible_links(request.user, incident)]


def _panel(link: CustomerIncident) -> dict:
    latest = services.latest_render(link.incident, link.customer)
    current = services.current_render(link.incident, link.customer)
    history = ReportRender.objects.filter(incident=link.incident, customer=link.customer).order_by("-version")[:5]
    return {"link": link, "latest": latest, "current": current, "history": history}


@require_http_methods(["GET", "POST"])
@staff_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_user_or_404(request.user, pk=pk)
    instance = services.review_for(incident)
    drafted = instance.drafted  # the form's save() overwrites the instance's fields
    form = ReviewForm(request.POST if request.method == "POST" else None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.review_save(review=form.save(commit=False), actions=form.cleaned_data["actions"],
                             author=request.user, drafted=drafted)
        if "render" in request.POST:
            for link in visible_links(request.user, incident):
                services.render_request(incident=incident, customer=link.customer, user=request.user)
            messages.success(request, _("Review saved. The report is being rendered."))
        else:
            messages.success(request, _("Review saved."))
        return redirect("reports:review", pk=incident.pk)
    return render_review(request, incident, form=form, status=422 if form.is_bound else 200)


def render_review(request: HttpRequest, incident: Incident, *, status: int, form: ReviewForm | None = None,
                  summary: IncidentMessageForm | None = None) -> HttpResponse:
    context = {"incident": incident, "form": form or ReviewForm(instance=services.review_for(incident)),
               "summary_form": summary or summary_form(incident), "panels": _panels(request, incident)}
    return render(request, "reports/review.html", context, status=status)


@require_GET
@staff_required
def render_status(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: one customer's render panel; 286 stops the polling once nothing is in progress."""
    incident = incident_for_user_or_404(request.user, pk=pk)
    panel = _panel(_link_or_404(request, incident))
    response = render(request, "reports/_render_status.html", {"incident": incident, "panel": panel})
    latest = panel["latest"]
    if request.htmx and (latest is None or not latest.in_progress):
        response.status_code = HTMX_STOP_POLLING
    return response


@require_POST
@staff_required
def regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_user_or_404(request.user, pk=pk)
    link = _link_or_404(request, incident)
    services.render_request(incident=incident, customer=link.customer, user=request.user)
    if request.htmx:
        return render(request, "reports/_render_status.html", {"incident": incident, "panel": _panel(link)})
    messages.success(request, _("The report is being rendered."))
    return redirect("reports:review", pk=incident.pk)


@require_GET
@staff_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The current (newest finished) PDF for one of the incident's customers."""
    incident = incident_for_user_or_404(request.user, pk=pk)
    link = _link_or_404(request, incident)
    current = services.current_render(incident, link.customer)
    if current is None:
        raise Http404("No finished report yet")
    return pdf_response(current, number=link.number)


@require_POST
@staff_required
def send_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the post-incident summary to the stakeholders (comms adds each customer's report link)."""
    incident = incident_for_user_or_404(request.user, pk=pk)
    form = summary_form(incident, data=request.POST)
    if form.is_valid():
        try:
            incident_flow.send_post_incident_summary(incident=incident, author=request.user,
                                                message=form.cleaned_data["message"],
                                                translations=form.translations())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The post-incident summary is on its way to the stakeholders."))
            return redirect("reports:review", pk=incident.pk)
    return render_review(request, incident, summary=form, status=422)


def summary_form(incident: Incident, data=None) -> IncidentMessageForm:
    """The summary in the incident's reader languages, proposed from the resolution summary as written."""
    current = {language: localized(incident, "resolution_summary", language, written_in=incident.language)
               for language, _name in settings.LANGUAGES}
    return IncidentMessageForm(data, incident=incident, label=_("Summary in your own words"), current=current)
