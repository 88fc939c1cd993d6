"""The playbook's console forms: a role assignment, a standby shift, a checklist item template."""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from console.forms.common import in_zone
from console.forms.datetimes import LocalDateTimeField
from core.forms import PlainTextForm
from playbook.models import ChecklistTemplate, RoleCode


class RoleAssignForm(PlainTextForm, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=RoleCode.choices)
    user = forms.ModelChoiceField(label=_("Person"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people


class RotaShiftForm(PlainTextForm, forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None, required=False,
                                      empty_label=_("All customers"))
    user = forms.ModelChoiceField(label=_("On duty"), queryset=get_user_model().objects.none())
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))
    is_override = forms.BooleanField(label=_("Override (wins over the regular shifts)"), required=False)

    def __init__(self, *args, customers, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["user"].queryset = people

    def clean(self):
        data = super().clean()
        customer = data.get("customer")
        zone = customer.tzinfo if customer else zoneinfo.ZoneInfo(settings.KALM_DEFAULT_TIME_ZONE)
        for name in ("starts_at", "ends_at"):
            if data.get(name):
                data[name] = in_zone(data[name], zone)
        return data


class ChecklistTemplateForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = ChecklistTemplate
        fields = ["phase", "category", "severity", "owner_role", "due_minutes", "position", "text_en", "text_nl",
                  "text_de", "is_active"]

    def clean_due_minutes(self) -> int:
        value = self.cleaned_data["due_minutes"]
        if value > 60 * 24 * 60:
            raise forms.ValidationError(_("At most 60 days."))
        return value
