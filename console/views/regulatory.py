"""Regulatory clocks on the incident page: mark a notification as filed."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import staff_required
from console.forms import ClockFileForm
from console.views.incidents import submit_on_incident
from incidents import regulatory, selectors


@require_POST
@staff_required
def clock_file(request: HttpRequest, pk: int) -> HttpResponse:
    clock = selectors.clock_for_user_or_404(request.user, pk=pk)
    incident = selectors.incident_for_user_or_404(request.user, pk=clock.incident_id)
    return submit_on_incident(
        request, incident, ClockFileForm(request.POST, clock=clock), form_name="clock_form",
        note=_("Notification marked as filed; the clock has stopped."),
        write=lambda data: regulatory.regulatory_clock_file(clock=clock, author=request.user,
                                                            reference=data["reference"]),
    )
