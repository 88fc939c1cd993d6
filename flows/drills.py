"""Drills (seed 004: practise before it counts): a real incident, flagged, that never leaves the MSP.

``start_drill`` opens the scenario's incident through ``flows.incidents.open_incident`` with
``is_drill=True``, so everything runs as for real: the cadence tick, reminders and escalations,
the acknowledgment target, roles and checklists. What keeps it inside:

- messages: the outbox plans and delivers a drill's messages to the customer's "Internal
  (MSP)" stakeholders only, by e-mail only, every one marked DRILL / OEFENING / ÜBUNG in its
  reader's language (comms.outbox.drills); staff notices are marked too;
- the public face: status pages, feeds, JSON, calendar, badge, uptime and component statuses
  read no drill (incidents.selectors.public_incident_links, incidents.components, statuspage),
  nor does the API's incident list; KPIs and monthly reports filter ``is_drill=False``.

The scenario's later updates are not posted by Kalm: the participants post them (that is the
practice); ``drill_script`` gives the incident page its suggested texts and times.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from comms.models import Role
from flows import incidents as incident_flow
from flows.drill_scenarios import DEFAULT_SCENARIO, SCENARIOS, Scenario
from incidents.models import Component, Customer, Drill, Incident, Status


def scenario_named(slug: str) -> Scenario:
    """The scenario ``slug``; a ValidationError on ``scenario`` naming it otherwise."""
    scenario = SCENARIOS.get(slug)
    if scenario is None:
        raise ValidationError({"scenario": _("Unknown drill scenario: %(name)s.") % {"name": slug}})
    return scenario


@transaction.atomic
def start_drill(customer: Customer, scenario: Scenario | str = DEFAULT_SCENARIO,
                started_by: AbstractBaseUser | None = None) -> Incident:
    """Open ``scenario`` as a drill for ``customer``; returns its incident (numbered as any other).

    Refused (ValidationError on ``customer``) when the customer has no active "Internal (MSP)"
    stakeholder with an e-mail address: the drill's messages would reach nobody, and the
    practice of reading them would be lost without anyone noticing.
    """
    if isinstance(scenario, str):
        scenario = scenario_named(scenario)
    internal = customer.stakeholders.filter(role=Role.INTERNAL_MSP, is_active=True, self_subscribed=False)
    if not internal.exclude(email="").exists():
        raise ValidationError({"customer": _("%(customer)s has no active internal (MSP) stakeholder with an "
                                             "e-mail address to receive the drill's messages.")
                                           % {"customer": customer.name}})
    language = customer.language
    incident = incident_flow.open_incident(
        customer=customer,
        title=_in(scenario.title, language),
        category=scenario.category,
        severity=scenario.severity,
        business_impact=_in(scenario.business_impact, language),
        component_statuses=_component_statuses(customer, scenario),
        message=_in(scenario.opening, language),
        language=language,
        translations=_translations(scenario, language),
        author=started_by,
        is_drill=True,
    )
    Drill.objects.create(incident=incident, scenario=scenario.slug, started_by=started_by)
    return incident


def _in(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts["en"]


def _translations(scenario: Scenario, language: str) -> dict[str, dict[str, str]]:
    fields = {"title": scenario.title, "business_impact": scenario.business_impact, "message": scenario.opening}
    others = {other for texts in fields.values() for other in texts if other != language}
    return {other: {name: texts[other] for name, texts in fields.items() if other in texts} for other in sorted(others)}


def _component_statuses(customer: Customer, scenario: Scenario) -> dict[Component, str]:
    """The customer's components the scenario names (by their name or a translated name)."""
    statuses: dict[Component, str] = {}
    for component in customer.components.all():
        names = {component.name, *(texts.get("name", "") for texts in component.translations.values())}
        for status, wanted in scenario.components.items():
            if names & set(wanted):
                statuses[component] = status
    return statuses


# --- the incident page's drill panel ------------------------------------------------------


@dataclass(frozen=True)
class ScriptRow:
    due_at: datetime
    status: str
    message: str
    workaround: str
    posted: bool  # a public update with this status was posted (on time or late)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


@dataclass(frozen=True)
class DrillScript:
    scenario: Scenario
    started_by: AbstractBaseUser | None
    rows: list[ScriptRow]


def drill_script(incident: Incident) -> DrillScript | None:
    """The scenario's suggested updates with their times, in the incident's language; None for a real incident."""
    if not incident.is_drill:
        return None
    drill = Drill.objects.select_related("started_by").filter(incident=incident).first()
    scenario = SCENARIOS.get(drill.scenario) if drill else None
    if scenario is None:
        return None
    statuses = list(incident.updates.filter(is_internal=False).exclude(message="").values_list("status", flat=True))
    rows = []
    for step in scenario.script:
        posted = step.status in statuses
        if posted:
            statuses.remove(step.status)
        rows.append(ScriptRow(due_at=incident.started_at + timedelta(minutes=step.minutes), status=step.status,
                              message=_in(step.message, incident.language),
                              workaround=_in(step.workaround, incident.language) if step.workaround else "",
                              posted=posted))
    return DrillScript(scenario=scenario, started_by=drill.started_by, rows=rows)
