"""Console forms. They parse and validate input; the services enforce the lifecycle rules."""

from console.forms.cadence import ClockFileForm, ExtendDueForm
from console.forms.common import CustomerChoiceMixin, in_zone, incident_zone
from console.forms.contracts import ContractForm
from console.forms.datetimes import LocalDateTimeField, LocalDateTimeInput
from console.forms.incident import (
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
from console.forms.maintenance import MaintenanceForm, MaintenanceTextsForm

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
