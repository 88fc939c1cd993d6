"""The audit trail's filters (GET): customer, incident number, event, and a date range in the
console's time zone (``KALM_DEFAULT_TIME_ZONE``), both days included."""

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from audit.models import Action
from audit.selectors import incident_by_number
from console.forms.datetimes import LocalDateField
from core.forms import PlainTextForm
from incidents.models import Customer


class AuditFilterForm(PlainTextForm, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), required=False, to_field_name="slug",
                                      empty_label=_("All customers"), label=_("Customer"))
    incident = forms.CharField(required=False, max_length=32, label=_("Incident number"))
    action = forms.ChoiceField(choices=[("", _("All events")), *Action.choices], required=False, label=_("Event"))
    since = LocalDateField(required=False, label=_("From"))
    until = LocalDateField(required=False, label=_("To"))

    def __init__(self, *args, customers: QuerySet[Customer], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    def clean_incident(self) -> Any:
        number = self.cleaned_data["incident"].strip()
        if not number:
            return None
        incident = incident_by_number(number)
        if incident is None:
            raise forms.ValidationError(_("No incident has this number."))
        return incident

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date comes before the start date."))
        return cleaned

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``audit.selectors.events_filtered`` (valid fields only)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        if "since" in data:
            data["since"] = _day_start(data["since"])
        if "until" in data:
            data["until"] = _day_start(data["until"] + timedelta(days=1))
        return data


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(settings.KALM_DEFAULT_TIME_ZONE))
