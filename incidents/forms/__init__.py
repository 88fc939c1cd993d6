"""Console forms. They parse and validate input; the services enforce the lifecycle rules."""

from incidents.forms.cadence import ClockFileForm, ExtendDueForm
from incidents.forms.common import CustomerChoiceMixin, in_zone, incident_zone
from incidents.forms.contracts import ContractForm
from incidents.forms.datetimes import LocalDateTimeField, LocalDateTimeInput
from incidents.forms.incident import (
    IMPACT_CHOICES,
    NOT_AFFECTED,
    UPDATE_IMPACT_CHOICES,
    AddCustomerForm,
    ComponentImpactMixin,
    IncidentMessageForm,
    IncidentOpenForm,
    IncidentUpdateForm,
    ReopenForm,
)
from incidents.forms.maintenance import MaintenanceForm, MaintenanceTextsForm

__all__ = [
    "IMPACT_CHOICES",
    "NOT_AFFECTED",
    "UPDATE_IMPACT_CHOICES",
    "AddCustomerForm",
    "ClockFileForm",
    "ComponentImpactMixin",
    "ContractForm",
    "CustomerChoiceMixin",
    "ExtendDueForm",
    "IncidentOpenForm",
    "IncidentUpdateForm",
    "LocalDateTimeField",
    "LocalDateTimeInput",
    "MaintenanceForm",
    "IncidentMessageForm",
    "MaintenanceTextsForm",
    "ReopenForm",
    "in_zone",
    "incident_zone",
]
