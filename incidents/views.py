"""The MSP console: dashboard, open an incident, follow and update it.

Thin views: they check access through ``incidents.selectors``, parse input with forms,
and call ``incidents.services``. With htmx they answer with a template partial; without
JavaScript the same URLs answer with whole pages and redirects.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import selectors, services
from incidents.console import add_service_errors, staff_required
from incidents.forms import AddCustomerForm, IncidentOpenForm, IncidentUpdateForm, ReopenForm
from incidents.models import Incident


@require_GET
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "open_incidents": selectors.open_incidents_for_user(request.user),
        "resolved_incidents": selectors.recently_resolved_for_user(request.user),
        "now": timezone.now(),
    }
    template = "incidents/dashboard.html#incident-tables" if request.htmx else "incidents/dashboard.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@staff_required
def incident_open(request: HttpRequest) -> HttpResponse:
    customers = selectors.customers_for_user(request.user)
    if request.method == "GET":
        form = IncidentOpenForm(customers=customers, initial={"customer": request.GET.get("customer")})
        return render(request, "incidents/incident_open.html", {"form": form})
    form = IncidentOpenForm(request.POST, customers=customers)
    if "pick_customer" in request.POST:  # no-JavaScript path: show the chosen customer's components
        form = IncidentOpenForm(customers=customers, initial=request.POST.dict())
        return render(request, "incidents/incident_open.html", {"form": form})
    if form.is_valid():
        try:
            incident = services.incident_open(**_open_arguments(form), author=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Incident opened."))
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/incident_open.html", {"form": form}, status=422)


def _open_arguments(form: IncidentOpenForm) -> dict:
    data = form.cleaned_data
    fields = ["customer", "title", "category", "severity", "status", "business_impact", "workaround",
              "eta", "started_at", "detected_by", "personal_data_involved", "message"]
    return {field: data[field] for field in fields} | {"component_statuses": form.chosen_component_statuses()}


@require_GET
@staff_required
def component_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the component selects for the customer just chosen in the open form."""
    form = IncidentOpenForm(customers=selectors.customers_for_user(request.user),
                            initial={"customer": request.GET.get("customer")})
    return render(request, "incidents/incident_open.html#component-fields", {"form": form})


@require_GET
@staff_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    return _render_detail(request, incident)


def _render_detail(request: HttpRequest, incident: Incident, *, status: int = 200, **forms) -> HttpResponse:
    context = {
        "incident": incident,
        "timeline": selectors.timeline(incident),
        "update_form": forms.get("update_form") or IncidentUpdateForm(incident=incident),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "add_customer_form": forms.get("add_customer_form") or AddCustomerForm(
            customers=selectors.customers_for_user(request.user).exclude(incident_links__incident=incident)
        ),
        "now": timezone.now(),
    }
    template = "incidents/incident_detail.html#live" if request.htmx else "incidents/incident_detail.html"
    return render(request, template, context, status=status)


def _after_write(request: HttpRequest, incident: Incident, note: str) -> HttpResponse:
    """htmx: re-render the live part in place. Without JavaScript: redirect (POST/redirect/GET)."""
    if request.htmx:
        return _render_detail(request, selectors.incident_for_user_or_404(request.user, pk=incident.pk))
    messages.success(request, note)
    return redirect("incidents:detail", pk=incident.pk)


@require_POST
@staff_required
def incident_post_update(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    form = IncidentUpdateForm(request.POST, incident=incident)
    if form.is_valid():
        try:
            services.incident_post_update(incident=incident, author=request.user, **form.changed_facts())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_write(request, incident, _("Update posted."))
    return _render_detail(request, incident, update_form=form, status=422)


@require_POST
@staff_required
def incident_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.incident_reopen(incident=incident, author=request.user, message=form.cleaned_data["message"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_write(request, incident, _("Incident reopened."))
    return _render_detail(request, incident, reopen_form=form, status=422)


@require_POST
@staff_required
def incident_add_customer(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    customers = selectors.customers_for_user(request.user).exclude(incident_links__incident=incident)
    form = AddCustomerForm(request.POST, customers=customers)
    if form.is_valid():
        try:
            services.incident_add_customer(incident=incident, customer=form.cleaned_data["customer"],
                                           author=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after_write(request, incident, _("Customer added to the incident."))
    return _render_detail(request, incident, add_customer_form=form, status=422)
