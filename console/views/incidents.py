"""The MSP console: dashboard, open an incident, follow and update it.

Thin views: they check access through ``incidents.selectors``, parse input with forms,
and call ``incidents.services``. With htmx they answer with a template partial; without
JavaScript the same URLs answer with whole pages and redirects.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comms.selectors import deferred_for_incident, update_recipient_count
from console.access import staff_required
from console.forms import (
    AddCustomerForm,
    ClockFileForm,
    ExtendDueForm,
    IncidentOpenForm,
    IncidentUpdateForm,
    ReopenForm,
)
from console.views.followup import followup_panel
from console.views.timers import ClockRow, cadence_timers
from core.forms import add_service_errors, submit_form
from flows import incidents as incident_flow
from flows.drills import drill_script
from incidents import selectors
from incidents.models import Incident, IncidentUpdate
from incidents.visibility import FACT_VISIBILITY
from intake.selectors import alerts_of_incident


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
            incident = incident_flow.open_incident(**_open_arguments(form), author=request.user)
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
    return {field: data[field] for field in fields} | {
        "component_statuses": form.chosen_component_statuses(), "translations": form.translations(),
        "language": data["customer"].language}


@require_GET
@staff_required
def component_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the fields that depend on the customer just chosen (components, text languages), keeping what was typed."""
    form = IncidentOpenForm(customers=selectors.customers_for_user(request.user), initial=request.GET.dict())
    return render(request, "incidents/incident_open.html#incident-facts", {"form": form})


@require_GET
@staff_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    return render_detail(request, incident)


def render_detail(request: HttpRequest, incident: Incident, *, status: int = 200, **forms: Form) -> HttpResponse:
    """The incident page (its live part for htmx); ``forms`` replaces a panel's form, e.g. with errors."""
    now = timezone.now()
    context = {
        "incident": incident,
        "timeline": selectors.timeline(incident, user=request.user),
        "timers": cadence_timers(incident, now),
        "deferred": deferred_for_incident(request.user, incident=incident),
        "clock_rows": _clock_rows(incident, now, forms.get("clock_form")),
        "update_form": forms.get("update_form") or IncidentUpdateForm(
            incident=incident, customers=selectors.incident_customers_for_user(request.user, incident)),
        "reopen_form": forms.get("reopen_form") or ReopenForm(incident=incident),
        "extend_form": forms.get("extend_form") or ExtendDueForm(incident=incident),
        "add_customer_form": forms.get("add_customer_form") or AddCustomerForm(
            customers=selectors.customers_for_user(request.user).exclude(incident_links__incident=incident)
        ),
        "visibility": FACT_VISIBILITY,
        "alerts": alerts_of_incident(incident),
        "followup": followup_panel(request.user, incident),
        "drill_script": drill_script(incident),  # None for a real incident
        "now": now,
    }
    template = "incidents/incident_detail.html#live" if request.htmx else "incidents/incident_detail.html"
    return render(request, template, context, status=status)


def _clock_rows(incident: Incident, now: datetime, bound: Form | None) -> list[ClockRow]:
    rows = []
    for clock in selectors.incident_clocks(incident):
        form = bound if bound is not None and bound.clock.pk == clock.pk else ClockFileForm(clock=clock)
        rows.append(ClockRow(clock, now, form))
    return rows


def after_write(request: HttpRequest, incident: Incident, note: str) -> HttpResponse:
    """Confirm with ``note``. htmx: re-render the live part in place (the note rides along,
    ``kalm.middleware``). Without JavaScript: redirect (POST/redirect/GET), the next page shows it."""
    messages.success(request, note)
    if request.htmx:
        return render_detail(request, selectors.incident_for_user_or_404(request.user, pk=incident.pk))
    return redirect("incidents:detail", pk=incident.pk)


def submit_on_incident(request: HttpRequest, incident: Incident, form: Form, *, form_name: str,
                       write: Callable[[dict], Any], note: str | Callable[[Any], str]) -> HttpResponse:
    """The incident page's forms: validate, run the service write, then refresh (or redirect)
    with ``note`` (or ``note(what the write returned)``); on bad input re-render the page with
    the form's (or the service's) errors and 422."""
    return submit_form(form, write,
                       done=lambda written: after_write(request, incident, note(written) if callable(note) else note),
                       again=lambda: render_detail(request, incident, status=422, **{form_name: form}))


def update_posted_note(update: IncidentUpdate) -> str:
    """ "Update posted: sent to 12 recipients." — or what happened instead."""
    if update.is_internal:
        return _("Internal note added to the timeline.")
    count = update_recipient_count(update)
    if count is None:
        return _("Update posted.")
    if count == 0:
        return _("Update posted on the status page; no stakeholder is set to receive it.")
    return ngettext("Update posted: sent to %(count)d recipient.", "Update posted: sent to %(count)d recipients.",
                    count) % {"count": count}


@require_POST
@staff_required
def incident_post_update(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    form = IncidentUpdateForm(request.POST, incident=incident,
                              customers=selectors.incident_customers_for_user(request.user, incident))
    return submit_on_incident(
        request, incident, form, form_name="update_form", note=update_posted_note,
        write=lambda data: incident_flow.post_update(incident=incident, author=request.user,
                                                         **form.changed_facts()),
    )


@require_POST
@staff_required
def incident_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    form = ReopenForm(request.POST, incident=incident)
    return submit_on_incident(
        request, incident, form, form_name="reopen_form", note=_("Incident reopened."),
        write=lambda data: incident_flow.reopen(incident=incident, author=request.user, message=data["message"],
                                                    translations=form.translations()),
    )


@require_POST
@staff_required
def incident_add_customer(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    customers = selectors.customers_for_user(request.user).exclude(incident_links__incident=incident)
    form = AddCustomerForm(request.POST, customers=customers, incident=incident)
    return submit_on_incident(
        request, incident, form, form_name="add_customer_form", note=_("Customer added to the incident."),
        write=lambda data: incident_flow.add_customer(incident=incident, customer=data["customer"],
                                                          author=request.user, translations=form.translations()),
    )
