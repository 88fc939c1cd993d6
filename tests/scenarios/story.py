"""Seed 000's outage, told through the console as the account manager would, step by step.

Each step posts a form (the same requests the browser sends), then records which timeline
entry it wrote and the due time the incident had afterwards, so the inboxes can be checked
against what really happened. Every text is written in Dutch (the incident's language) with
English and German versions, because the forms ask for every language a reader needs.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse

from incidents.models import Incident, IncidentUpdate
from tests.scenarios.people import Cast

STAFF_SENTINEL = "STAFFONLYSENTINEL7F3A"  # internal notes, postpone reasons, the author's name
CONTACTS_SENTINEL = "CONTACTSONLYSENTINEL91C2"  # business impact: messages yes, public page no

TEXTS = {
    "title": {"nl": "Storing bestandsserver en ERP", "en": "File server and ERP outage",
              "de": "Ausfall von Dateiserver und ERP"},
    "opened": {"nl": "De bestandsserver en het ERP-systeem zijn niet bereikbaar. Wij onderzoeken de storing.",
               "en": "The file server and the ERP system cannot be reached. We are investigating the outage.",
               "de": "Der Dateiserver und das ERP-System sind nicht erreichbar. Wir untersuchen die Störung."},
    "workaround": {"nl": "Sla nieuwe documenten voorlopig lokaal op.",
                   "en": "Save new documents on your own computer for now.",
                   "de": "Speichern Sie neue Dokumente vorerst lokal."},
    "impact": {"nl": f"De productieplanning ligt stil. {CONTACTS_SENTINEL}",
               "en": f"Production planning has stopped. {CONTACTS_SENTINEL}",
               "de": f"Die Produktionsplanung steht still. {CONTACTS_SENTINEL}"},
    "identified": {"nl": "Wij hebben de oorzaak gevonden: een defecte schijf in de opslag.",
                   "en": "We have found the cause: a failed disk in the storage array.",
                   "de": "Wir haben die Ursache gefunden: eine defekte Festplatte im Speicher."},
    "root_cause": {"nl": "Een defecte schijf in de RAID-array.", "en": "A failed disk in the RAID array.",
                   "de": "Eine defekte Festplatte im RAID-Verbund."},
    "raised": {"nl": "Ook het ERP-systeem van de vestiging in Gent is nu geraakt.",
               "en": "The ERP system of the Ghent site is now affected as well.",
               "de": "Auch das ERP-System des Standorts Gent ist jetzt betroffen."},
    "monitoring": {"nl": "De schijf is vervangen en de systemen werken weer. Wij houden ze in de gaten.",
                   "en": "The disk has been replaced and the systems work again. We are keeping an eye on them.",
                   "de": "Die Festplatte ist ersetzt, und die Systeme laufen wieder. Wir beobachten sie."},
    "resolved": {"nl": "Alles werkt weer normaal. Er zijn geen gegevens verloren gegaan.",
                 "en": "Everything works normally again. No data was lost.",
                 "de": "Alles funktioniert wieder normal. Es sind keine Daten verloren gegangen."},
    "resolution": {"nl": "Wij hebben de schijf vervangen en de array hersteld.",
                   "en": "We replaced the disk and rebuilt the array.",
                   "de": "Wir haben die Festplatte ersetzt und den Verbund wiederhergestellt."},
    "summary": {"nl": "Een defecte schijf legde de opslag stil; wij vervangen voortaan oude schijven eerder.",
                "en": "A failed disk stopped the storage; from now on we replace ageing disks sooner.",
                "de": "Eine defekte Festplatte legte den Speicher lahm; künftig ersetzen wir alte Platten früher."},
}


@dataclass
class Step:
    name: str
    update_id: int
    due: datetime | None  # the incident's next-update promise once the step was posted


@dataclass
class Story:
    cast: Cast
    incident: Incident | None = None
    steps: list[Step] = field(default_factory=list)

    def step_of_update(self, update_id: int | None) -> Step | None:
        return next((step for step in self.steps if step.update_id == update_id), None)


def versions(name: str, field_name: str, languages=("en", "de")) -> dict[str, str]:
    """The form fields of one text: the Dutch as written, the others as ``<field>__<language>``."""
    return {field_name: TEXTS[name]["nl"], **{f"{field_name}__{lang}": TEXTS[name][lang] for lang in languages}}


def _record(story: Story, name: str) -> None:
    incident = Incident.objects.get(pk=story.incident.pk)
    latest = IncidentUpdate.objects.filter(incident=incident).order_by("-created_at", "-id").first()
    story.incident = incident
    story.steps.append(Step(name, latest.pk, incident.next_update_due_at))


def _post(client, url: str, data: dict, *, expect: int = 302) -> None:
    response = client.post(url, data)
    assert response.status_code == expect, (url, response.status_code, _errors(response))


def _errors(response) -> str:
    context = getattr(response, "context", None) or {}
    forms = [value for key, value in context.items() if key.endswith("form") and hasattr(value, "errors")]
    return "; ".join(f"{form.errors.as_text()}" for form in forms if form.errors)


def open_incident(client, story: Story) -> None:
    parts = story.cast.parts
    data = {"customer": story.cast.midsize.pk, "category": "server", "severity": "high",
            "status": "investigating", "detected_by": "msp",
            f"component_{parts['File server'].pk}": "major_outage", f"component_{parts['ERP'].pk}": "partial_outage",
            **versions("title", "title", ["en"]), **versions("opened", "message", ["en"]),
            **versions("workaround", "workaround", ["en"]), **versions("impact", "business_impact", ["en"])}
    _post(client, reverse("incidents:open"), data)
    story.incident = Incident.objects.latest("id")
    _record(story, "opened")


def add_upstream_customers(client, story: Story) -> None:
    """The outage sits at a shared supplier: Northwind and Bergmann are hit too.

    Northwind reads English, which the incident has already; Bergmann reads German, so the form
    first asks for the German title, workaround and business impact (and adds nothing until given).
    """
    url = reverse("incidents:add_customer", args=[story.incident.pk])
    _post(client, url, {"customer": story.cast.northwind.pk})
    _record(story, "added northwind")
    _post(client, url, {"customer": story.cast.bergmann.pk}, expect=422)
    assert not story.incident.customer_links.filter(customer=story.cast.bergmann).exists()
    german = {f"{field}__de": TEXTS[text]["de"] for field, text in
              (("title", "title"), ("workaround", "workaround"), ("business_impact", "impact"))}
    _post(client, url, {"customer": story.cast.bergmann.pk, **german})
    _record(story, "added bergmann")


def internal_note(client, story: Story) -> None:
    update(client, story, "internal note", message=f"Leveranciersticket 48213. {STAFF_SENTINEL}", is_internal="on",
           status=story.incident.status, severity=story.incident.severity)


def update(client, story: Story, name: str, **data) -> None:
    _post(client, reverse("incidents:post_update", args=[story.incident.pk]), data)
    _record(story, name)


def postpone(client, story: Story, until_text: str) -> None:
    _post(client, reverse("incidents:extend_due", args=[story.incident.pk]),
          {"until": until_text, "reason": f"Wacht op de leverancier. {STAFF_SENTINEL}"})
    _record(story, "postponed")


def send_summary(client, story: Story) -> None:
    _post(client, reverse("reports:send_summary", args=[story.incident.pk]), versions("summary", "message"))
    _record(story, "summary")


def tell(client, story: Story, *, postpone_to: Callable[[], str]) -> Iterator[str]:
    """The whole story, in the order the issue names: open, identified, raised, monitoring, resolved, summary."""
    open_incident(client, story)
    internal_note(client, story)
    add_upstream_customers(client, story)
    yield "identified"
    update(client, story, "identified", status="identified", severity="high", **versions("identified", "message"),
           **versions("root_cause", "root_cause"))
    yield "raised"
    update(client, story, "raised", status="identified", severity="critical", **versions("raised", "message"))
    postpone(client, story, postpone_to())
    yield "monitoring"
    update(client, story, "monitoring", status="monitoring", severity="critical",
           **versions("monitoring", "message"))
    yield "resolved"
    update(client, story, "resolved", status="resolved", severity="critical", **versions("resolved", "message"),
           **versions("resolution", "resolution_summary"))
    yield "summary"
    send_summary(client, story)
