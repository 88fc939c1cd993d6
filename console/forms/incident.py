"""Forms of the incident pages: open an incident, post an update, reopen, add a customer."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from console.forms.common import CustomerChoiceMixin, in_zone, incident_zone
from console.forms.datetimes import LocalDateTimeField
from console.forms.texts import TextsInLanguagesMixin, show_visibility
from core.formatting import active_language
from core.forms import PlainTextForm
from incidents.bounds import MAX_LONG_TEXT, MAX_MESSAGE, MAX_SHORT_TEXT, MAX_TITLE
from incidents.defaults import first_messages
from incidents.models import (
    OPEN_STATUSES,
    Category,
    Component,
    ComponentStatus,
    Customer,
    DetectedBy,
    Incident,
    Severity,
    Status,
)
from incidents.selectors import incident_customers, reader_languages
from incidents.visibility import INCIDENT_TEXTS, visibility_of

NOT_AFFECTED = ""
# What an incident can do to a component; "under maintenance" belongs to maintenance windows.
IMPACT_CHOICES = [
    (NOT_AFFECTED, _("Not affected")),
    (ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.DEGRADED_PERFORMANCE.label),
    (ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.PARTIAL_OUTAGE.label),
    (ComponentStatus.MAJOR_OUTAGE, ComponentStatus.MAJOR_OUTAGE.label),
]
UPDATE_IMPACT_CHOICES = [
    (NOT_AFFECTED, _("No change")),
    (ComponentStatus.OPERATIONAL, ComponentStatus.OPERATIONAL.label),
    *IMPACT_CHOICES[1:],
]
# Facts the update form passes on only when the user changed them (None, i.e. absent, otherwise).
UPDATE_TEXT_FACTS = ("title", "workaround", "root_cause", "resolution_summary", "business_impact")
OPEN_TEXTS = ("title", "message", "workaround", "business_impact")
UPDATE_TEXTS = ("message", *UPDATE_TEXT_FACTS)
UPDATE_FLAG_FACTS = ("external_impact", "personal_data_involved")


class ComponentImpactMixin:
    """Adds one select per component, named ``component_<id>``."""

    impact_choices = IMPACT_CHOICES

    def add_component_fields(self, components, current: dict[int, str]) -> None:
        self.component_field_names = []
        for component in components:
            name = f"component_{component.pk}"
            self.fields[name] = forms.ChoiceField(
                label=component.name, choices=self.impact_choices, required=False,
                initial=current.get(component.pk, NOT_AFFECTED),
            )
            self.fields[name].component = component
            self.component_field_names.append(name)

    def component_bound_fields(self):
        return [self[name] for name in self.component_field_names]

    def chosen_component_statuses(self) -> dict[Component, str]:
        return {
            self.fields[name].component: self.cleaned_data[name]
            for name in self.component_field_names
            if self.cleaned_data.get(name)
        }


class IncidentOpenForm(PlainTextForm, CustomerChoiceMixin, ComponentImpactMixin, TextsInLanguagesMixin, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE,
                            widget=forms.TextInput(attrs={"autofocus": True, "placeholder": _("Server outage")}))
    category = forms.ChoiceField(label=_("Problem"), choices=Category.choices, initial=Category.SERVER)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.HIGH,
                                 widget=forms.RadioSelect)
    status = forms.ChoiceField(label=_("Current status"), choices=[(s, s.label) for s in OPEN_STATUSES],
                               initial=Status.INVESTIGATING)
    business_impact = forms.CharField(label=_("Business impact"), required=False, max_length=MAX_SHORT_TEXT,
                                      widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("Which business processes are hit, in the customer's words."))
    started_at = LocalDateTimeField(label=_("Started at"), required=False,
                                    help_text=_("In the customer's time zone. Empty means now."))
    eta = LocalDateTimeField(label=_("Expected resolution"), required=False)
    workaround = forms.CharField(label=_("What users can do meanwhile"), required=False, max_length=MAX_SHORT_TEXT,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    detected_by = forms.ChoiceField(label=_("Detected by"), choices=DetectedBy.choices, initial=DetectedBy.MSP,
                                    widget=forms.RadioSelect)
    personal_data_involved = forms.BooleanField(label=_("Personal data may be involved"), required=False)
    message = forms.CharField(
        label=_("First public message"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the status page at once. Plain words; Markdown allowed."),
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_customers(customers)
        self.add_component_fields(self.selected_customer_components(), current={})
        customer = self.selected_customer()
        # Until a customer is chosen, the proposal is in the console's language; choosing one rewrites it.
        written_in = customer.language if customer else active_language()
        defaults = {language: {"message": text} for language, text in first_messages().items()}
        self._forget_default_messages(defaults)
        self.fields["message"].initial = defaults[written_in]["message"]
        self.add_languages(OPEN_TEXTS, written_in=written_in, defaults=defaults,
                           languages=reader_languages([customer]) if customer else [written_in])
        show_visibility(self, [*OPEN_TEXTS, "severity", "personal_data_involved", "eta"])

    def _forget_default_messages(self, defaults) -> None:
        """A default message carried over from another customer choice yields to the new customer's languages."""
        default_texts = {texts["message"] for texts in defaults.values()}
        for key in [key for key in self.initial if key == "message" or key.startswith("message__")]:
            if self.initial[key] in default_texts:
                del self.initial[key]

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer")
        if customer:
            cleaned["started_at"] = in_zone(cleaned.get("started_at"), customer.tzinfo)
            cleaned["eta"] = in_zone(cleaned.get("eta"), customer.tzinfo)
            self.check_languages()
        return cleaned


