"""The follow-up pages: an incident's follow-up (customer escalations, compensation, remediation
actions), the actions list per customer and MSP-wide, a customer's credit policy, and the
billing export of granted credits.

Access is per customer (incidents.selectors): account managers act on their customers' parts
of an incident, managers on all; what a user may not see answers 404. Deciding compensation is
for managers (followup.services.may_decide_compensation): 403 for others. A form with errors
answers 422 on the incident's follow-up page, with the errors next to their fields.
"""

import csv
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.access import staff_required
from console.forms.followup import (
    ActionCloseForm,
    ActionFilterForm,
    ActionForm,
    CreditPolicyForm,
    DecisionForm,
    EscalationCloseForm,
    EscalationForm,
    PeriodForm,
    ProposeForm,
)
from console.views.log import csv_safe
from core.forms import add_service_errors, submit_form
from flows import followup as followup_flow
from followup import selectors, services
from followup.models import Compensation, CustomerEscalation
from incidents.models import Incident
from incidents.selectors import (
    customer_for_user_or_404,
    customers_for_user,
    incident_customers_for_user,
    incident_for_user_or_404,
)

CSV_HEADER = ["customer", "incident_number", "amount", "currency", "decided_at", "decided_by", "reason"]


def followup_panel(user, incident: Incident, **forms) -> dict:
    """What the incident page's follow-up block shows; ``forms`` replaces a form, e.g. with errors."""
    customers = incident_customers_for_user(user, incident)
    return {
        "incident": incident,
        "escalations": selectors.incident_escalations(incident, customers),
        "compensations": selectors.incident_compensations(incident, customers),
        "actions": selectors.incident_actions(incident, customers),
        "may_decide": services.may_decide_compensation(user),
        "escalation_form": forms.get("escalation_form") or EscalationForm(customers=customers),
        "propose_form": forms.get("propose_form") or ProposeForm(customers=customers),
        "action_form": forms.get("action_form") or ActionForm(customers=customers),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "close_form": forms.get("close_form") or EscalationCloseForm(),
        "action_close_form": ActionCloseForm(),
        "now": timezone.now(),
    }


def _page(request: HttpRequest, incident: Incident, *, status: int = 200, **forms) -> HttpResponse:
    return render(request, "followup/incident.html", {"followup": followup_panel(request.user, incident, **forms)},
                  status=status)


def _done(request: HttpRequest, incident: Incident, note: str) -> HttpResponse:
    messages.success(request, note)
    return redirect("followup:incident", pk=incident.pk)


def _submit(request: HttpRequest, incident: Incident, form, *, form_name: str, write: Callable[[dict], Any],
            note: str | Callable[[Any], str]) -> HttpResponse:
    """A follow-up form post (``core.forms.submit_form``): back to the incident's follow-up with ``note``,
    or the page again with the form's errors and 422."""
    return submit_form(form, write,
                       done=lambda written: _done(request, incident, note(written) if callable(note) else note),
                       again=lambda: _page(request, incident, status=422, **{form_name: form}))


@require_GET
@staff_required
def incident_followup(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, incident_for_user_or_404(request.user, pk=pk))


