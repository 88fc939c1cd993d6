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

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

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
        components = _components(incident, customer, language)
        # Only what the customer's contacts may read (incidents.visibility): staff-only facts never get here.
        texts = texts_for(incident, reader=Visibility.CONTACTS, language=language)
        facts: dict[str, Any] = {
            "number": number,
            "title": texts["title"],
            "category": label(Category, incident.category),
            "severity": Severity.short_label(incident.severity),
            "severity_code": incident.severity,
            "status": label(Status, incident.status),
            "status_code": incident.status,
            "started_at": clock.date_time(incident.started_at),
            "started_time": clock.clock_time(incident.started_at),
            "detected_by": label(DetectedBy, incident.detected_by),
            "eta": clock.moment(incident.eta),
            "next_update_at": clock.moment(incident.next_update_due_at),
            "components": components,
            "components_text": ", ".join(component["name"] for component in components),
            "business_impact": texts["business_impact"],
            "workaround": texts["workaround"],
            "root_cause": texts["root_cause"],
            "resolution_summary": texts["resolution_summary"],
            "message": _public_message(update, language),
            "update_time": clock.moment(update.created_at if update else now),
            "duration": clock.duration(incident.started_at, incident.resolved_at or now),
            "personal_data": bool(incident.personal_data_involved),
            "reopened": incident.reopen_count > 0,
        }
        return empty_context() | customer_context(customer=customer, language=language, now=now) | facts


def _components(incident: Incident, customer: Customer, language: str) -> list[dict[str, str]]:
    """Only this customer's components: a shared incident never shows one customer another's systems."""
    affected = (
        AffectedComponent.objects.filter(incident=incident, component__customer=customer)
        .select_related("component")
        .order_by("component__group", "component__position", "component__name")
    )
    return [{"name": localized(a.component, "name", language, written_in=customer.language),
             "status": label(ComponentStatus, a.status)} for a in affected]


def _public_message(update: IncidentUpdate | None, language: str) -> str:
    if update is None or update.is_internal:
        return ""
    return localized(update, "message", language, written_in=update.incident.language)


# The worked example of the seeds (MidSize Manufacturing, a failed file server), in
# each language: the template editor's preview and the trial render of every template.
_SAMPLE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "File server outage",
        "file_server": "File server",
        "business_impact": "Production planning and access to shared files are unavailable.",
        "workaround": "Save new documents on your own computer for now and move them to the shared drive later.",
        "root_cause": "A failed disk in the file server's RAID array; the array went offline during the rebuild.",
        "resolution_summary": "We replaced the faulty part, restored all files and added an extra check that "
                              "warns us earlier.",
        "message": "We have found the cause and are replacing the faulty part. No files have been lost.",
        "maintenance_title": "Replacement of the file server",
        "expected_impact": "Shared files and the ERP system are unavailable during the work.",
        "customer_action": "Save and close all open files before the work starts.",
    },
    "nl": {
        "title": "Storing bestandsserver",
        "file_server": "Bestandsserver",
        "business_impact": "De productieplanning en de gedeelde bestanden zijn niet beschikbaar.",
        "workaround": "Sla nieuwe documenten voorlopig op uw eigen computer op en zet ze later op de gedeelde schijf.",
        "root_cause": "Een defecte schijf in de RAID-array van de bestandsserver; de array ging offline tijdens de "
                      "rebuild.",
        "resolution_summary": "We hebben het defecte onderdeel vervangen, alle bestanden hersteld en een extra "
                              "controle toegevoegd die ons eerder waarschuwt.",
        "message": "We hebben de oorzaak gevonden en vervangen het defecte onderdeel. Er zijn geen bestanden "
                   "verloren gegaan.",
        "maintenance_title": "Vervanging van de bestandsserver",
        "expected_impact": "De gedeelde bestanden en het ERP-systeem zijn tijdens de werkzaamheden niet beschikbaar.",
        "customer_action": "Sla alle geopende bestanden op en sluit ze voordat de werkzaamheden beginnen.",
    },
    "de": {
        "title": "Ausfall des Dateiservers",
        "file_server": "Dateiserver",
        "business_impact": "Die Produktionsplanung und die gemeinsamen Dateien sind nicht verfügbar.",
        "workaround": "Speichern Sie neue Dokumente vorerst auf Ihrem eigenen Computer und legen Sie sie später "
                      "auf dem gemeinsamen Laufwerk ab.",
        "root_cause": "Eine defekte Festplatte im RAID-Verbund des Dateiservers; der Verbund ging beim Rebuild "
                      "offline.",
        "resolution_summary": "Wir haben das defekte Teil ersetzt, alle Dateien wiederhergestellt und eine "
                              "zusätzliche Prüfung eingerichtet, die uns früher warnt.",
        "message": "Wir haben die Ursache gefunden und ersetzen das defekte Teil. Es sind keine Dateien verloren "
                   "gegangen.",
        "maintenance_title": "Austausch des Dateiservers",
        "expected_impact": "Die gemeinsamen Dateien und das ERP-System sind während der Arbeiten nicht verfügbar.",
        "customer_action": "Speichern und schließen Sie alle geöffneten Dateien, bevor die Arbeiten beginnen.",
    },
}

_SAMPLE_ZONE = ZoneInfo("Europe/Amsterdam")


