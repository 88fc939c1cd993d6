"""The follow-up forms: a customer's escalation, the credit policy and a compensation decision,
remediation actions (add, close with evidence) and the billing export's period.

Customers and owners are bounded choices (the user's customers, active staff); amounts are
decimals of at most two places and never negative; texts refuse control characters
(``core.forms.PlainTextForm``). The services check the rules again (followup.services).
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from console.forms.common import CustomerChoiceMixin
from console.forms.datetimes import LocalDateField
from core.forms import PlainTextForm
from followup.models import ActionStatus, CreditPolicy, EscalationChannel
from followup.services import MAX_AMOUNT
from incidents.models import Customer


def staff_users():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


class _OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def _owner_field(required: bool = False) -> forms.ModelChoiceField:
    return _OwnerField(queryset=staff_users(), label=_("Owner"), required=required)


class EscalationForm(PlainTextForm, CustomerChoiceMixin, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))
    raised_by = forms.CharField(label=_("Who escalated"), max_length=200,
                                widget=forms.TextInput(attrs={"placeholder": _("J. de Vries, CFO")}))
    channel = forms.ChoiceField(label=_("Channel"), choices=EscalationChannel.choices)
    demand = forms.CharField(label=_("What they demand"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    owner = _owner_field()

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, prefix="escalation", **kwargs)
        self.limit_customers(customers)
        self.fields["owner"].queryset = staff_users()


class EscalationCloseForm(PlainTextForm, forms.Form):
    resolution = forms.CharField(label=_("How it was resolved"), max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))


class ProposeForm(PlainTextForm, CustomerChoiceMixin, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, prefix="propose", **kwargs)
        self.limit_customers(customers)


class DecisionForm(PlainTextForm, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("approve", _("Approve the proposed amount")), ("adjust", _("Adjust the amount")), ("decline", _("Decline"))])
    amount = forms.DecimalField(label=_("Adjusted amount"), required=False, min_value=Decimal(0),
                                max_value=MAX_AMOUNT, max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required to adjust or decline; it goes into the report."))


class CreditPolicyForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = CreditPolicy
        fields = ["monthly_fee", "currency", "percent_per_hour", "allowed_downtime_minutes", "cap_percent"]

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()


class ActionForm(PlainTextForm, CustomerChoiceMixin, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))
    title = forms.CharField(label=_("Action"), max_length=500)
    owner = _owner_field()
    due = LocalDateField(label=_("Due date"), help_text=_("The end of this day in the customer's time zone."))

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, prefix="action", **kwargs)
        self.limit_customers(customers)
        self.fields["owner"].queryset = staff_users()


class ActionCloseForm(PlainTextForm, forms.Form):
    status = forms.ChoiceField(label=_("Outcome"), choices=[(ActionStatus.DONE, ActionStatus.DONE.label),
                                                           (ActionStatus.CANCELLED, ActionStatus.CANCELLED.label)],
                               initial=ActionStatus.DONE)
    evidence = forms.CharField(label=_("Evidence"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
                               help_text=_("What was done, and where it can be checked (a change number, a link)."))


class ActionFilterForm(PlainTextForm, forms.Form):
    customer = forms.SlugField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", _("All")), *ActionStatus.choices])


class PeriodForm(PlainTextForm, forms.Form):
    """The billing export's period, whole days in UTC: from ``start`` up to and including ``end``."""

    start = LocalDateField(label=_("From"))
    end = LocalDateField(label=_("Up to and including"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("end", _("The end must not be before the start."))
        return cleaned
