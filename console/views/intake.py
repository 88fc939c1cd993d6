"""Monitoring intake in the console: the integrations (address, settings, rules, requests, test a
payload) and the alert inbox (publish, add to an open incident, dismiss). Thin: forms parse,
``intake.integrations`` / ``intake.inbox`` change, ``intake.selectors`` read."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from console.access import staff_required
from console.forms.intake import IntegrationSettingsForm, NewIntegrationForm, RuleForm, TestPayloadForm
from core.forms import add_service_errors
from incidents.selectors import customers_for_user, incidents_for_user
from intake import inbox, integrations, selectors
from intake.models import Kind, MappingRule
from intake.preview import preview
from intake.sources.generic import DEFAULT_MAPPING


@require_http_methods(["GET", "POST"])
@staff_required
def integration_list(request: HttpRequest) -> HttpResponse:
    customers = customers_for_user(request.user)
    form = NewIntegrationForm(request.POST or None, customers=customers)
    if form.is_bound and form.is_valid():
        integration = integrations.integration_create(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Integration added. Point %(source)s at the address below.")
                         % {"source": integration.get_kind_display()})
        return redirect("monitoring:integration", pk=integration.pk)
    return render(request, "intake/integrations.html",
                  {"integrations": selectors.integrations_for_user(request.user), "form": form},
                  status=422 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@staff_required
@never_cache  # the page shows the integration's secret address
def integration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    integration = selectors.integration_for_user_or_404(request.user, pk=pk)
    form = IntegrationSettingsForm(request.POST or None, instance=integration)
    if form.is_bound:
        if form.is_valid():
            changes = {field: form.cleaned_data[field] for field in IntegrationSettingsForm.Meta.fields}
            if "mapping_text" in form.cleaned_data:
                changes["mapping"] = form.cleaned_data["mapping_text"]
            try:
                integrations.integration_change(integration, actor=request.user, **changes)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("monitoring:integration", pk=integration.pk)
        integration.refresh_from_db()
    return _detail(request, integration, settings_form=form, status=422 if form.is_bound else 200)


def _detail(request: HttpRequest, integration, *, settings_form=None, rule_form=None, test_form=None,
            result=None, status: int = 200) -> HttpResponse:
    customers = customers_for_user(request.user)
    context = {
        "integration": integration,
        "url": integrations.webhook_url(integration),
        "settings_form": settings_form or IntegrationSettingsForm(instance=integration),
        "rules": integration.rules.prefetch_related("customers"),
        "rule_form": rule_form or RuleForm(customers=customers),
        "test_form": test_form or TestPayloadForm(initial={"mapping_text": _mapping_text(integration)}),
        "result": result,
        "requests": selectors.recent_requests(integration),
        "is_generic": integration.kind == Kind.GENERIC,
    }
    return render(request, "intake/integration.html", context, status=status)


def _mapping_text(integration) -> str:
    return json.dumps(integration.mapping or DEFAULT_MAPPING, indent=2)


@require_POST
@staff_required
def integration_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    integration = selectors.integration_for_user_or_404(request.user, pk=pk)
    integrations.token_rotate(integration, actor=request.user)
    messages.success(request, _("New address made. The old one keeps working for a day: re-point the source now."))
    return redirect("monitoring:integration", pk=integration.pk)


@require_POST
@staff_required
def rule_add(request: HttpRequest, pk: int) -> HttpResponse:
    integration = selectors.integration_for_user_or_404(request.user, pk=pk)
    form = RuleForm(request.POST, customers=customers_for_user(request.user))
    if not form.is_valid():
        return _detail(request, integration, rule_form=form, status=422)
    data = form.cleaned_data
    integrations.rule_add(integration, actor=request.user, customers=list(data["customers"]), match=data["match"],
                          components=data["components"], severity=data["severity"], category=data["category"],
                          policy=data["policy"], flap_seconds=data["flap_seconds"])
    messages.success(request, _("Rule added."))
    return redirect("monitoring:integration", pk=integration.pk)


@require_POST
@staff_required
def rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    integration = selectors.integration_for_user_or_404(request.user, pk=pk)
    integrations.rule_delete(get_object_or_404(MappingRule, pk=rule_pk, integration=integration),
                             actor=request.user)
    messages.success(request, _("Rule deleted."))
    return redirect("monitoring:integration", pk=integration.pk)


@require_POST
@staff_required
def integration_test(request: HttpRequest, pk: int) -> HttpResponse:
    """What Kalm would make of a payload: nothing stored, nothing sent (the htmx panel, or the whole page)."""
    integration = selectors.integration_for_user_or_404(request.user, pk=pk)
    form = TestPayloadForm(request.POST)
    result = None
    if form.is_valid():
        mapping = form.cleaned_data["mapping_text"] if integration.kind == Kind.GENERIC else None
        result = preview(integration, form.cleaned_data["body"], mapping=mapping)
    if request.htmx:
        return render(request, "intake/_test_result.html", {"result": result, "test_form": form},
                      status=200 if form.is_valid() else 422)
    return _detail(request, integration, test_form=form, result=result, status=200 if form.is_valid() else 422)


@require_safe
@staff_required
def alert_inbox(request: HttpRequest) -> HttpResponse:
    context = {"groups": selectors.inbox_for_user(request.user),
               "recent": selectors.recent_alerts_for_user(request.user)}
    template = "intake/_inbox.html" if request.htmx else "intake/inbox.html"
    return render(request, template, context)


@require_POST
@staff_required
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    alert = selectors.inbox_alert_for_user_or_404(request.user, pk=pk)
    try:
        if action == "publish":
            incident = inbox.publish(alert, actor=request.user)
            messages.success(request, _("Published as %(number)s: the acknowledgment is on its way.")
                             % {"number": incident.first_link.number})
            return redirect("incidents:detail", pk=incident.pk)
        if action == "merge":
            incident = get_object_or_404(incidents_for_user(request.user).filter(is_drill=False),  # never a drill
                                         pk=_number(request.POST.get("incident")))
            inbox.merge(alert, incident, actor=request.user)
            messages.success(request, _("Added to %(number)s.") % {"number": incident.first_link.number})
            return redirect("incidents:detail", pk=incident.pk)
        if action == "dismiss":
            inbox.dismiss(alert, actor=request.user)
            messages.success(request, _("Dismissed: nobody is told."))
            return redirect("monitoring:inbox")
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return redirect("monitoring:inbox")
    return HttpResponse(status=404)


def _number(value: str | None) -> int:
    """A key from the form, or 0 (found nowhere: a 404) for anything that is not one."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else 0
