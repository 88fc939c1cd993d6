"""The "Start drill" form: which of the user's customers, which scenario."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.forms import PlainTextForm
from flows.drill_scenarios import DEFAULT_SCENARIO, scenario_choices
from incidents.models import Customer


class DrillStartForm(PlainTextForm, forms.Form):
    customer = forms.ChoiceField(label=_("Customer"))
    scenario = forms.ChoiceField(label=_("Scenario"), initial=DEFAULT_SCENARIO)

    def __init__(self, *args, customers: QuerySet[Customer], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(customer.slug, customer.name) for customer in customers]
        self.fields["scenario"].choices = scenario_choices()
