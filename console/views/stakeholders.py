"""Stakeholders per customer: which customer, list, add/edit (deactivate, never delete), and the CSV import.

Only the customer's account managers and managers reach these pages; anyone else gets
404, as for incidents. Writes go through ``comms.directory.stakeholders``.
"""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from audit import services as audit
from comms import selectors
from comms.directory import stakeholders as services
from comms.models import Audience, Role, Stakeholder
from console.access import staff_required
from console.forms.comms import StakeholderForm, StakeholderImportConfirmForm, StakeholderImportForm
from core.forms import add_service_errors
from incidents.models import Customer
from incidents.selectors import customer_for_user_or_404


@require_GET
@staff_required
def stakeholder_customers(request: HttpRequest) -> HttpResponse:
    """Where the navigation's "Stakeholders" leads: the user's customers, each with its
    stakeholders, CSV import and contract."""
    context = {"customers": selectors.stakeholder_customers_for_user(request.user)}
    return render(request, "comms/stakeholder_customers.html", context)


@require_GET
@staff_required
def stakeholder_list(request: HttpRequest, slug: str) -> HttpResponse:
    customer = customer_for_user_or_404(request.user, slug=slug)
    context = {"customer": customer, "stakeholders": selectors.stakeholders_for_customer(customer)}
    return render(request, "comms/stakeholders.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def stakeholder_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    customer = customer_for_user_or_404(request.user, slug=slug)
    stakeholder = selectors.stakeholder_for_customer_or_404(customer, pk=pk) if pk else None
    if stakeholder is not None and stakeholder.self_subscribed:
        return _subscriber(request, customer, stakeholder)
    if stakeholder is not None and "set_active" in request.POST:
        return _set_active(request, stakeholder, active=request.POST["set_active"] == "1")
    form = StakeholderForm(request.POST if request.method == "POST" else None, customer=customer,
                           stakeholder=stakeholder)
    if form.is_bound and form.is_valid():
        try:
            _save(request, customer, stakeholder, form)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Stakeholder saved."))
            return redirect("comms:stakeholders", slug=customer.slug)
    context = {"customer": customer, "stakeholder": stakeholder, "form": form}
    return render(request, "comms/stakeholder_form.html", context, status=422 if form.is_bound else 200)


# The stakeholder's fields the audit trail compares (the webhook secret only as "set", audit.changes).
AUDITED_FIELDS = ("name", "role", "audience", "language", "email", "phone", "teams_webhook_url", "slack_webhook_url",
                  "webhook_url", "webhook_secret", "is_active", "components")


def _save(request: HttpRequest, customer: Customer, stakeholder: Stakeholder | None,
          form: StakeholderForm) -> Stakeholder:
    before = audit.snapshot(stakeholder, AUDITED_FIELDS) if stakeholder is not None else {}
    with transaction.atomic():
        if stakeholder is None:
            saved = services.stakeholder_create(customer=customer, data=form.stakeholder_data())
        else:
            saved = services.stakeholder_update(stakeholder=stakeholder, data=form.stakeholder_data())
        after = audit.snapshot(saved, AUDITED_FIELDS)
        if stakeholder is None or before != after:
            audit.record(action=audit.Action.STAKEHOLDER_CHANGED if stakeholder else audit.Action.STAKEHOLDER_CREATED,
                         request=request, customer=customer, target=saved, before=before, after=after,
                         only_changes=stakeholder is not None)
    return saved


def _subscriber(request: HttpRequest, customer: Customer, stakeholder: Stakeholder) -> HttpResponse:
    """A status page subscriber owns their address and choices: staff may only deactivate them
    (reactivating would undo the subscriber's own unsubscribe)."""
    if request.POST.get("set_active") == "0":
        return _set_active(request, stakeholder, active=False)
    context = {"customer": customer, "stakeholder": stakeholder}
    return render(request, "comms/stakeholder_form.html", context, status=422 if request.method == "POST" else 200)


def _set_active(request: HttpRequest, stakeholder: Stakeholder, *, active: bool) -> HttpResponse:
    was_active = stakeholder.is_active
    with transaction.atomic():
        services.stakeholder_set_active(stakeholder=stakeholder, active=active)
        if was_active != active:
            action = audit.Action.STAKEHOLDER_REACTIVATED if active else audit.Action.STAKEHOLDER_DEACTIVATED
            audit.record(action=action, request=request, customer=stakeholder.customer, target=stakeholder,
                         before={"is_active": was_active}, after={"is_active": active})
    note = _("%(name)s is active again.") if active else _("%(name)s is deactivated and receives no messages.")
    messages.success(request, note % {"name": stakeholder.name})
    return redirect("comms:stakeholders", slug=stakeholder.customer.slug)


@require_http_methods(["GET", "POST"])
@staff_required
def stakeholder_import(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the upload form. POST a file: preview (dry run). POST the signed payload: import."""
    customer = customer_for_user_or_404(request.user, slug=slug)
    if request.method == "POST" and "payload" in request.POST:
        return _import_confirm(request, customer)
    if request.method == "POST":
        return _import_preview(request, customer)
    return _render_import(request, customer)


def _render_import(request: HttpRequest, customer: Customer, *, status: int = 200, **extra) -> HttpResponse:
    context = {"customer": customer, "form": StakeholderImportForm(), "columns": services.IMPORT_COLUMNS,
               "roles": Role.choices, "audiences": Audience.choices} | extra
    return render(request, "comms/stakeholder_import.html", context, status=status)


def _import_preview(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = StakeholderImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_import(request, customer, form=form, status=422)
    result = services.stakeholders_import(customer=customer, rows=form.cleaned_data["rows"], dry_run=True)
    confirm = StakeholderImportConfirmForm.signed(customer=customer, text=form.cleaned_data["file"],
                                                  valid_numbers=result.valid_numbers)
    return _render_import(request, customer, result=result, confirm_form=confirm)


def _import_confirm(request: HttpRequest, customer: Customer) -> HttpResponse:
    confirm = StakeholderImportConfirmForm(request.POST, customer=customer)
    if not confirm.is_valid():
        return _render_import(request, customer, confirm_errors=confirm.errors["payload"], status=400)
    payload = confirm.cleaned_data["payload"]
    wanted = set(payload["rows"])
    rows = [row for row in services.import_rows_from_csv(payload["text"]) if row.number in wanted]
    with transaction.atomic():
        result = services.stakeholders_import(customer=customer, rows=rows, dry_run=False)
        if result.written:
            _record_import(request, customer, result)
    if not result.written:
        return _render_import(request, customer, result=result, changed=True, status=409)
    messages.success(request, _("Import done: %(created)s created, %(updated)s updated.")
                     % {"created": result.created_count, "updated": result.updated_count})
    return redirect("comms:stakeholders", slug=customer.slug)


def _record_import(request: HttpRequest, customer: Customer, result: services.ImportResult) -> None:
    """One event for the whole import: whom it created and whom it updated (by name)."""
    names = {action: sorted(row.name for row in result.rows if row.action == action) for action in ("create", "update")}
    audit.record(action=audit.Action.STAKEHOLDERS_IMPORTED, request=request, customer=customer,
                 object_type="comms.stakeholder", object_repr=f"CSV import ({customer.name})",
                 after={"created": names["create"], "updated": names["update"]}, only_changes=False)


@require_GET
@staff_required
def stakeholder_import_example(request: HttpRequest, slug: str) -> HttpResponse:
    """A small CSV to start from, using this customer's own component names."""
    customer = customer_for_user_or_404(request.user, slug=slug)
    components = "|".join(customer.components.order_by("group", "position", "name")
                          .values_list("name", flat=True)[:2])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kalm-stakeholders-example.csv"'
    writer = csv.writer(response)
    writer.writerow(services.IMPORT_COLUMNS)
    writer.writerow(["Jan de Vries", Role.CUSTOMER_IT, Audience.TECHNICAL, "nl", "jan@example.com", "+31612345678",
                     "", "", "", components])
    with translation.override("en"):  # labels are accepted in English
        writer.writerow(["Petra Jansen", Role.EXECUTIVES.label, Audience.EXECUTIVE.label, "en", "petra@example.com",
                         "", "", "", "", ""])
    return response
