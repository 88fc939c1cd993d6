"""Activation (seed 001, "Aktivierungsprozess und Bereitschaftssystem"): a critical incident gets
its lead proposed from the standby rota, and its checklist, when it opens.

``flows.incidents.open_incident`` calls ``propose_lead`` in its transaction, after the
incident is written (explicit orchestration, not a signal): the proposal commits with the
incident, and the person is mailed after commit.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import Incident, Severity
from playbook import selectors, services
from playbook.models import RoleAssignment, RoleCode


def propose_lead(incident: Incident) -> RoleAssignment | None:
    """Start the checklist; for a critical incident, make whoever stands by its incident lead.

    Nothing is proposed when a lead is already set, or when nobody is on the rota.
    """
    services.checklist_start(incident)
    if incident.severity != Severity.CRITICAL or selectors.holder(incident, RoleCode.INCIDENT_LEAD):
        return None
    link = incident.customer_links.select_related("customer").order_by("added_at", "id").first()
    if link is None:
        return None
    person = selectors.on_duty(link.customer, timezone.now())
    if person is None:
        return None
    try:
        return services.role_assign(incident=incident, role=RoleCode.INCIDENT_LEAD, user=person, assigned_by=None,
                                    proposed=True)
    except ValidationError:  # the person may no longer work for this customer: the opening must not fail
        return None
