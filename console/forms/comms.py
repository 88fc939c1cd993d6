"""Console forms for the communication log filter, stakeholders and the stakeholder import.

Forms parse input; the rules live in ``comms.directory.stakeholders`` (services) and come back as
ValidationErrors that the views put next to the fields.
"""

from datetime import timedelta
from typing import Any

from django import forms
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comms.directory.stakeholders import (
    MAX_IMPORT_BYTES,
    StakeholderData,
    import_rows_from_csv,
    import_text_from_bytes,
    stakeholder_data_of,
)
from comms.models import COMMUNICATION_KINDS, Audience, Channel, DeliveryState, Role, Stakeholder
from core.forms import LARGEST_KEY, BoundedModelMultipleChoiceField, PlainTextForm
from core.validators import CONTROL_CHARACTERS
from incidents.models import Component, Customer, Language

PERIOD_CHOICES = [("", _("Any time")), ("1", _("Last 24 hours")), ("7", _("Last 7 days")),
                  ("30", _("Last 30 days"))]
IMPORT_SALT = "comms.stakeholder_import"
IMPORT_MAX_AGE = 60 * 60  # seconds between preview and confirmation


def _with_all(choices, label) -> list[tuple[str, str]]:
    return [("", label), *choices]


class DeliveryFilterForm(PlainTextForm, forms.Form):
    """The communication log's filters (GET). Invalid values are reported and ignored."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), required=False, to_field_name="slug",
                                      empty_label=_("All customers"), label=_("Customer"))
    number = forms.CharField(required=False, max_length=32, label=_("Incident number"))
    kind = forms.ChoiceField(choices=_with_all(COMMUNICATION_KINDS, _("All kinds")), required=False,
                             label=_("Kind"))
    audience = forms.ChoiceField(choices=_with_all(Audience.choices, _("All audiences")), required=False,
                                 label=_("Audience"))
    channel = forms.ChoiceField(choices=_with_all(Channel.choices, _("All channels")), required=False,
                                label=_("Channel"))
    state = forms.ChoiceField(choices=_with_all(DeliveryState.choices, _("All states")), required=False,
                              label=_("State"))
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, label=_("Period"))
    incident = forms.IntegerField(required=False, min_value=1, max_value=LARGEST_KEY, widget=forms.HiddenInput)

    def __init__(self, *args, customers: QuerySet[Customer], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``comms.selectors.deliveries_filtered`` (valid fields only)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        period = data.pop("period", None)
        if period:
            data["since"] = timezone.now() - timedelta(days=int(period))
        return data


class StakeholderForm(PlainTextForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices,
                                 help_text=_("How much detail, in whose words."))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("SMS number"), max_length=20, required=False,
                            help_text=_("International format, e.g. +31612345678."))
    teams_webhook_url = forms.URLField(label=_("Teams webhook URL"), max_length=500, required=False)
    slack_webhook_url = forms.URLField(label=_("Slack webhook URL"), max_length=500, required=False)
    webhook_url = forms.URLField(label=_("Webhook URL"), max_length=500, required=False)
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret"), max_length=128, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current secret."),
    )
    components = BoundedModelMultipleChoiceField(
        label=_("Components"), queryset=Component.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Only messages about these components. None means all."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, customer: Customer, stakeholder: Stakeholder | None = None, **kwargs) -> None:
        if stakeholder is not None:
            current = stakeholder_data_of(stakeholder)
            kwargs.setdefault("initial", {**current.__dict__, "webhook_secret": ""})
        else:
            kwargs.setdefault("initial", {"language": customer.language, "is_active": True})
        super().__init__(*args, **kwargs)
        self.fields["components"].queryset = customer.components.order_by("group", "position", "name")
        self.fields["components"].label_from_instance = lambda component: component.name

    def stakeholder_data(self) -> StakeholderData:
        data = dict(self.cleaned_data)
        data["components"] = list(data["components"])
        data["webhook_secret"] = data["webhook_secret"] or None
        return StakeholderData(**data)


class StakeholderImportForm(PlainTextForm, forms.Form):
    """Step 1: the uploaded file, decoded and parsed into rows (nothing is written)."""

    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma or semicolon separated, at most 1 MB."))

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        text = import_text_from_bytes(upload.read())
        control = CONTROL_CHARACTERS.search(text)
        if control:  # a NUL in a name is a 500 on PostgreSQL; the rest has no place in a name or address either
            line = text.count("\n", 0, control.start()) + 1
            raise forms.ValidationError(
                _("The file has a control character on line %(line)d (an invisible character other than tabs and "
                  "line breaks). Remove it and upload the file again.") % {"line": line})
        self.cleaned_data["rows"] = import_rows_from_csv(text)
        return text


class StakeholderImportConfirmForm(PlainTextForm, forms.Form):
    """Step 2: the previewed file and its valid row numbers, signed so they cannot be altered."""

    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, customer: Customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer

    @classmethod
    def signed(cls, *, customer: Customer, text: str, valid_numbers: list[int]) -> "StakeholderImportConfirmForm":
        token = signing.dumps({"customer": customer.pk, "text": text, "rows": valid_numbers}, salt=IMPORT_SALT,
                              compress=True)
        return cls(initial={"payload": token}, customer=customer)

    def clean_payload(self) -> dict[str, Any]:
        try:
            payload = signing.loads(self.cleaned_data["payload"], salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
        except signing.BadSignature:
            payload = None
        if not isinstance(payload, dict) or payload.get("customer") != self.customer.pk:
            raise forms.ValidationError(_("This import could not be verified or has expired. Upload the file again."))
        return payload
