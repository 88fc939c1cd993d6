"""The facts a message template may use, as plain values.

Templates are edited by MSP staff and rendered in a sandbox, so what they can reach is
decided here: a flat dict of strings, numbers, booleans and lists of small dicts of
strings. No model instance ever enters a template, so no template can walk from an
incident to its customer's other incidents, to a user, or to a password hash. Every
time is already formatted in the customer's time zone and every label already
translated into the message's language, so all audiences render from the same facts
and say the same thing.

Keys (``ALLOWED_VARIABLES``; the template editor refuses any other name):

========================  ==========================================================
key                       value
========================  ==========================================================
``number``                this customer's incident number, e.g. ``MSM-2025-0531-001``
``title``                 the incident title
``customer``              the customer's name
``msp``                   the MSP's name (``settings.KALM_MSP_NAME``)
``category``              category label, e.g. "Server"
``severity``              severity label, short form, e.g. "Critical"
``severity_code``         raw severity value: critical, high, medium, low
``status``                status label, e.g. "Identified"
``status_code``           raw status value: investigating … resolved
``started_at``            start: "31-05-2025 09:30" (nl), "31.05.2025 09:30" (de), "31 May 2025 09:30"
``started_time``          the time only, "09:30"
``detected_by``           who noticed it first (label)
``eta``                   expected resolution ("14:00"), or ""
``next_update_at``        when the next update is promised ("12:30"), or ""
``components``            this customer's affected components: [{name, status}]
``components_text``       their names, comma-separated
``business_impact``       what the outage means for the customer's business
``workaround``            what people can do meanwhile, or ""
``root_cause``            the cause, once known, or ""
``resolution_summary``    what was done to fix it, or ""
``message``               the account manager's public words with this update, or ""
``update_time``           when this update was written, "11:15"
``duration``              "4 hours, 15 minutes": start until resolution (or now)
``personal_data``         True when personal data may be involved
``reopened``              True when the incident was resolved and reopened before
``status_page_url``       the customer's status page
``time_zone``             abbreviation of the customer's zone now, e.g. "CEST"
``maintenance_title``     planned maintenance: what is done
``window_start``          planned maintenance: start, "07-06-2025 18:00"
``window_end``            planned maintenance: end
``expected_impact``       planned maintenance: what people will notice
``customer_action``       planned maintenance: what people should do beforehand
========================  ==========================================================

Times that may fall on another day than today (``eta``, ``next_update_at``,
``update_time``) are a bare "HH:MM" when they are today in the customer's zone and
carry the date otherwise, so "next update at 02:00" never means the wrong night.
Incident contexts carry the maintenance keys as empty strings, and maintenance contexts
the incident keys, so every template renders against every context.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from core.formatting import Clock, label
from core.links import status_page_url
from core.texts import localized
from incidents.models import (
    AffectedComponent,
    Category,
    ComponentStatus,
    Customer,
    CustomerIncident,
    DetectedBy,
    Incident,
    IncidentUpdate,
    Severity,
    Status,
)
from incidents.visibility import Visibility, texts_for

INCIDENT_VARIABLES: frozenset[str] = frozenset({
    "number", "title", "category", "severity", "severity_code", "status", "status_code", "started_at",
    "started_time", "detected_by", "eta", "next_update_at", "components", "components_text", "business_impact",
    "workaround", "root_cause", "resolution_summary", "message", "update_time", "duration", "personal_data",
    "reopened", "report_url", "report_attached", "report_filename",
})
CUSTOMER_VARIABLES: frozenset[str] = frozenset({"customer", "msp", "status_page_url", "time_zone"})
MAINTENANCE_VARIABLES: frozenset[str] = frozenset({
    "maintenance_title", "window_start", "window_end", "expected_impact", "customer_action",
})
ALLOWED_VARIABLES: frozenset[str] = INCIDENT_VARIABLES | CUSTOMER_VARIABLES | MAINTENANCE_VARIABLES

LIST_VARIABLES: frozenset[str] = frozenset({"components"})
FLAG_VARIABLES: frozenset[str] = frozenset({"personal_data", "reopened", "report_attached"})
# Everything else is text: a template never loops over these (comms.messages.rendering).
TEXT_VARIABLES: frozenset[str] = ALLOWED_VARIABLES - LIST_VARIABLES - FLAG_VARIABLES

def empty_context() -> dict[str, Any]:
    """Every allowed key with an empty value of its type: the base every context starts from."""
    context: dict[str, Any] = dict.fromkeys(ALLOWED_VARIABLES, "")
    context.update(dict.fromkeys(FLAG_VARIABLES, False))
    context.update({key: [] for key in LIST_VARIABLES})
    return context


def customer_context(*, customer: Customer, language: str, now: datetime | None = None) -> dict[str, Any]:
    """The keys every message has, incident or maintenance: customer, msp, status page, zone."""
    clock = Clock(tz=customer.tzinfo, now=now or timezone.now(), language=language)
    return {
        "customer": customer.name,
        "msp": settings.KALM_MSP_NAME,
        "status_page_url": status_page_url(customer.slug, language=language, page_language=customer.language),
        "time_zone": clock.zone_name(),
    }


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """An incident as one customer sees it, before formatting: the real one (``message_context``) and the
    samples the template editor renders (``comms.messages.samples``) both become template keys through
    ``incident_keys``, so a sample can never be formatted differently from a message."""

    number: str
    texts: Mapping[str, str]  # title, business_impact, workaround, root_cause, resolution_summary, message
    category: str
    severity: str
    status: str
    detected_by: str
    started_at: datetime
    eta: datetime | None
    next_update_at: datetime | None
    components: list[tuple[str, str]]  # (name in the reader's language, status code)
    update_time: datetime
    ended_at: datetime  # resolution, or now
    personal_data: bool
    reopened: bool


def incident_keys(facts: IncidentFacts, clock: Clock) -> dict[str, Any]:
    """The incident keys of a context: labels in the active language, times in ``clock``'s zone."""
    components = [{"name": name, "status": label(ComponentStatus, status)} for name, status in facts.components]
    return {
        "number": facts.number,
        "title": facts.texts["title"],
        "category": label(Category, facts.category),
        "severity": Severity.short_label(facts.severity),
        "severity_code": facts.severity,
        "status": label(Status, facts.status),
        "status_code": facts.status,
        "started_at": clock.date_time(facts.started_at),
        "started_time": clock.clock_time(facts.started_at),
        "detected_by": label(DetectedBy, facts.detected_by),
        "eta": clock.moment(facts.eta),
        "next_update_at": clock.moment(facts.next_update_at),
        "components": components,
        "components_text": ", ".join(component["name"] for component in components),
        **{key: facts.texts[key] for key in ("business_impact", "workaround", "root_cause", "resolution_summary",
                                             "message")},
        "update_time": clock.moment(facts.update_time),
        "duration": clock.duration(facts.started_at, facts.ended_at),
        "personal_data": facts.personal_data,
        "reopened": facts.reopened,
    }


