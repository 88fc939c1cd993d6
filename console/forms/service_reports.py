"""The monthly service report's console forms: the customer's setting, and a month to render."""

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import PlainTextForm
from insight.models import ServiceReportSetting
from insight.monthly.facts import parse_month


class ServiceReportSettingForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = ServiceReportSetting
        fields = ["enabled", "delivery"]


class RenderMonthForm(PlainTextForm, forms.Form):
    """A month that has begun in the customer's zone (``today``), written as YYYY-MM."""

    month = forms.CharField(label=gettext_lazy("Month (YYYY-MM)"), max_length=7)

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_month(self) -> date:
        try:
            month = parse_month(self.cleaned_data["month"].strip())
        except ValueError as error:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-11.")) from error
        if month > self.today:
            raise forms.ValidationError(_("That month has not begun yet."))
        return month
