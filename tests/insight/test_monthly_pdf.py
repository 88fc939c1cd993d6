"""The monthly report's PDF read back with pdftotext: Dutch and German, the customer's zone, the month's facts."""

import subprocess
from datetime import UTC, datetime

import pytest

from insight.monthly import document
from tests.insight.monthly_month import NOVEMBER, make_customer, make_month

pytestmark = pytest.mark.django_db

GENERATED = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 06:00 in Amsterdam on the 1st




def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return " ".join(out.split())


def test_dutch_report_states_the_month_in_dutch_in_amsterdam_time(tmp_path):
    customer = make_customer(language="nl")
    make_month(customer)
    text = pdf_text(document.render_pdf(customer, NOVEMBER, now=GENERATED).pdf, tmp_path)
    for fact in ["Maandelijks servicerapport", "november 2026", "Acme Logistiek BV", "Kalm Managed Services",
                 "De maand in één oogopslag", "Beschikbaarheid per component", "Uitgevoerd onderhoud",
                 "Bestandsserver", "99,72 %", "99,93 %", "2 uur", "Bevestigd binnen de contractuele termijn",
                 "2 van 3 (66,6 %)", "Updates op tijd", "3 van 4 (75,0 %)", "Firmware-update",
                 "Tijd tot ontvangstbevestiging en updatefrequentie ten opzichte van het contract",
                 "Servicecredits", "250,00 EUR", "Twee uur uitval", "Openstaande verbeteracties",
                 "RAID-controller vervangen", "Jan"]:
        assert fact in text, fact
    # Times in the customer's zone: the month runs from local midnight; "Early" opened 00:30 on 1 November.
    assert "01-11-2026 00:00" in text and "01-12-2026 00:00" in text
    assert "01-11-2026 00:30" in text
    assert "Drill" not in text and "Late" not in text and "Back-ups testen" not in text
    assert "Monthly service report" not in text and "Availability" not in text


def test_german_report_reads_in_german(tmp_path):
    customer = make_customer(slug="acme-de", language="de")
    make_month(customer)
    text = pdf_text(document.render_pdf(customer, NOVEMBER, now=GENERATED).pdf, tmp_path)
    for fact in ["Monatlicher Servicebericht", "November 2026", "Der Monat auf einen Blick",
                 "Verfügbarkeit je Komponente", "Durchgeführte Wartungen", "99,72 %", "Störungen",
                 "Innerhalb der Vertragsfrist bestätigt", "2 von 3", "01.11.2026 00:30", "Firmware-update"]:
        assert fact in text, fact
    assert "Maandelijks" not in text and "Availability per component" not in text
