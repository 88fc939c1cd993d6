"""A customer's contract & cadence policy: everyone who manages the customer reads it,
managers change it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from audit import services as audit
from console.access import staff_required
from console.forms import ContractForm
from core.forms import add_service_errors
from incidents import selectors
from incidents.contracts import CONTRACT_FIELDS, customer_contract_update
from incidents.models import Customer, Severity, Status


@require_http_methods(["GET", "POST"])
@staff_required
def contract(request: HttpRequest, slug: str) -> HttpResponse:
    customer = selectors.customer_for_user_or_404(request.user, slug=slug)
    can_edit = selectors.user_is_manager(request.user)
    if request.method == "GET":
        return _render(request, customer, ContractForm(customer=customer) if can_edit else None)
    if not can_edit:
        raise PermissionDenied
    form = ContractForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            _update(request, customer, form.changes())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contract terms saved."))
            url = reverse("incidents:contract", kwargs={"slug": customer.slug})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return _render(request, customer, form, status=422)


def _update(request: HttpRequest, customer: Customer, changes: dict) -> Customer:
    """Save the terms and, when any changed, their audit event (before → after) in one transaction."""
    with transaction.atomic():
        before = audit.snapshot(Customer.objects.select_for_update().get(pk=customer.pk), CONTRACT_FIELDS)
        saved = customer_contract_update(customer=customer, author=request.user, **changes)
        after = audit.snapshot(saved, CONTRACT_FIELDS)
        if before != after:
            audit.record(action=audit.Action.CONTRACT_CHANGED, request=request, customer=saved, target=saved,
                         before=before, after=after)
    return saved


def _render(request: HttpRequest, customer: Customer, form: ContractForm | None, *, status: int = 200) -> HttpResponse:
    template = "incidents/contract.html#contract-form" if request.htmx and form else "incidents/contract.html"
    context = {"customer": customer, "form": form, "cadence_rows": cadence_table(customer)}
    return render(request, template, context, status=status)


def cadence_table(customer: Customer) -> list[dict]:
    """Minutes between public updates per severity and phase; resolved stops the cadence."""
    return [
        {
            "severity": severity,
            "active": customer.cadence_minutes(severity, Status.INVESTIGATING),
            "monitoring": customer.cadence_minutes(severity, Status.MONITORING),
        }
        for severity in Severity
    ]
