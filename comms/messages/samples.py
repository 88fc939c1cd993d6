"""The worked example every template is rendered against before it is saved: MidSize Manufacturing's
failed file server (the seeds' case), in each language, and two variations of it. The template
editor previews the sample; the save check (``comms.messages.rendering``) renders all three.

The incident keys are formatted by the function that formats a real message's
(``comms.messages.context.incident_keys``), so a sample reads exactly as a message would.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation

from comms.messages.context import IncidentFacts, empty_context, incident_keys
from core.formatting import Clock
from incidents.models import Category, ComponentStatus, DetectedBy, Severity, Status

SAMPLE_ZONE = ZoneInfo("Europe/Amsterdam")

SAMPLE_TEXTS: dict[str, dict[str, str]] = {
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


def sample_context(language: str) -> dict[str, Any]:
    """A realistic context with every key filled: MidSize Manufacturing's file server outage."""
    texts = SAMPLE_TEXTS.get(language, SAMPLE_TEXTS["en"])
    started = datetime(2025, 5, 31, 9, 30, tzinfo=SAMPLE_ZONE)
    now = started.replace(hour=11, minute=15)
    clock = Clock(tz=SAMPLE_ZONE, now=now, language=language)
    facts = IncidentFacts(
        number="MSM-2025-0531-001", texts=texts, category=Category.SERVER, severity=Severity.CRITICAL.value,
        status=Status.IDENTIFIED.value, detected_by=DetectedBy.MSP, started_at=started,
        eta=started.replace(hour=14, minute=0), next_update_at=started.replace(hour=12, minute=30),
        components=[(texts["file_server"], ComponentStatus.MAJOR_OUTAGE),
                    ("ERP", ComponentStatus.PARTIAL_OUTAGE)],
        update_time=now, ended_at=started.replace(hour=13, minute=45), personal_data=True, reopened=False,
    )
    with translation.override(language):
        return empty_context() | incident_keys(facts, clock) | {
            "customer": "MidSize Manufacturing BV",
            "msp": settings.KALM_MSP_NAME,
            "report_url": f"{settings.SITE_URL}/reports/sample-signed-link/",
            "report_attached": False,  # a customer who gets the PDF attached has no link: report_filename instead
            "report_filename": "MSM-2025-0531-001-report.pdf",
            "status_page_url": f"{settings.SITE_URL}/status/midsize/",
            "time_zone": clock.zone_name(),
            "maintenance_title": texts["maintenance_title"],
            "window_start": clock.date_time(datetime(2025, 6, 7, 18, 0, tzinfo=SAMPLE_ZONE)),
            "window_end": clock.date_time(datetime(2025, 6, 7, 22, 0, tzinfo=SAMPLE_ZONE)),
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
    started = datetime(2026, 11, 30, 22, 5, tzinfo=SAMPLE_ZONE)
    now = started.replace(hour=23, minute=40)
    clock = Clock(tz=SAMPLE_ZONE, now=now, language=language)
    facts = IncidentFacts(
        number="NWL-2026-1130-007", texts={**dict.fromkeys(SAMPLE_TEXTS["en"], "-"), "title": "VPN"},
        category=Category.NETWORK, severity=Severity.LOW.value, status=Status.MONITORING.value,
        detected_by=DetectedBy.CLIENT, started_at=started, eta=started.replace(day=1, month=12, hour=1, minute=0),
        next_update_at=started.replace(hour=23, minute=55),
        components=[("VPN", ComponentStatus.DEGRADED_PERFORMANCE)], update_time=now, ended_at=now,
        personal_data=True, reopened=False,
    )
    with translation.override(language):
        return sample_context(language) | incident_keys(facts, clock) | {
            "customer": "Northwind Ltd",
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
