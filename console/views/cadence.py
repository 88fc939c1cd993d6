"""The incident's rhythm: postpone the next update (with a logged reason) and approve the
held acknowledgment (from the incident page or the dashboard)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import staff_required
from console.forms import ExtendDueForm, incident_zone
from console.forms.datetimes import format_datetime
from console.views.dashboard import render_dashboard
from console.views.incidents import after_write, submit_on_incident
from flows import incidents as incident_flow
from incidents import selectors

FROM_DASHBOARD = "dashboard"


@require_POST
@staff_required
def incident_extend_due(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    form = ExtendDueForm(request.POST, incident=incident)
    return submit_on_incident(
        request, incident, form, form_name="extend_form",
        note=lambda _update: postponed_note(form.cleaned_data["until"], incident_zone(incident)),
        write=lambda data: incident_flow.extend_due(incident=incident, author=request.user, until=data["until"],
                                                       reason=data["reason"]),
    )


def postponed_note(until: datetime, zone: ZoneInfo) -> str:
    """ "Next update postponed to 15:30 (CEST)." — with the date when it is not today there."""
    local = timezone.localtime(until, zone)
    same_day = local.date() == timezone.localtime(timezone.now(), zone).date()
    when = local.strftime("%H:%M") if same_day else format_datetime(local)
    return _("Next update postponed to %(time)s.") % {"time": f"{when} {local.strftime('%Z')}"}


@require_POST
@staff_required
def incident_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve the acknowledgment; a second click (or the tick got there first) changes nothing."""
    incident = selectors.incident_for_user_or_404(request.user, pk=pk)
    released = incident_flow.release_acknowledgment(incident=incident, author=request.user)
    note = _("Acknowledgment released.") if released else _("The acknowledgment had already gone out.")
    if request.POST.get("from") != FROM_DASHBOARD:
        return after_write(request, incident, note)
    if request.htmx:
        return render_dashboard(request)
    messages.success(request, note)
    return redirect("incidents:dashboard")