@require_POST
@staff_required
def escalation_create(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_user_or_404(request.user, pk=pk)
    form = EscalationForm(request.POST, customers=incident_customers_for_user(request.user, incident))
    return _submit(request, incident, form, form_name="escalation_form",
                   write=lambda data: followup_flow.record_escalation(incident=incident, author=request.user, **data),
                   note=lambda recorded: _("Escalation recorded. Management messages on their way: %(count)s")
                   % {"count": sum(len(message.recipient_ids) for message in recorded[1])})


def _escalation_or_404(request: HttpRequest, pk: int) -> CustomerEscalation:
    escalation = CustomerEscalation.objects.filter(pk=pk, customer__in=customers_for_user(request.user)).first()
    if escalation is None:
        raise Http404("No such escalation")
    return escalation


@require_POST
@staff_required
def escalation_close(request: HttpRequest, pk: int) -> HttpResponse:
    escalation = _escalation_or_404(request, pk)
    form = EscalationCloseForm(request.POST)
    return _submit(request, escalation.incident, form, form_name="close_form", note=_("Escalation closed."),
                   write=lambda data: services.escalation_close(escalation=escalation, resolution=data["resolution"],
                                                                author=request.user))


@require_POST
@staff_required
def compensation_propose(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_user_or_404(request.user, pk=pk)
    form = ProposeForm(request.POST, customers=incident_customers_for_user(request.user, incident))
    return _submit(request, incident, form, form_name="propose_form",
                   write=lambda data: followup_flow.propose_compensation(incident=incident, customer=data["customer"],
                                                                         author=request.user),
                   note=_("Compensation proposed from the contract and the measured downtime."))


@require_POST
@staff_required
def compensation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    compensation = Compensation.objects.filter(pk=pk, customer__in=customers_for_user(request.user)).first()
    if compensation is None:
        raise Http404("No such compensation")
    if not services.may_decide_compensation(request.user):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    return _submit(request, compensation.incident, form, form_name="decision_form", note=_("Compensation decided."),
                   write=lambda data: services.compensation_decide(compensation=compensation, author=request.user,
                                                                   **data))


@require_POST
@staff_required
def action_create(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_user_or_404(request.user, pk=pk)
    form = ActionForm(request.POST, customers=incident_customers_for_user(request.user, incident))

    def write(data: dict):
        try:
            return services.action_create(customer=data["customer"], incident=incident, title=data["title"],
                                          owner=data["owner"], author=request.user,
                                          due_at=services.due_at_for(data["due"], data["customer"]))
        except ValidationError as error:  # the service names the stored field; the form asks for "due"
            if "due_at" in error.message_dict:
                raise ValidationError({"due": error.message_dict["due_at"]}) from error
            raise

    return _submit(request, incident, form, form_name="action_form", write=write, note=_("Remediation action added."))


@require_GET
@staff_required
def action_list(request: HttpRequest) -> HttpResponse:
    """Every open, done or cancelled action the user may see; one customer's with ?customer=<slug>."""
    form = ActionFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    customer = customer_for_user_or_404(request.user, slug=filters["customer"]) if filters.get("customer") else None
    actions = selectors.actions_for_user(request.user, customer=customer, status=filters.get("status", ""))
    return render(request, "followup/actions.html", {
        "actions": actions[:500], "customer": customer, "filter_form": form, "close_form": ActionCloseForm(),
        "customers": customers_for_user(request.user), "now": timezone.now()})


@require_POST
@staff_required
def action_close(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.action_for_user(request.user, pk)
    if action is None:
        raise Http404("No such action")
    form = ActionCloseForm(request.POST)
    if form.is_valid():
        try:
            services.action_close(action=action, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Remediation action closed."))
            if request.POST.get("next") == "incident" and action.incident_id:
                return redirect("followup:incident", pk=action.incident_id)
            return redirect("followup:actions")
    return render(request, "followup/action_close.html", {"action": action, "form": form}, status=422)


@require_http_methods(["GET", "POST"])
@staff_required
def credit_policy(request: HttpRequest, slug: str) -> HttpResponse:
    customer = customer_for_user_or_404(request.user, slug=slug)
    policy = selectors.credit_policy(customer)
    form = CreditPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_policy_save(customer=customer, author=request.user,
                                        **{name: form.cleaned_data[name] for name in services.POLICY_FIELDS})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Credit policy saved."))
            return redirect("followup:credit_policy", slug=customer.slug)
    return render(request, "followup/credit_policy.html", {"customer": customer, "form": form},
                  status=422 if form.is_bound else 200)


@require_GET
@staff_required
def credits_csv(request: HttpRequest) -> HttpResponse:
    """Granted credits decided in the period (UTC days), for billing: the user's customers only."""
    today = timezone.now().date()
    form = PeriodForm(request.GET or {"start": today.replace(day=1).isoformat(), "end": today.isoformat()})
    if not form.is_valid():
        return HttpResponse("\n".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
                            status=400, content_type="text/plain; charset=utf-8")
    start = datetime.combine(form.cleaned_data["start"], time(0), tzinfo=UTC)
    end = datetime.combine(form.cleaned_data["end"] + timedelta(days=1), time(0), tzinfo=UTC)
    customer_ids = customers_for_user(request.user).values_list("pk", flat=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="kalm-credits-{form.cleaned_data["start"]:%Y%m%d}-'
                                       f'{form.cleaned_data["end"]:%Y%m%d}.csv"')
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for credit in selectors.credits_granted(customer_ids, start, end).prefetch_related("incident__customer_links"):
        number = next((link.number for link in credit.incident.customer_links.all()
                       if link.customer_id == credit.customer_id), "")
        writer.writerow([csv_safe(value) for value in (
            credit.customer.name, number, f"{credit.amount:.2f}", credit.currency,
            credit.decided_at.astimezone(UTC).isoformat(), credit.decided_by.get_username() if credit.decided_by
            else "", credit.reason)])
    return response
