"""Forms of the cadence panel (postpone the next update) and the regulatory clocks (mark filed)."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from console.forms.common import in_zone, incident_zone
from console.forms.datetimes import LocalDateTimeField
from core.forms import PlainTextForm
from incidents.models import Incident, RegulatoryClock

POSTPONE_SUGGESTION = timedelta(minutes=15)


class ExtendDueForm(PlainTextForm, forms.Form):
    """A later due time, typed in the incident's (first customer's) zone, and why it may wait."""

    until = LocalDateTimeField(label=_("New due time"))
    # Not required here: the service's message says why a reason is needed.
    reason = forms.CharField(label=_("Reason (kept on the internal timeline)"), required=False, max_length=1000,
                             widget=forms.TextInput)

    def __init__(self, *args, incident: Incident, **kwargs):
        self.incident = incident
        super().__init__(*args, auto_id="id_extend_%s", **kwargs)
        if incident.next_update_due_at:
            suggestion = incident.next_update_due_at + POSTPONE_SUGGESTION
            self.fields["until"].initial = timezone.localtime(suggestion, incident_zone(incident))

    def clean_until(self):
        return in_zone(self.cleaned_data["until"], incident_zone(self.incident))


class ClockFileForm(PlainTextForm, forms.Form):
    """Marks one regulatory notification as filed; the authority's reference is optional."""

    reference = forms.CharField(label=_("Authority's reference (optional)"), required=False, max_length=200,
                                widget=forms.TextInput(attrs={"placeholder": _("Authority's reference (optional)")}))

    def __init__(self, *args, clock: RegulatoryClock, **kwargs):
        self.clock = clock
        super().__init__(*args, auto_id=f"id_clock{clock.pk}_%s", **kwargs)
