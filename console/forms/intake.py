"""Forms of the monitoring-intake pages: a new integration, its settings, a mapping rule, a test payload."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BoundedModelMultipleChoiceField, PlainTextForm
from incidents.models import Category, Customer, Severity
from intake.models import Integration, Kind, Policy
from intake.sources.generic import mapping_errors

MAX_PAYLOAD = 200_000  # characters of a test payload


class NewIntegrationForm(PlainTextForm, forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    kind = forms.ChoiceField(label=_("Source"), choices=Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           help_text=_("Optional, to tell two integrations of one source apart."))
    policy = forms.ChoiceField(label=_("Policy"), choices=Policy.choices, initial=Policy.PUBLISH,
                               widget=forms.RadioSelect)

    def __init__(self, *args, customers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class IntegrationSettingsForm(PlainTextForm, forms.ModelForm):
    mapping_text = forms.CharField(
        label=_("Mapping (JMESPath, as JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("For generic JSON: each of Kalm's fields (fingerprint, title, status, severity, …) and the "
                    "JMESPath expression that finds it in the body. Empty: the default mapping."))

    class Meta:
        model = Integration
        fields = ["name", "policy", "resolution", "quiet_minutes", "flap_seconds", "default_severity", "category",
                  "signing_secret", "enabled"]
        widgets = {"policy": forms.RadioSelect, "resolution": forms.RadioSelect,
                   "signing_secret": forms.PasswordInput(render_value=True)}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quiet_minutes"].validators.append(_at_most(24 * 60))
        self.fields["flap_seconds"].validators.append(_at_most(24 * 3600))
        if self.instance.kind != Kind.GENERIC:
            del self.fields["mapping_text"]
        elif not self.is_bound:
            self.fields["mapping_text"].initial = json.dumps(self.instance.mapping, indent=2) \
                if self.instance.mapping else ""

    def clean_mapping_text(self) -> dict:
        return parse_mapping(self.cleaned_data["mapping_text"])


def parse_mapping(text: str) -> dict:
    """A mapping typed as JSON: an object of field → expression, each expression valid (generic source)."""
    if not text.strip():
        return {}
    try:
        mapping = json.loads(text)
    except ValueError as error:
        raise ValidationError(_("Not valid JSON: %(error)s") % {"error": error}) from None
    if not isinstance(mapping, dict):
        raise ValidationError(_("Write a JSON object: each field and its expression."))
    problems = mapping_errors(mapping)
    if problems:
        raise ValidationError([f"{key}: {problem}" for key, problem in problems.items()])
    return mapping


def _at_most(limit: int):
    def check(value: int | None) -> None:
        if value is not None and value > limit:
            raise ValidationError(_("At most %(limit)d.") % {"limit": limit})
    return check


class RuleForm(PlainTextForm, forms.Form):
    match = forms.CharField(
        label=_("Labels to match"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One label=value per line; all must match. value * matches any value. Empty: every alert."))
    customers = BoundedModelMultipleChoiceField(
        label=_("Customers"), queryset=Customer.objects.none(), required=False,
        help_text=_("Several customers make one shared incident, each with its own number. "
                    "None: the integration's customer."))
    components = forms.CharField(label=_("Components"), required=False, max_length=1000,
                                 help_text=_("Names, separated by commas. Empty: the alert's component label."))
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=[("", _("The alert's own"))] + list(Severity.choices))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("The integration's"))] + list(Category.choices))
    policy = forms.ChoiceField(label=_("Policy"), required=False,
                               choices=[("", _("The integration's"))] + list(Policy.choices))
    flap_seconds = forms.IntegerField(label=_("Fire for at least (seconds)"), required=False, min_value=0,
                                      max_value=24 * 3600)

    def __init__(self, *args, customers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customers"].queryset = customers

    def clean_match(self) -> dict[str, str]:
        match = {}
        for number, line in enumerate(self.cleaned_data["match"].splitlines(), start=1):
            if not line.strip():
                continue
            key, sign, value = line.partition("=")
            if not sign or not key.strip() or not value.strip():
                raise ValidationError(_("Line %(number)d: write label=value.") % {"number": number})
            match[key.strip()[:100]] = value.strip()[:200]
        return match

    def clean_components(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["components"].split(",") if name.strip()][:50]


class TestPayloadForm(PlainTextForm, forms.Form):
    body = forms.CharField(label=_("Payload"), max_length=MAX_PAYLOAD, strip=False,
                           widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}))
    mapping_text = forms.CharField(label=_("Mapping (JMESPath, as JSON)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))

    def clean_mapping_text(self) -> dict:
        return parse_mapping(self.cleaned_data["mapping_text"])
