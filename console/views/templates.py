"""Template editor: every kind × audience per language, edit with a live preview (htmx).

MSP-wide templates are for managers; a customer's own templates for its account managers.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import services as audit
from comms.messages.context import ALLOWED_VARIABLES
from comms.messages.rendering import SOURCE_MAX, SUBJECT_MAX, RenderError, TemplateSource, render_text, template_source
from comms.messages.samples import sample_context
from comms.messages.templates import message_template_reset, message_template_save
from comms.models import Audience, MessageKind, MessageTemplate
from console.access import staff_required
from core.forms import PlainTextForm, add_service_errors
from incidents import selectors
from incidents.models import Customer, Language


class TemplateForm(PlainTextForm, forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX)
    body = forms.CharField(label=gettext_lazy("Body"), max_length=SOURCE_MAX,
                           widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true"}))


def _scope(request: HttpRequest, *, for_edit: bool) -> Customer | None:
    """The customer whose templates are meant (``?customer=slug``), or None for MSP-wide ones."""
    slug = request.GET.get("customer") or request.POST.get("customer") or ""
    if not slug:
        if for_edit and not selectors.user_is_manager(request.user):
            raise PermissionDenied
        return None
    customer = selectors.customer_for_user(request.user, slug=slug)
    if customer is None:
        raise Http404
    return customer


def _key(request: HttpRequest) -> tuple[str, str, str]:
    data = request.GET if request.method == "GET" else request.POST
    kind, audience, language = data.get("kind", ""), data.get("audience", ""), data.get("language", "en")
    if kind not in MessageKind.values or audience not in Audience.values or language not in Language.values:
        raise Http404
    return kind, audience, language


@require_GET
@staff_required
def template_list(request: HttpRequest) -> HttpResponse:
    customer = _scope(request, for_edit=False)
    language = request.GET.get("language") if request.GET.get("language") in Language.values else "en"
    # (kind, audience) → the error it failed with when sending, "" for an edited template that works
    overrides = {(kind, audience): error if failed_at else "" for kind, audience, failed_at, error in
                 MessageTemplate.objects.filter(customer=customer, language=language)
                 .values_list("kind", "audience", "failed_at", "last_error")}
    rows = [(kind, [(audience, (kind.value, audience.value) in overrides,
                     overrides.get((kind.value, audience.value), "")) for audience in Audience])
            for kind in MessageKind]
    return render(request, "comms/templates.html", {
        "rows": rows, "audiences": list(Audience), "language": language, "languages": Language.choices,
        "customer": customer, "customers": selectors.customers_for_user(request.user),
        "may_edit": _may_edit(request, customer),
    })


def _may_edit(request: HttpRequest, customer: Customer | None) -> bool:
    """A customer's templates: whoever sees the customer; the MSP-wide ones: managers (as ``_scope``)."""
    return customer is not None or selectors.user_is_manager(request.user)


@require_http_methods(["GET", "POST"])
@staff_required
def template_edit(request: HttpRequest) -> HttpResponse:
    customer = _scope(request, for_edit=True)
    kind, audience, language = _key(request)
    source = template_source(kind=kind, audience=audience, language=language, customer=customer)
    form = TemplateForm(request.POST or None, initial={"subject": source.subject, "body": source.body})
    if request.method == "POST":
        key = {"customer": customer, "kind": kind, "audience": audience, "language": language}
        if "reset" in request.POST:
            with transaction.atomic():
                if message_template_reset(**key):
                    _record(request, audit.Action.TEMPLATE_RESET, key, source)
            messages.success(request, _("Template reset to the default."))
            return redirect(_edit_url(customer, kind, audience, language))
        if form.is_valid():
            try:
                with transaction.atomic():
                    message_template_save(**key, subject=form.cleaned_data["subject"],
                                          body=form.cleaned_data["body"], author=request.user)
                    _record(request, audit.Action.TEMPLATE_SAVED, key, source)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Template saved."))
                return redirect(_edit_url(customer, kind, audience, language))
    failed = MessageTemplate.objects.filter(customer=customer, kind=kind, audience=audience, language=language,
                                            failed_at__isnull=False).values("failed_at", "last_error").first()
    context = {"form": form, "customer": customer, "kind": MessageKind(kind), "audience": Audience(audience),
               "language": language, "origin": source.origin, "variables": sorted(ALLOWED_VARIABLES),
               "preview": _preview(source.subject, source.body, language), "failed": failed}
    return render(request, "comms/template_edit.html", context, status=422 if form.errors else 200)


def _record(request: HttpRequest, action: str, key: dict, before: TemplateSource) -> None:
    """The audit event of a save or reset: the text before → the text that applies now (none when the
    same text is saved again)."""
    customer = key["customer"]
    after = template_source(**key)
    if _template_facts(after) == _template_facts(before):  # a save of the same text is a new version, no change
        return
    name = f"{key['kind']}/{key['audience']}/{key['language']}"  # codes: the trail is read in any language
    audit.record(action=action, request=request, customer=customer, object_type="comms.messagetemplate",
                 object_id=f"{customer.slug if customer else '*'}/{name}",
                 object_repr=f"{name} ({customer.name if customer else 'MSP'})",
                 before=_template_facts(before), after=_template_facts(after))


def _template_facts(source: TemplateSource) -> dict[str, str]:
    return {"subject": source.subject, "body": source.body, "origin": source.origin}


def _edit_url(customer: Customer | None, kind: str, audience: str, language: str) -> str:
    query = {"kind": kind, "audience": audience, "language": language}
    if customer:
        query["customer"] = customer.slug
    return f"{reverse('comms:template_edit')}?{urlencode(query)}"


@require_POST
@staff_required
def template_preview(request: HttpRequest) -> HttpResponse:
    """htmx: render the text being edited against the sample incident; 422 with the errors when it fails.

    The renderer refuses source over ``SOURCE_MAX`` characters and stops at its bounds (steps,
    output, time), so a request takes milliseconds whatever it posts.
    """
    language = request.POST.get("language") if request.POST.get("language") in Language.values else "en"
    preview = _preview(request.POST.get("subject", ""), request.POST.get("body", ""), language)
    return render(request, "comms/template_edit.html#preview", {"preview": preview},
                  status=422 if preview.get("errors") else 200)


def _preview(subject: str, body: str, language: str) -> dict:
    try:
        rendered = render_text(subject=subject, body=body, context=sample_context(language), language=language)
    except RenderError as error:
        return {"errors": error.errors}
    return {"subject": rendered.subject, "body": rendered.body_text, "short": rendered.short_text}
