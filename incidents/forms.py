"""Console forms. They parse and validate input; the services enforce the lifecycle rules."""

import zoneinfo
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def in_zone(value: datetime | None, zone) -> datetime | None:
    """Read a wall-clock time the user typed as a time in ``zone`` (the customer's), not UTC."""
    if value is None:
        return None
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    return timezone.make_aware(naive, zone)


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


class IncidentOpenForm(ComponentImpactMixin, forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Customer"))
    title = forms.CharField(label=_("Title"), max_length=200,
                            widget=forms.TextInput(attrs={"autofocus": True, "placeholder": _("Server outage")}))
    category = forms.ChoiceField(label=_("Problem"), choices=Category.choices, initial=Category.SERVER)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.HIGH,
                                 widget=forms.RadioSelect)
    status = forms.ChoiceField(label=_("Current status"), choices=[(s, s.label) for s in OPEN_STATUSES],
                               initial=Status.INVESTIGATING)
    business_impact = forms.CharField(label=_("Business impact"), required=False, max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    started_at = forms.DateTimeField(label=_("Started at"), required=False, widget=LOCAL_INPUT,
                                     help_text=_("In the customer's time zone. Empty means now."))
    eta = forms.DateTimeField(label=_("Expected resolution"), required=False, widget=LOCAL_INPUT)
    workaround = forms.CharField(label=_("What users can do meanwhile"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    detected_by = forms.ChoiceField(label=_("Detected by"), choices=DetectedBy.choices, initial=DetectedBy.MSP,
                                    widget=forms.RadioSelect)
    personal_data_involved = forms.BooleanField(label=_("Personal data may be involved"), required=False)
    message = forms.CharField(
        label=_("First public message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the status page at once. Plain words; Markdown allowed."),
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        if customers.count() == 1:
            self.fields["customer"].initial = customers.first()
        self.fields["message"].initial = _(
            "We are aware of a disruption and are investigating it now. We will post the next update within 30 minutes."
        )
        self.add_component_fields(self.selected_customer_components(), current={})

    def selected_customer(self) -> Customer | None:
        raw = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        raw = raw or self.fields["customer"].initial
        try:
            return self.fields["customer"].queryset.filter(pk=getattr(raw, "pk", raw)).first()
        except (ValueError, TypeError):
            return None

    def selected_customer_components(self):
        customer = self.selected_customer()
        return customer.components.order_by("group", "position", "name") if customer else Component.objects.none()

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer")
        if customer:
            cleaned["started_at"] = in_zone(cleaned.get("started_at"), customer.tzinfo)
            cleaned["eta"] = in_zone(cleaned.get("eta"), customer.tzinfo)
        return cleaned


class IncidentUpdateForm(ComponentImpactMixin, forms.Form):
    impact_choices = UPDATE_IMPACT_CHOICES

    message = forms.CharField(label=_("Message"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    is_internal = forms.BooleanField(label=_("Internal note (never shown to the customer)"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    eta = forms.DateTimeField(label=_("Expected resolution"), required=False, widget=LOCAL_INPUT)
    workaround = forms.CharField(label=_("What users can do meanwhile"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    root_cause = forms.CharField(label=_("Root cause"), required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    resolution_summary = forms.CharField(label=_("Resolution summary"), required=False, max_length=5000,
                                         widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, incident: Incident, **kwargs):
        self.incident = incident
        initial = {
            "status": incident.status,
            "severity": incident.severity,
            "workaround": incident.workaround,
            "root_cause": incident.root_cause,
            "resolution_summary": incident.resolution_summary,
            "eta": timezone.localtime(incident.eta, incident_zone(incident)) if incident.eta else None,
        }
        super().__init__(*args, initial=initial, **kwargs)
        current = {a.component_id: a.status for a in incident.affected.all()}
        components = Component.objects.filter(customer__incident_links__incident=incident).order_by(
            "customer__name", "group", "position", "name"
        ).select_related("customer")
        self.add_component_fields(components, current)

    def clean(self):
        cleaned = super().clean()
        cleaned["eta"] = in_zone(cleaned.get("eta"), incident_zone(self.incident))
        return cleaned

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
        text_changes = {
            field: data[field] for field in ("workaround", "root_cause", "resolution_summary")
            if data[field].strip() != getattr(self.incident, field)
        }
        return {
            "message": data["message"],
            "is_internal": data["is_internal"],
            "status": data["status"],
            "severity": data["severity"],
            "component_statuses": components,
            "eta": data["eta"] if data["eta"] != self.incident.eta else None,
            **text_changes,
        }


class ReopenForm(forms.Form):
    message = forms.CharField(label=_("Why is it reopened?"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class AddCustomerForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("Also affects"))

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


def incident_zone(incident: Incident) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(incident.time_zone)
