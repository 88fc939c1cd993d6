"""Drills in the console: the list with its "Start drill" form, and each drill's report.

Managers and the customer's account managers start drills (incidents.selectors.customer_for_user:
another customer's slug is a 404); the drill itself is flows.drills.start_drill, the report
insight.drill_report.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from console.access import staff_required
from console.forms.drills import DrillStartForm
from core.forms import add_service_errors
from flows.drill_scenarios import SCENARIOS
from flows.drills import start_drill
from incidents import selectors
from incidents.models import Drill
from insight.drill_report import drill_report

LIST_LIMIT = 50


@require_http_methods(["GET", "POST"])
@staff_required
def drill_list(request: HttpRequest) -> HttpResponse:
    customers = selectors.customers_for_user(request.user)
    if request.method == "GET":
        return _render_list(request, DrillStartForm(customers=customers))
    customer = selectors.customer_for_user_or_404(request.user, slug=request.POST.get("customer", ""))
    form = DrillStartForm(request.POST, customers=customers)
    if form.is_valid():
        try:
            incident = start_drill(customer, form.cleaned_data["scenario"], started_by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Drill started: only internal recipients hear of it."))
            return redirect("incidents:detail", pk=incident.pk)
    return _render_list(request, form, status=422)


def _render_list(request: HttpRequest, form: DrillStartForm, *, status: int = 200) -> HttpResponse:
    visible = selectors.incidents_for_user(request.user).filter(is_drill=True).values("pk")
    drills = (Drill.objects.filter(incident__in=visible).select_related("incident", "started_by")
              .prefetch_related("incident__customer_links__customer")[:LIST_LIMIT])
    rows = [(drill, SCENARIOS.get(drill.scenario)) for drill in drills]
    return render(request, "drills/list.html", {"form": form, "rows": rows}, status=status)


@require_GET
@staff_required
def drill_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    if not incident.is_drill:
        raise Http404("No such drill")
    report = drill_report(incident)
    return render(request, "drills/report.html", {
        "report": report, "incident": incident, "scenario": SCENARIOS.get(report.scenario)})
