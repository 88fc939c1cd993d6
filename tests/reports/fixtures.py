"""Fixtures for the post-incident report (loaded by conftest.py): a crafted, resolved incident.

``story`` is MidSize Manufacturing's file-server outage of seed 000, written through the
services at fixed moments (time-machine), with stakeholders, so the outbox writes real
Communications and Deliveries:

    09:30  opened (critical): file server major outage, ERP partial outage
    10:00  update: identified
    11:15  update (late: 75 minutes against a 30-minute cadence): ERP operational, monitoring
    13:45  resolved: file server operational

Times are Europe/Amsterdam (CEST, UTC+2) on 31 May 2025. ``fake_pdf`` replaces the
WeasyPrint child with a constant PDF for tests about the workflow rather than the document.
"""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from comms.models import Stakeholder
from flows import incidents as incident_flow
from incidents.models import Incident
from reports import rendering
from reports.models import PostIncidentReview, RemediationAction
from reports.pdf import PdfResult

AMS = ZoneInfo("Europe/Amsterdam")
DAY = (2025, 5, 31)
FAKE_PDF = b"%PDF-1.4\n% fake report for workflow tests\n%%EOF\n"


def at(hour: int, minute: int, *, day: tuple[int, int, int] = DAY) -> datetime:
    return datetime(*day, hour, minute, tzinfo=AMS)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # Public name: conftest.py star-imports this module, and a star import skips "_" names.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def fake_pdf(monkeypatch) -> None:
    monkeypatch.setattr(rendering, "make_pdf", lambda html: PdfResult(pdf=FAKE_PDF, pages=1, seconds=0.0,
                                                                      max_rss_kb=0))


def add_stakeholders(customer) -> list[Stakeholder]:
    """IT (e-mail and SMS), management and an end user, in the customer's language."""
    domain, language = f"{customer.slug}.example", customer.language
    people = [
        Stakeholder(customer=customer, name="Jan de Vries", role="customer_it", audience="technical",
                    language=language, email=f"jan@{domain}", phone="+31612345678"),
        Stakeholder(customer=customer, name="Els Bakker", role="management", audience="executive", language=language,
                    email=f"els@{domain}"),
        Stakeholder(customer=customer, name="Piet Jansen", role="affected_users", audience="end_user",
                    language=language, email=f"piet@{domain}"),
    ]
    return Stakeholder.objects.bulk_create(people)


@pytest.fixture
def stakeholders(customer) -> list[Stakeholder]:
    return add_stakeholders(customer)


def write_story(customer, author, components: dict) -> Incident:
    """The seed's outage, written through the services at fixed moments."""
    file_server, erp = components["file_server"], components["erp"]
    with time_machine.travel(at(9, 30), tick=False) as traveller:
        incident = incident_flow.open_incident(
            customer=customer, title="Storing bestandsserver", category="server", severity="critical",
            message="We onderzoeken een storing van de bestandsserver.", author=author,
            business_impact="Productieplanning en bestandstoegang liggen volledig stil.",
            workaround="Sla nieuwe documenten voorlopig lokaal op.",
            component_statuses={file_server: "major_outage", erp: "partial_outage"},
        )
        traveller.move_to(at(10, 0))
        incident_flow.post_update(incident=incident, author=author, status="identified",
                                      message="Oorzaak gevonden: defecte schijf in de RAID-array.",
                                      root_cause="A failed disk in the RAID array.")
        traveller.move_to(at(11, 15))
        incident_flow.post_update(incident=incident, author=author, status="monitoring",
                                      message="Het ERP werkt weer; de bestandsserver wordt hersteld.",
                                      component_statuses={erp: "operational"})
        traveller.move_to(at(13, 45))
        incident_flow.post_update(incident=incident, author=author, status="resolved",
                                      message="Alles werkt weer. Er is geen data verloren.",
                                      resolution_summary="Defecte schijf vervangen en de RAID-array herbouwd.")
    incident.refresh_from_db()
    return incident


def write_review(incident: Incident) -> PostIncidentReview:
    review = PostIncidentReview.objects.create(
        incident=incident, management_summary="**Kort**: de bestandsserver lag 4 uur en 15 minuten stil.",
        root_cause="Een defecte schijf in de RAID-array; de array ging offline tijdens de rebuild.",
        preventive_measures="Extra monitoring op de RAID-status.", lessons_learned="Schijven eerder vervangen.",
        data_lost="no", sla_credit_percent_per_hour="2.00",
    )
    RemediationAction.objects.create(review=review, description="Vervang verouderde schijven", owner="Jan de Vries",
                                     due_date=datetime(2025, 7, 1).date())
    return review


@pytest.fixture
def story(customer, file_server, erp, account_manager, stakeholders,
          django_capture_on_commit_callbacks) -> Iterator[Incident]:
    with django_capture_on_commit_callbacks(execute=True):
        incident = write_story(customer, account_manager, {"file_server": file_server, "erp": erp})
    yield incident


@pytest.fixture
def reviewed_story(story) -> Incident:
    write_review(story)
    return story