def message_context(
    *, incident: Incident, customer: Customer, update: IncidentUpdate | None = None, language: str
) -> dict[str, Any]:
    """The facts of ``incident`` as ``customer`` sees them, ready for a template in ``language``.

    Raises ``CustomerIncident.DoesNotExist`` if the incident does not affect the customer.
    """
    now = timezone.now()
    number = CustomerIncident.objects.values_list("number", flat=True).get(incident=incident, customer=customer)
    clock = Clock(tz=customer.tzinfo, now=now, language=language)
    with translation.override(language):
        # Only what the customer's contacts may read (incidents.visibility): staff-only facts never get here.
        texts = texts_for(incident, reader=Visibility.CONTACTS, language=language)
        facts = IncidentFacts(
            number=number, texts={**texts, "message": _public_message(update, language)},
            category=incident.category, severity=incident.severity, status=incident.status,
            detected_by=incident.detected_by, started_at=incident.started_at, eta=incident.eta,
            next_update_at=incident.next_update_due_at, components=_components(incident, customer, language),
            update_time=update.created_at if update else now, ended_at=incident.resolved_at or now,
            personal_data=bool(incident.personal_data_involved), reopened=incident.reopen_count > 0,
        )
        return (empty_context() | customer_context(customer=customer, language=language, now=now)
                | incident_keys(facts, clock))


def _components(incident: Incident, customer: Customer, language: str) -> list[tuple[str, str]]:
    """Only this customer's components: a shared incident never shows one customer another's systems."""
    affected = (
        AffectedComponent.objects.filter(incident=incident, component__customer=customer)
        .select_related("component")
        .order_by("component__group", "component__position", "component__name")
    )
    return [(localized(a.component, "name", language, written_in=customer.language), a.status) for a in affected]


def _public_message(update: IncidentUpdate | None, language: str) -> str:
    if update is None or update.is_internal:
        return ""
    return localized(update, "message", language, written_in=update.incident.language)
