"""The composer page: facts → one preview per audience → adjust → send now or schedule."""

import zoneinfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from console.access import staff_required
from console.compose import compose_send, preview
from console.forms import IncidentUpdateForm, LocalDateTimeField, in_zone
from core.forms import add_service_errors
from incidents import selectors


class ComposeForm(IncidentUpdateForm):
    """The update form's facts, plus an optional send time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("is_internal")  # the composer writes to stakeholders; notes go on the incident page
        self.fields["message"].required = True
        self.fields["send_at"] = LocalDateTimeField(label=_("Send at (empty: now)"), required=False)
        # The next-update time the previewed texts state, carried to the send (console.compose).
        self.fields["promise"] = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        cleaned["is_internal"] = False
        cleaned["send_at"] = in_zone(cleaned.get("send_at"), zoneinfo.ZoneInfo(self.incident.time_zone))
        return cleaned


@require_http_methods(["GET", "POST"])
@staff_required
def compose(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    if not incident.is_open:
        messages.error(request, _("This incident is resolved. Reopen it to send updates."))
        return redirect("incidents:detail", pk=incident.pk)
    customers = selectors.incident_customers_for_user(request.user, incident)
    form = ComposeForm(request.POST or None, incident=incident, customers=customers)
    if request.method == "GET" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "comms/compose.html", {"incident": incident, "form": form}, status=status)
    facts = _facts(form)
    try:
        shown = preview(incident=incident, author=request.user, facts=facts, edited=_edited_texts(request),
                        customers=customers)
    except ValidationError as error:
        add_service_errors(form, error)
        return render(request, "comms/compose.html", {"incident": incident, "form": form}, status=422)
    if "send" in request.POST:
        try:
            compose_send(incident=incident, author=request.user, facts=facts, drafts=shown.drafts,
                         send_at=form.cleaned_data["send_at"], promise=form.cleaned_data["promise"] or shown.promise)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Update posted; %(count)s messages are on their way.") % {
                "count": len(shown.drafts)})
            return redirect("incidents:detail", pk=incident.pk)
    status = 422 if form.errors else 200
    return render(request, "comms/compose.html", {"incident": incident, "form": form, "drafts": shown.drafts,
                                                  "promise": shown.promise}, status=status)


def _facts(form: ComposeForm) -> dict:
    facts = form.changed_facts()
    facts.pop("is_internal", None)
    return facts


def _edited_texts(request: HttpRequest) -> dict[str, tuple[str, str]]:
    """``subject-<key>`` / ``body-<key>`` pairs the account manager may have changed."""
    edited = {}
    for name, subject in request.POST.items():
        if name.startswith("subject-"):
            key = name.removeprefix("subject-")
            edited[key] = (subject.strip(), request.POST.get(f"body-{key}", "").strip())
    return edited