def sample_context(language: str) -> dict[str, Any]:
    """A realistic context with every key filled: MidSize Manufacturing's file server outage."""
    texts = _SAMPLE_TEXTS.get(language, _SAMPLE_TEXTS["en"])
    started = datetime(2025, 5, 31, 9, 30, tzinfo=_SAMPLE_ZONE)
    now = started.replace(hour=11, minute=15)
    clock = Clock(tz=_SAMPLE_ZONE, now=now, language=language)
    with translation.override(language):
        components = [
            {"name": texts["file_server"], "status": label(ComponentStatus, ComponentStatus.MAJOR_OUTAGE)},
            {"name": "ERP", "status": label(ComponentStatus, ComponentStatus.PARTIAL_OUTAGE)},
        ]
        return {
            "number": "MSM-2025-0531-001",
            "title": texts["title"],
            "customer": "MidSize Manufacturing BV",
            "msp": settings.KALM_MSP_NAME,
            "category": label(Category, Category.SERVER),
            "severity": Severity.short_label(Severity.CRITICAL),
            "severity_code": Severity.CRITICAL.value,
            "status": label(Status, Status.IDENTIFIED),
            "status_code": Status.IDENTIFIED.value,
            "started_at": clock.date_time(started),
            "started_time": clock.clock_time(started),
            "detected_by": label(DetectedBy, DetectedBy.MSP),
            "eta": clock.moment(started.replace(hour=14, minute=0)),
            "next_update_at": clock.moment(started.replace(hour=12, minute=30)),
            "components": components,
            "components_text": ", ".join(component["name"] for component in components),
            "business_impact": texts["business_impact"],
            "workaround": texts["workaround"],
            "root_cause": texts["root_cause"],
            "resolution_summary": texts["resolution_summary"],
            "message": texts["message"],
            "update_time": clock.moment(now),
            "duration": clock.duration(started, started.replace(hour=13, minute=45)),
            "personal_data": True,
            "reopened": False,
            "report_url": f"{settings.SITE_URL}/reports/sample-signed-link/",
            "report_attached": False,  # a customer who gets the PDF attached has no link: report_filename instead
            "report_filename": "MSM-2025-0531-001-report.pdf",
            "status_page_url": f"{settings.SITE_URL}/status/midsize/",
            "time_zone": clock.zone_name(),
            "maintenance_title": texts["maintenance_title"],
            "window_start": clock.date_time(datetime(2025, 6, 7, 18, 0, tzinfo=_SAMPLE_ZONE)),
            "window_end": clock.date_time(datetime(2025, 6, 7, 22, 0, tzinfo=_SAMPLE_ZONE)),
            "expected_impact": texts["expected_impact"],
            "customer_action": texts["customer_action"],
        }


def sparse_sample_context(language: str) -> dict[str, Any]:
    """The sample with every optional fact empty: exercises the ``{% else %}`` side of templates."""
    optional = {"eta", "next_update_at", "business_impact", "workaround", "root_cause", "resolution_summary",
                "message", "components_text"}
    context = sample_context(language)
    context.update(dict.fromkeys(optional, ""))
    context.update({"components": [], "personal_data": False, "reopened": True})
    context.update({"report_url": "", "report_attached": True})  # a customer who gets the PDF attached
    return context


def contrasting_sample_context(language: str) -> dict[str, Any]:
    """The sample with every fact different: another customer, number, state and wording.

    The save check renders this too, so a comparison with one of the sample's values
    (``{% if number != "MSM-2025-0531-001" %}``) takes its other branch at least once.
    """
    started = datetime(2026, 11, 30, 22, 5, tzinfo=_SAMPLE_ZONE)
    clock = Clock(tz=_SAMPLE_ZONE, now=started.replace(hour=23, minute=40), language=language)
    with translation.override(language):
        components = [{"name": "VPN", "status": label(ComponentStatus, ComponentStatus.DEGRADED_PERFORMANCE)}]
        return sample_context(language) | {
            "number": "NWL-2026-1130-007",
            "title": "VPN",
            "customer": "Northwind Ltd",
            "category": label(Category, Category.NETWORK),
            "severity": Severity.short_label(Severity.LOW),
            "severity_code": Severity.LOW.value,
            "status": label(Status, Status.MONITORING),
            "status_code": Status.MONITORING.value,
            "started_at": clock.date_time(started),
            "started_time": clock.clock_time(started),
            "detected_by": label(DetectedBy, DetectedBy.CLIENT),
            "eta": clock.moment(started.replace(day=1, month=12, hour=1, minute=0)),
            "next_update_at": clock.moment(started.replace(hour=23, minute=55)),
            "components": components,
            "components_text": "VPN",
            "business_impact": "-",
            "workaround": "-",
            "root_cause": "-",
            "resolution_summary": "-",
            "message": "-",
            "update_time": clock.moment(started.replace(hour=23, minute=40)),
            "duration": clock.duration(started, started.replace(hour=23, minute=40)),
            "report_url": f"{settings.SITE_URL}/reports/other/",
            "report_filename": "NWL-2026-1130-007.pdf",
            "status_page_url": f"{settings.SITE_URL}/status/northwind/",
            "time_zone": "UTC",
            "maintenance_title": "-",
            "window_start": clock.date_time(started),
            "window_end": clock.date_time(started.replace(hour=23, minute=59)),
            "expected_impact": "-",
            "customer_action": "-",
        }
