"""The composer page: facts → one preview per audience → adjust → send now or schedule."""

import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from comms.compose import compose_send, drafts_for
from incidents import selectors
from incidents.console import add_service_errors, staff_required
from incidents.forms import IncidentUpdateForm, LocalDateTimeField, in_zone
from incidents.models import Incident


class ComposeForm(IncidentUpdateForm):
    """The update form's facts, plus an optional send time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("is_internal")  # the composer writes to stakeholders; notes go on the incident page
        self.fields["message"].required = True
        self.fields["send_at"] = LocalDateTimeField(label=_("Send at (empty: now)"), required=False)

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
    form = ComposeForm(request.POST or None, incident=incident)
    if request.method == "GET" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "comms/compose.html", {"incident": incident, "form": form}, status=status)
    facts = _facts(form)
    drafts = drafts_for(_fresh(incident), facts, edited=_edited_texts(request))
    if "send" in request.POST:
        try:
            compose_send(incident=incident, author=request.user, facts=facts, drafts=drafts,
                         send_at=form.cleaned_data["send_at"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Update posted; %(count)s messages are on their way.") % {
                "count": len(drafts)})
            return redirect("incidents:detail", pk=incident.pk)
    status = 422 if form.errors else 200
    return render(request, "comms/compose.html", {"incident": incident, "form": form, "drafts": drafts},
                  status=status)


def _facts(form: ComposeForm) -> dict:
    facts = form.changed_facts()
    facts.pop("is_internal", None)
    return facts


def _fresh(incident: Incident) -> Incident:
    # The preview applies the proposed facts to an in-memory copy; never to the page's object.
    return selectors.with_console_details(Incident.objects.filter(pk=incident.pk)).get()


def _edited_texts(request: HttpRequest) -> dict[str, tuple[str, str]]:
    """``subject-<key>`` / ``body-<key>`` pairs the account manager may have changed."""
    edited = {}
    for name, subject in request.POST.items():
        if name.startswith("subject-"):
            key = name.removeprefix("subject-")
            edited[key] = (subject.strip(), request.POST.get(f"body-{key}", "").strip())
    return edited
