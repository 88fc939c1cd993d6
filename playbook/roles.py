"""What each role is for and what it may decide (seed 001, "Verantwortlichkeiten und Befugnisse").

The authority Kalm enforces is in ``playbook.authority``; the rest is stated here for people.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from playbook.models import RoleCode


@dataclass(frozen=True)
class RoleInfo:
    code: str
    responsibility: Promise
    authority: Promise

    @property
    def label(self) -> str:
        return str(RoleCode(self.code).label)


ROLES: dict[str, RoleInfo] = {info.code: info for info in (
    RoleInfo(RoleCode.INCIDENT_LEAD,
             _("Leads the response: classifies, activates the team, sets priorities and keeps the checklist moving."),
             _("May publish updates, raise the severity and propose compensation; receives every escalation.")),
    RoleInfo(RoleCode.COMMUNICATIONS_LEAD,
             _("Owns what stakeholders hear and when: the cadence, the wording, the status page."),
             _("May publish updates.")),
    RoleInfo(RoleCode.TECHNICAL_LEAD,
             _("Leads containment, diagnosis and the fix; tells the team what is known and what is not."),
             _("May raise the severity.")),
    RoleInfo(RoleCode.SCRIBE,
             _("Keeps the live record: decisions, times and actions in the timeline, for the report."),
             _("Records; decides nothing alone.")),
    RoleInfo(RoleCode.CUSTOMER_CONTACT,
             _("The customer's one voice at the MSP: takes their calls, learns their priorities, handles escalations."),
             _("Agrees workarounds and priorities with the customer; compensation is approved by a manager.")),
)}

# Who may publish and who may raise the severity once the team has formed (playbook.authority).
MAY_PUBLISH = (RoleCode.INCIDENT_LEAD, RoleCode.COMMUNICATIONS_LEAD)
MAY_RAISE_SEVERITY = (RoleCode.INCIDENT_LEAD, RoleCode.TECHNICAL_LEAD)
