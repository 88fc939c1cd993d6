"""Regulatory clocks on the incident page: mark a notification as filed."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import regulatory, selectors
from incidents.console import add_service_errors, staff_required
from incidents.forms import ClockFileForm
from incidents.views.incidents import after_write, render_detail


@require_POST
@staff_required
def clock_file(request: HttpRequest, pk: int) -> HttpResponse:
    clock = selectors.clock_for_user_or_404(request.user, pk=pk)
    incident = selectors.incident_for_user_or_404(request.user, pk=clock.incident_id)
    form = ClockFileForm(request.POST, clock=clock)
    if form.is_valid():
        try:
            regulatory.regulatory_clock_file(clock=clock, author=request.user,
                                             reference=form.cleaned_data["reference"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return after_write(request, incident, _("Notification marked as filed; the clock has stopped."))
    return render_detail(request, incident, clock_form=form, status=422)
