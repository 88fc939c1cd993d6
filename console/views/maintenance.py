"""Planned maintenance: the list, scheduling a window, correcting its texts, and starting,
completing or cancelling it."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from console.access import staff_required
from console.forms import MaintenanceForm, MaintenanceTextsForm
from core.formatting import label
from core.forms import add_service_errors
from flows import maintenance as maintenance_flow
from incidents import selectors
from incidents.maintenance import OPEN_STATUSES
from incidents.models import ComponentStatus, Language, Maintenance, MaintenanceStatus

# action in the URL → (service function, message when done, message when it no longer applies)
ACTIONS: dict[str, tuple[Callable[..., bool], str, str]] = {
    "start": (maintenance_flow.start, gettext_lazy("Maintenance started: components are under maintenance."),
              gettext_lazy("Only a scheduled window can be started.")),
    "complete": (maintenance_flow.complete, gettext_lazy("Maintenance completed: components are back."),
                 gettext_lazy("Only a window in progress can be completed.")),
    "cancel": (maintenance_flow.cancel, gettext_lazy("Maintenance cancelled."),
               gettext_lazy("Only a scheduled window can be cancelled.")),
}


@require_GET
@staff_required
def maintenance_list(request: HttpRequest) -> HttpResponse:
    windows = list(selectors.maintenance_overview_for_user(request.user, now=timezone.now()))
    context = {
        "in_progress": [m for m in windows if m.status == MaintenanceStatus.IN_PROGRESS],
        "upcoming": [m for m in windows if m.status == MaintenanceStatus.SCHEDULED],
        "recent": sorted((m for m in windows if m.status in (MaintenanceStatus.COMPLETED, MaintenanceStatus.CANCELLED)),
                         key=lambda m: m.starts_at, reverse=True),
    }
    return render(request, "incidents/maintenance_list.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def maintenance_new(request: HttpRequest) -> HttpResponse:
    customers = selectors.customers_for_user(request.user)
    if request.method == "GET" or "pick_customer" in request.POST:  # the latter: no-JavaScript component list
        initial = request.POST.dict() if request.method == "POST" else {"customer": request.GET.get("customer")}
        return render(request, "incidents/maintenance_form.html", {"form": MaintenanceForm(customers=customers,
                                                                                           initial=initial)})
    form = MaintenanceForm(request.POST, customers=customers)
    if form.is_valid():
        try:
            maintenance, warnings = maintenance_flow.schedule(**form.schedule_arguments(), author=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Maintenance scheduled."))
            for warning in warnings:
                messages.warning(request, warning)
            url = reverse("incidents:maintenance_detail", kwargs={"pk": maintenance.pk})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "incidents/maintenance_form.html#maintenance-form" if request.htmx else "incidents/maintenance_form.html"
    return render(request, template, {"form": form}, status=422)


@require_GET
@staff_required
def maintenance_component_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the fields that depend on the customer just chosen (components, text languages), keeping what was typed."""
    form = MaintenanceForm(customers=selectors.customers_for_user(request.user), initial=request.GET.dict())
    return render(request, "incidents/maintenance_form.html#maintenance-facts", {"form": form})


@require_GET
@staff_required
def maintenance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.maintenance_for_user_or_404(request.user, pk=pk))


def _render_detail(request: HttpRequest, maintenance: Maintenance, *, error: str = "",
                   status: int = 200) -> HttpResponse:
    template = "incidents/maintenance_detail.html#live" if request.htmx else "incidents/maintenance_detail.html"
    # The window's components are listed by name; their live status (an open incident's outage
    # too) is shown apart, only where it is not operational, so it never reads as this window's doing.
    disturbed = [c for c in maintenance.components.all() if c.status != ComponentStatus.OPERATIONAL]
    # The texts in the other languages, as readers of those languages get them (by language name).
    translations = sorted((label(Language, language), texts) for language, texts in maintenance.translations.items())
    context = {"maintenance": maintenance, "error": error, "disturbed": disturbed, "translations": translations,
               "editable": maintenance.status in OPEN_STATUSES}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def maintenance_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct or complete the window's texts in every reader language."""
    maintenance = selectors.maintenance_for_user_or_404(request.user, pk=pk)
    if request.method == "GET":
        form = MaintenanceTextsForm(maintenance=maintenance)
        return render(request, "incidents/maintenance_edit.html", {"maintenance": maintenance, "form": form})
    form = MaintenanceTextsForm(request.POST, maintenance=maintenance)
    if form.is_valid():
        try:
            changed = maintenance_flow.edit_texts(maintenance=maintenance, actor=request.user, **form.edit_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Texts saved: the status page and the coming reminders use them.") if changed
                             else _("Nothing changed."))
            url = reverse("incidents:maintenance_detail", kwargs={"pk": maintenance.pk})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "incidents/maintenance_edit.html#texts-form" if request.htmx else "incidents/maintenance_edit.html"
    return render(request, template, {"maintenance": maintenance, "form": form}, status=422)


@require_POST
@staff_required
def maintenance_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Start now, complete or cancel; refused with 422 when the window's status does not allow it."""
    if action not in ACTIONS:
        raise Http404("No such action")
    maintenance = selectors.maintenance_for_user_or_404(request.user, pk=pk)
    perform, done, refused = ACTIONS[action]
    if not perform(maintenance=maintenance, actor=request.user):
        return _render_detail(request, selectors.maintenance_for_user_or_404(request.user, pk=pk),
                              error=str(refused), status=422)
    messages.success(request, done)  # with htmx it rides along the swap (kalm.middleware)
    if request.htmx:
        return _render_detail(request, selectors.maintenance_for_user_or_404(request.user, pk=pk))
    return redirect("incidents:maintenance_detail", pk=pk)
