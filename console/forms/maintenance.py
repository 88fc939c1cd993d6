"""The maintenance window forms: scheduling (customer, its components (htmx-filtered), the
window in the customer's zone, and what customers should expect and do) and correcting the
texts of a window that has not closed. Both ask for each text in every language the
customer's readers need (console.forms.texts)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from console.forms.common import CustomerChoiceMixin, in_zone
from console.forms.datetimes import LocalDateTimeField
from console.forms.texts import TextsInLanguagesMixin, show_visibility
from core.forms import BoundedModelMultipleChoiceField, PlainTextForm
from incidents.maintenance import MAINTENANCE_TEXTS
from incidents.models import Component, Customer, Language, Maintenance
from incidents.selectors import reader_languages

# The form field "title" sets the window's title (the fact "maintenance_title"); the others are named as their facts.
FACT_OF = {"title": "maintenance_title"}


class MaintenanceTextsMixin(TextsInLanguagesMixin):
    """The window's texts, each in the customer's language and its readers' other languages."""

    def add_text_languages(self, customer: Customer | None, *, current=None) -> None:
        written_in = customer.language if customer else Language.ENGLISH
        self.add_languages(MAINTENANCE_TEXTS, written_in=written_in, current=current,
                           languages=reader_languages([customer]) if customer else [written_in])
        show_visibility(self, MAINTENANCE_TEXTS, fact_of=FACT_OF)


def _title_field() -> forms.CharField:
    return forms.CharField(label=_("Title"), max_length=200,
                           widget=forms.TextInput(attrs={"placeholder": _("Firewall firmware upgrade")}))


def _impact_field() -> forms.CharField:
    return forms.CharField(label=_("Expected impact"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _action_field() -> forms.CharField:
    return forms.CharField(label=_("What users must do"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class MaintenanceForm(PlainTextForm, CustomerChoiceMixin, MaintenanceTextsMixin, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))
    title = _title_field()
    components = BoundedModelMultipleChoiceField(queryset=Component.objects.none(), label=_("Components"),
                                                 required=False, widget=forms.CheckboxSelectMultiple)
    starts_at = LocalDateTimeField(label=_("Starts at"), help_text=_("In the customer's time zone."))
    ends_at = LocalDateTimeField(label=_("Ends at"), help_text=_("In the customer's time zone."))
    expected_impact = _impact_field()
    customer_action = _action_field()

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_customers(customers)
        # Only the chosen customer's components are offered, so another customer's cannot be chosen.
        self.fields["components"].queryset = self.selected_customer_components()
        self.fields["components"].label_from_instance = lambda component: component.name
        self.add_text_languages(self.selected_customer())

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer")
        if customer:
            cleaned["starts_at"] = in_zone(cleaned.get("starts_at"), customer.tzinfo)
            cleaned["ends_at"] = in_zone(cleaned.get("ends_at"), customer.tzinfo)
            self.check_languages()
        return cleaned

    def schedule_arguments(self) -> dict:
        """The cleaned data as keyword arguments for ``maintenance_schedule``."""
        fields = ["customer", "title", "components", "starts_at", "ends_at", "expected_impact", "customer_action"]
        return {field: self.cleaned_data[field] for field in fields} | {"translations": self.translations()}


class MaintenanceTextsForm(PlainTextForm, MaintenanceTextsMixin, forms.Form):
    """Correct or complete the texts of a window that has not closed, in every reader language."""

    title = _title_field()
    expected_impact = _impact_field()
    customer_action = _action_field()

    def __init__(self, *args, maintenance: Maintenance, **kwargs):
        self.maintenance = maintenance
        initial = {field: getattr(maintenance, field) for field in MAINTENANCE_TEXTS}
        super().__init__(*args, initial=initial, **kwargs)
        self.add_text_languages(maintenance.customer, current=maintenance.translations)

    def clean(self):
        cleaned = super().clean()
        # Only a text being changed must come in every language; one left alone was decided before.
        changing = [name for name in MAINTENANCE_TEXTS if self._text_changed(name)]
        if changing:
            self.check_languages(changing)
        return cleaned

    def _text_changed(self, name: str) -> bool:
        return (self.add_prefix(name) in self.data
                and (self.cleaned_data.get(name) or "").strip() != getattr(self.maintenance, name))

    def edit_arguments(self) -> dict:
        """Keyword arguments for ``maintenance_edit_texts``: a text the page did not show is None (kept)."""
        texts = {name: self.cleaned_data.get(name) if self.add_prefix(name) in self.data else None
                 for name in MAINTENANCE_TEXTS}
        return texts | {"translations": self.translations()}
