"""The shipped checklist, written from seed 001 (sections 1, 2, 4, 5, 6, 7 and 8), in en/nl/de.

Each row: key, phase, category ("" = all), severity ("" = all), owner role, minutes until due
(from the detection; for resolution and post-incident from the resolution), and the texts.
``defaults_load`` adds the rows that are missing and leaves edited ones alone, so the data
migration and a test can both call it.
"""

from typing import Any

from django.db import models

from playbook.models import ChecklistTemplate

DEFAULT_ITEMS: tuple[tuple[str, str, str, str, str, int, str, str, str], ...] = (
    ("cls-criteria", "classification", "", "", "incident_lead", 10,
     "Check the incident against the criticality criteria and set the severity",
     "Toets het incident aan de criteria voor kritiek en stel de ernst vast",
     "Incident anhand der Kriterien für kritische Incidents prüfen und Schweregrad festlegen"),
    ("cls-impact", "classification", "", "", "incident_lead", 15,
     "Assess the impact: affected customers, users and business processes",
     "Schat de impact in: getroffen klanten, gebruikers en bedrijfsprocessen",
     "Auswirkungen bewerten: betroffene Kunden, Nutzer und Geschäftsprozesse"),
    ("cls-team", "classification", "", "critical", "incident_lead", 15,
     "Activate the response team: fill all five roles",
     "Activeer het responsteam: bezet alle vijf rollen",
     "Response-Team aktivieren: alle fünf Rollen besetzen"),
    ("cls-acknowledge", "classification", "", "", "communications_lead", 15,
     "Send the acknowledgment to the customer within the contract's target",
     "Stuur de ontvangstbevestiging aan de klant binnen de contractuele termijn",
     "Eingangsbestätigung innerhalb der vertraglichen Frist an den Kunden senden"),
    ("cls-personal-data", "classification", "security", "", "incident_lead", 30,
     "Check whether personal data is involved (GDPR and NIS2 deadlines)",
     "Controleer of persoonsgegevens betrokken zijn (AVG- en NIS2-termijnen)",
     "Prüfen, ob personenbezogene Daten betroffen sind (DSGVO- und NIS2-Fristen)"),
    ("con-stop", "containment", "", "", "technical_lead", 30,
     "Take first containment measures so the damage does not spread",
     "Neem eerste maatregelen zodat de schade zich niet uitbreidt",
     "Erste Eindämmungsmaßnahmen ergreifen, damit sich der Schaden nicht ausweitet"),
    ("con-evidence", "containment", "security", "", "technical_lead", 30,
     "Secure logs and evidence before changing systems",
     "Stel logs en bewijs veilig voordat systemen worden gewijzigd",
     "Logs und Beweise sichern, bevor Systeme verändert werden"),
    ("con-record", "containment", "", "", "scribe", 45,
     "Record every measure and its time in the timeline",
     "Leg elke maatregel met tijdstip vast in de tijdlijn",
     "Jede Maßnahme mit Uhrzeit in der Zeitleiste festhalten"),
    ("dia-evidence", "diagnosis", "", "", "technical_lead", 60,
     "Collect symptoms, recent changes and monitoring data; write down hypotheses",
     "Verzamel symptomen, recente wijzigingen en monitoringgegevens; noteer hypotheses",
     "Symptome, letzte Änderungen und Monitoring-Daten sammeln; Hypothesen notieren"),
    ("dia-escalate", "diagnosis", "", "", "technical_lead", 90,
     "Escalate to the vendor or a specialist if the cause is not clear",
     "Schaal op naar de leverancier of een specialist als de oorzaak onduidelijk is",
     "An Hersteller oder Spezialisten eskalieren, wenn die Ursache unklar ist"),
    ("dia-root-cause", "diagnosis", "", "", "technical_lead", 120,
     "Identify the root cause and record it on the incident",
     "Stel de oorzaak vast en leg die vast bij het incident",
     "Ursache ermitteln und am Incident festhalten"),
    ("sol-plan", "solution", "", "", "technical_lead", 120,
     "Plan the fix with its risks and a way back (rollback)",
     "Plan de oplossing met de risico's en een weg terug (rollback)",
     "Lösung mit Risiken und Rückweg (Rollback) planen"),
    ("sol-eta", "solution", "", "", "communications_lead", 90,
     "Give the customer a realistic expected resolution time",
     "Geef de klant een realistisch verwacht hersteltijdstip",
     "Dem Kunden eine realistische voraussichtliche Lösungszeit nennen"),
    ("sol-validate", "solution", "", "", "technical_lead", 150,
     "Validate the fix (test or staged rollout) before applying it everywhere",
     "Valideer de oplossing (test of gefaseerd) voordat die overal wordt toegepast",
     "Lösung validieren (Test oder stufenweise), bevor sie überall ausgerollt wird"),
    ("bc-workaround", "continuity", "", "", "customer_contact", 45,
     "Offer a temporary workaround or alternative and publish it",
     "Bied een tijdelijke workaround of alternatief aan en publiceer die",
     "Temporären Workaround oder eine Alternative anbieten und veröffentlichen"),
    ("bc-priorities", "continuity", "", "", "customer_contact", 60,
     "Agree with the customer which critical functions come back first",
     "Spreek met de klant af welke kritieke functies als eerste terugkomen",
     "Mit dem Kunden festlegen, welche kritischen Funktionen zuerst zurückkommen"),
    ("bc-staged", "continuity", "", "", "incident_lead", 120,
     "Plan a staged recovery and tell stakeholders each stage",
     "Plan een gefaseerd herstel en meld elke fase aan de betrokkenen",
     "Stufenweise Wiederherstellung planen und jede Stufe kommunizieren"),
    ("res-confirm", "resolution", "", "", "customer_contact", 30,
     "Confirm with the customer that everything works again",
     "Bevestig met de klant dat alles weer werkt",
     "Mit dem Kunden bestätigen, dass alles wieder funktioniert"),
    ("res-monitor", "resolution", "", "", "technical_lead", 60,
     "Watch the monitoring for a recurrence",
     "Houd de monitoring in de gaten op herhaling",
     "Monitoring auf erneutes Auftreten beobachten"),
    ("res-summary", "resolution", "", "", "scribe", 60,
     "Write the root cause and the resolution summary on the incident",
     "Schrijf de oorzaak en de samenvatting van de oplossing bij het incident",
     "Ursache und Zusammenfassung der Lösung am Incident festhalten"),
    ("pi-summary", "post_incident", "", "", "communications_lead", 1440,
     "Send the post-incident summary and report to the customer",
     "Stuur de klant de samenvatting en het rapport na het incident",
     "Post-Incident-Zusammenfassung und Bericht an den Kunden senden"),
    ("pi-compensation", "post_incident", "", "", "customer_contact", 2880,
     "Check the SLA: is compensation owed? A manager decides",
     "Controleer de SLA: is compensatie verschuldigd? Een manager beslist",
     "SLA prüfen: Ist eine Kompensation fällig? Ein Manager entscheidet"),
    ("pi-review", "post_incident", "", "", "incident_lead", 4320,
     "Hold the post-mortem: timeline, cause, what went well and what did not",
     "Houd de post-mortem: tijdlijn, oorzaak, wat ging goed en wat niet",
     "Post-Mortem durchführen: Zeitleiste, Ursache, was gut lief und was nicht"),
    ("pi-actions", "post_incident", "", "", "incident_lead", 4320,
     "Record preventive actions with an owner and a due date",
     "Leg preventieve acties vast met een eigenaar en een deadline",
     "Präventive Maßnahmen mit Verantwortlichem und Termin festhalten"),
    ("pi-training", "post_incident", "", "", "incident_lead", 10080,
     "Update the checklists and the training with what was learned",
     "Werk de checklists en de training bij met wat is geleerd",
     "Checklisten und Schulungen mit den Erkenntnissen aktualisieren"),
)


def default_rows() -> list[dict[str, Any]]:
    return [{"key": key, "phase": phase, "category": category, "severity": severity, "owner_role": owner,
             "due_minutes": minutes, "position": position, "text_en": en, "text_nl": nl, "text_de": de}
            for position, (key, phase, category, severity, owner, minutes, en, nl, de) in enumerate(DEFAULT_ITEMS)]


def defaults_load(model: type[models.Model] = ChecklistTemplate) -> int:
    """Add the shipped templates that are missing (by key); returns how many were added.

    ``model`` is the historical model in the data migration.
    """
    existing = set(model.objects.values_list("key", flat=True))
    missing = [model(**row) for row in default_rows() if row["key"] not in existing]
    model.objects.bulk_create(missing)
    return len(missing)
