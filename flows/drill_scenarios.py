"""Drill scenarios: data, not code. Each is what a drill opens and the script its participants follow.

A scenario holds its texts in every console language (the drill's incident is written in the
customer's, the others are its translations, as for a real incident) and a script: the updates
a real incident of this kind would need, each at its offset from the start. The script is not
posted by Kalm: practising is posting them, on time, in one's own words (the console shows
them as suggestions, flows.drills.drill_script).

``midsize-outage`` is seed 000's example: MidSize Manufacturing's file server and ERP down at
09:30 with a failed RAID disk, cause found 11:15, next update 12:30, solved 13:45.
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Texts = dict[str, str]  # language → text


@dataclass(frozen=True)
class ScriptStep:
    """One update the scenario calls for: when (minutes after the start), which status, what it says."""

    minutes: int
    status: str
    message: Texts
    workaround: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    slug: str
    name: Promise  # shown in the console's scenario select
    title: Texts
    category: str
    severity: str
    business_impact: Texts
    # The components it takes down, by any of their names in any language; a customer without
    # one of them runs the drill without it.
    components: dict[str, tuple[str, ...]]  # component status → names
    opening: Texts
    script: tuple[ScriptStep, ...]


MIDSIZE_OUTAGE = Scenario(
    slug="midsize-outage",
    name=_("Server outage: file server and ERP down (seed 000)"),
    title={"nl": "Storing: bestandsserver en ERP onbereikbaar",
           "en": "Outage: file server and ERP unreachable",
           "de": "Störung: Dateiserver und ERP nicht erreichbar"},
    category="server",
    severity="critical",
    business_impact={"nl": "Productieplanning en toegang tot bestanden liggen volledig stil.",
                     "en": "Production planning and access to files are at a complete standstill.",
                     "de": "Produktionsplanung und Dateizugriff stehen vollständig still."},
    components={"major_outage": ("Bestandsserver", "File server", "Dateiserver", "ERP")},
    opening={"nl": "De bestandsserver en het ERP-systeem zijn niet bereikbaar. Onze engineers werken er nu aan.",
             "en": "The file server and the ERP system cannot be reached. Our engineers are working on it now.",
             "de": "Der Dateiserver und das ERP-System sind nicht erreichbar. Unsere Techniker arbeiten daran."},
    script=(
        ScriptStep(105, "identified", {
            "nl": "We hebben de oorzaak gevonden: een defecte schijf in de RAID-array. De vervangende schijf "
                  "wordt nu geplaatst; uw gegevens zijn veilig. We verwachten de oplossing om 14:00.",
            "en": "We have found the cause: a failed disk in the RAID array. The replacement disk is being "
                  "fitted now; your data is safe. We expect it solved at 14:00.",
            "de": "Wir haben die Ursache gefunden: eine defekte Festplatte im RAID-Verbund. Die Ersatzplatte "
                  "wird jetzt eingebaut; Ihre Daten sind sicher. Wir erwarten die Lösung um 14:00 Uhr.",
        }, workaround={
            "nl": "Sla nieuwe bestanden lokaal op en zet ze terug zodra de bestandsserver weer werkt.",
            "en": "Save new files on your own computer and copy them back once the file server works again.",
            "de": "Speichern Sie neue Dateien lokal und kopieren Sie sie zurück, sobald der Dateiserver wieder läuft.",
        }),
        ScriptStep(180, "identified", {
            "nl": "De schijf is vervangen en de RAID-array wordt opnieuw opgebouwd. Vanaf 13:30 komen de "
                  "systemen geleidelijk terug; volledige werking verwachten we om 14:00.",
            "en": "The disk has been replaced and the RAID array is being rebuilt. The systems come back "
                  "gradually from 13:30; we expect everything working at 14:00.",
            "de": "Die Festplatte ist ersetzt, der RAID-Verbund wird neu aufgebaut. Ab 13:30 Uhr kommen die "
                  "Systeme schrittweise zurück; alles sollte um 14:00 Uhr wieder laufen.",
        }),
        ScriptStep(255, "resolved", {
            "nl": "Opgelost: de defecte schijf is vervangen, de RAID-array is herbouwd en de bestandsserver en "
                  "het ERP werken weer. Er zijn geen gegevens verloren. Een incidentrapport volgt binnen 24 uur.",
            "en": "Solved: the failed disk was replaced, the RAID array rebuilt, and the file server and ERP work "
                  "again. No data was lost. An incident report follows within 24 hours.",
            "de": "Gelöst: Die defekte Festplatte wurde ersetzt, der RAID-Verbund neu aufgebaut; Dateiserver und "
                  "ERP laufen wieder. Es gingen keine Daten verloren. Ein Bericht folgt innerhalb von 24 Stunden.",
        }),
    ),
)

SCENARIOS: dict[str, Scenario] = {scenario.slug: scenario for scenario in (MIDSIZE_OUTAGE,)}
DEFAULT_SCENARIO = MIDSIZE_OUTAGE.slug


def scenario_choices() -> list[tuple[str, Promise]]:
    return [(slug, scenario.name) for slug, scenario in SCENARIOS.items()]
