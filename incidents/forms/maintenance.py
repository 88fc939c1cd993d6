"""The maintenance window form: customer, its components (htmx-filtered), the window in the
customer's zone, and what customers should expect and do."""

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.forms.common import CustomerChoiceMixin, in_zone
from incidents.forms.datetimes import LocalDateTimeField
from incidents.models import Component, Customer


class MaintenanceForm(CustomerChoiceMixin, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))
    title = forms.CharField(label=_("Title"), max_length=200,
                            widget=forms.TextInput(attrs={"placeholder": _("Firewall firmware upgrade")}))
    components = forms.ModelMultipleChoiceField(queryset=Component.objects.none(), label=_("Components"),
                                                required=False, widget=forms.CheckboxSelectMultiple)
    starts_at = LocalDateTimeField(label=_("Starts at"), help_text=_("In the customer's time zone."))
    ends_at = LocalDateTimeField(label=_("Ends at"), help_text=_("In the customer's time zone."))
    expected_impact = forms.CharField(label=_("Expected impact"), required=False, max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    customer_action = forms.CharField(label=_("What users must do"), required=False, max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_customers(customers)
        # Only the chosen customer's components are offered, so another customer's cannot be chosen.
        self.fields["components"].queryset = self.selected_customer_components()
        self.fields["components"].label_from_instance = lambda component: component.name

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer")
        if customer:
            cleaned["starts_at"] = in_zone(cleaned.get("starts_at"), customer.tzinfo)
            cleaned["ends_at"] = in_zone(cleaned.get("ends_at"), customer.tzinfo)
        return cleaned

    def schedule_arguments(self) -> dict:
        """The cleaned data as keyword arguments for ``maintenance_schedule``."""
        fields = ["customer", "title", "components", "starts_at", "ends_at", "expected_impact", "customer_action"]
        return {field: self.cleaned_data[field] for field in fields}