class IncidentUpdateForm(PlainTextForm, ComponentImpactMixin, TextsInLanguagesMixin, forms.Form):
    impact_choices = UPDATE_IMPACT_CHOICES

    message = forms.CharField(label=_("Message"), required=False, max_length=MAX_MESSAGE,
                              widget=forms.Textarea(attrs={"rows": 4}))
    title = forms.CharField(label=_("Title"), required=False, max_length=MAX_TITLE)
    is_internal = forms.BooleanField(label=_("Internal note (never shown to the customer)"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    eta = LocalDateTimeField(label=_("Expected resolution"), required=False)
    workaround = forms.CharField(label=_("What users can do meanwhile"), required=False, max_length=MAX_SHORT_TEXT,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    root_cause = forms.CharField(label=_("Root cause"), required=False, max_length=MAX_LONG_TEXT,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    resolution_summary = forms.CharField(label=_("Resolution summary"), required=False, max_length=MAX_LONG_TEXT,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    business_impact = forms.CharField(label=_("Business impact"), required=False, max_length=MAX_SHORT_TEXT,
                                      widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("Which business processes are hit, in the customer's words."))
    external_impact = forms.BooleanField(
        label=_("External impact: the customer's own customers or the press are affected"), required=False)
    personal_data_involved = forms.BooleanField(
        label=_("Personal data may be involved (starts the regulatory clocks)"), required=False)
    # An unticked checkbox is simply absent from a POST, like one the page never showed; this
    # marker, rendered beside the flags in _update_facts.html, tells the two apart.
    impact_flags_shown = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)

    def __init__(self, *args, incident: Incident, customers, **kwargs):
        """``customers``: the incident's customers whose components the user may change
        (``incidents.selectors.incident_customers_for_user``); only theirs are offered."""
        self.incident, self.customers = incident, customers
        initial = {
            "status": incident.status,
            "severity": incident.severity,
            "eta": timezone.localtime(incident.eta, incident_zone(incident)) if incident.eta else None,
        } | {field: getattr(incident, field) for field in (*UPDATE_TEXT_FACTS, *UPDATE_FLAG_FACTS)}
        super().__init__(*args, initial=initial, **kwargs)
        current = {a.component_id: a.status for a in incident.affected.all()}
        components = Component.objects.filter(customer__in=customers).order_by(
            "customer__name", "group", "position", "name"
        ).select_related("customer")
        self.add_component_fields(components, current)
        # Every reader's language, whoever's customer they are: the message goes to all of them.
        self.add_languages(UPDATE_TEXTS, written_in=incident.language, current=incident.translations,
                           languages=reader_languages(incident_customers(incident)))
        show_visibility(self, [*UPDATE_TEXTS, "status", "severity", "eta", "external_impact",
                               "personal_data_involved"])
        self.fields["is_internal"].visibility = visibility_of("internal_note")

    def clean(self):
        cleaned = super().clean()
        cleaned["eta"] = in_zone(cleaned.get("eta"), incident_zone(self.incident))
        if not cleaned.get("is_internal"):  # an internal note stays in the console: no reader, no language
            changing = [name for name in UPDATE_TEXT_FACTS if self._text_changed(name)]
            self.check_languages(["message", *changing])
        return cleaned

    def _text_changed(self, name: str) -> bool:
        return (self.add_prefix(name) in self.data
                and (self.cleaned_data.get(name) or "").strip() != getattr(self.incident, name))

    def changed_facts(self) -> dict:
        """Only what the user changed, as keyword arguments for ``incident_post_update``."""
        data = self.cleaned_data
        current = {a.component_id: a.status for a in self.incident.affected.all()}
        # A component the incident never touched is operational already; marking it so is no change.
        components = {
            component: value
            for component, value in self.chosen_component_statuses().items()
            if current.get(component.pk, ComponentStatus.OPERATIONAL) != value
        }
        # A text the page did not show is not given (None), rather than emptied.
        text_changes = {
            field: data[field] for field in UPDATE_TEXT_FACTS
            if field in data and self.add_prefix(field) in self.data
            and data[field].strip() != getattr(self.incident, field)
        }
        flag_changes = {
            field: data[field] for field in UPDATE_FLAG_FACTS
            if field in data and data.get("impact_flags_shown") and data[field] != getattr(self.incident, field)
        }
        return {
            "message": data["message"],
            "translations": {} if data["is_internal"] else self.translations(),
            "is_internal": data["is_internal"],
            "status": data["status"],
            "severity": data["severity"],
            "component_statuses": components,
            "eta": data["eta"] if data["eta"] != self.incident.eta else None,
            "customers": self.customers,
            **text_changes,
            **flag_changes,
        }


class IncidentMessageForm(PlainTextForm, TextsInLanguagesMixin, forms.Form):
    """One public message about an incident, in each language its readers need (reopen, summary)."""

    message = forms.CharField(max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, incident: Incident, label: str, current: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].label = label
        self.add_languages(["message"], written_in=incident.language,
                           languages=reader_languages(incident_customers(incident)),
                           defaults={language: {"message": text} for language, text in (current or {}).items()})
        if current:
            self.fields["message"].initial = current.get(incident.language, "")
        show_visibility(self, ["message"])

    def clean(self):
        cleaned = super().clean()
        self.check_languages()
        return cleaned


class ReopenForm(IncidentMessageForm):
    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, incident=incident, label=_("Why is it reopened?"), **kwargs)


class AddCustomerForm(PlainTextForm, TextsInLanguagesMixin, forms.Form):
    """Another affected customer; when its people read a language the incident's texts lack, those
    texts in that language too (shown beside the text as written), so their first message is theirs."""

    # "—" as in the other customer selects (_customer_select.html), rather than Django's "- Select an option -".
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Also affects"), empty_label="—")

    def __init__(self, *args, customers, incident: Incident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.text_names, self.other_languages = [], []
        chosen = self._chosen(customers)
        if incident is None or chosen is None:
            return
        present = reader_languages(incident_customers(incident))
        new = [language for language in reader_languages([chosen]) if language not in present]
        written = [name for name in INCIDENT_TEXTS if getattr(incident, name)]
        for name in written:  # the text as written, for reference: only its new languages are asked for
            self.fields[name] = forms.CharField(label=Incident._meta.get_field(name).verbose_name.capitalize(),
                                                required=False, disabled=True, initial=getattr(incident, name),
                                                widget=forms.Textarea(attrs={"rows": 2}))
        self.add_languages(written, written_in=incident.language, languages=[incident.language, *new],
                           current=incident.translations)
        show_visibility(self, written)

    def _chosen(self, customers) -> Customer | None:
        try:
            return customers.filter(pk=self.data.get("customer")).first() if self.is_bound else None
        except (ValueError, TypeError):
            return None

    def clean(self):
        cleaned = super().clean()
        self.check_languages()
        return cleaned
