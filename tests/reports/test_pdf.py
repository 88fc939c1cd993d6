"""The PDF itself: rendered by WeasyPrint in its child process, read back with pypdf and pdftoppm."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from pypdf import PdfReader

from reports import rendering
from reports.pdf import html_to_pdf
from tests.factories import ComponentFactory
from tests.reports.builders import make_customer, make_incident
from tests.reports.fixtures import add_stakeholders, write_review, write_story

SECTIONS_EN = ["Management summary", "Timeline", "Impact", "Cause, resolution and follow-up", "Root cause",
               "Resolution", "Workaround offered", "Preventive measures", "Remediation actions", "Lessons learned",
               "Communication record", "Metrics", "Regulatory notifications"]


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def english_story(other_customer, other_account_manager, django_capture_on_commit_callbacks):
    """The same outage for Northwind (English, Europe/London: one hour behind Amsterdam)."""
    parts = {"file_server": ComponentFactory(customer=other_customer, name="File server", position=1),
             "erp": ComponentFactory(customer=other_customer, name="ERP", position=2)}
    add_stakeholders(other_customer)
    with django_capture_on_commit_callbacks(execute=True):
        incident = write_story(other_customer, other_account_manager, parts)
    write_review(incident)
    return incident


@pytest.fixture
def english_pdf(english_story, other_customer) -> bytes:
    html = rendering.build_html(english_story, other_customer, version=3)
    return rendering.make_pdf(html).pdf


def test_states_the_facts_every_section_and_page_numbers(english_pdf, english_story, other_customer):
    pages = pdf_text(english_pdf)
    text = " ".join("\n".join(pages).split())  # one space for every run of whitespace (line breaks, no-break spaces)
    number = english_story.customer_links.get().number
    for fact in [number, "Storing bestandsserver", "Northwind Ltd", "File server", "ERP", "Critical",
                 "Een defecte schijf in de RAID-array", "Jan de Vries", "Vervang verouderde schijven", "1 Jul 2025",
                 "Kalm Managed Services"]:
        assert fact in text, fact
    for heading in SECTIONS_EN:
        assert heading in text, heading
    # Metrics: acknowledged at once, 1 of 3 intervals on time, 4 h 15 min down, 2 % per hour → 8.50 %.
    for figure in ["contract target 15 minutes): met", "1 of 3 intervals between public updates on time (33.3 %)",
                   "4 hours, 15 minutes", "8.50 % of the monthly fee (4.25 hours of downtime × 2.00 % per hour",
                   "1 hour, 45 minutes", "12 messages, 16 deliveries", "Longest silence: 2 hours, 30 minutes"]:
        assert figure in text, figure
    # Times in the customer's zone: 09:30 in Amsterdam is 08:30 in London.
    assert "31 May 2025 08:30 – 31 May 2025 12:45 (BST)" in " ".join(pages[0].split())
    # Running header and page numbers from the second page on, not on the cover.
    assert f"{len(pages)} / {len(pages)}" in pages[-1] and f"Kalm Managed Services · {number}" in pages[1]
    assert f"1 / {len(pages)}" not in pages[0]


def test_dutch_customer_gets_dutch_dates_zone_and_language(reviewed_story, customer):
    html = rendering.build_html(reviewed_story, customer, version=1)
    assert '<html lang="nl">' in html
    assert "31-05-2025 09:30 – 31-05-2025 13:45 (CEST)" in html  # Amsterdam, not UTC (07:30)
    text = "\n".join(pdf_text(rendering.make_pdf(html).pdf))
    assert "Tijdlijn" in text and "Managementsamenvatting" in text  # headings from the nl catalog
    assert "4 uur, 15 minuten" in text  # Django's own Dutch durations
    assert "Kort: de bestandsserver lag" in text  # the saved management summary, Markdown rendered


def test_user_markdown_is_sanitised(reviewed_story, customer):
    review = reviewed_story.review
    review.root_cause = "<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>"
    review.save()
    html = rendering.build_html(reviewed_story, customer)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, never as a tag
    assert "<script" not in html and "<img src=x" not in html and 'href="javascript' not in html


def test_without_a_review_the_summary_is_drafted_from_the_facts(story, customer):
    html = rendering.build_html(story, customer)
    assert "Productieplanning en bestandstoegang liggen volledig stil." in html
    assert "File server, ERP" in html


def test_logo_and_brand_colour(settings, tmp_path, reviewed_story, customer):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), (200, 30, 30)).save(logo)
    settings.KALM_LOGO_PATH = str(logo)
    settings.KALM_BRAND_COLOR = "#c81e1e"
    html = rendering.build_html(reviewed_story, customer)
    assert logo.as_uri() in html and "#c81e1e" in html
    first_page = PdfReader(io.BytesIO(rendering.make_pdf(html).pdf)).pages[0]
    assert len(first_page.images) == 1


def test_a_render_reads_only_the_allowed_files(tmp_path):
    picture = tmp_path / "private.png"
    Image.new("RGB", (40, 40), (0, 0, 0)).save(picture)
    html = f'<p>x</p><img src="{picture.as_uri()}"><img src="http://127.0.0.1:9/tracker.png">'
    stylesheet = str(rendering.STYLESHEET)
    refused, _pages = html_to_pdf(html, stylesheet=stylesheet)
    allowed, _pages = html_to_pdf(html, stylesheet=stylesheet, allowed_files=[str(picture)])
    assert len(PdfReader(io.BytesIO(refused)).pages[0].images) == 0
    assert len(PdfReader(io.BytesIO(allowed)).pages[0].images) == 1


def test_unknown_brand_colour_falls_back(settings, reviewed_story, customer):
    settings.KALM_BRAND_COLOR = "red; background: url(http://evil.example/)"
    assert "evil.example" not in rendering.build_html(reviewed_story, customer)


@pytest.mark.skipif(shutil.which("pdftoppm") is None,
                    reason="pdftoppm missing: apt-get install poppler-utils (.ci/run installs it)")
def test_pages_render_and_are_not_blank(english_pdf, tmp_path):
    (tmp_path / "report.pdf").write_bytes(english_pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(Path(tmp_path).glob("page-*.png"))
    assert len(pages) == 2
    for png in pages:
        image = Image.open(png).convert("L")
        assert image.size[0] > 300  # A4 at 40 dpi is 331 × 468
        assert ImageStat.Stat(image).var[0] > 100, f"{png.name} looks blank"
    assert ImageStat.Stat(Image.new("L", (331, 468), 255)).var[0] == 0  # what blank would measure


def test_huge_incident_renders(db):
    customer = make_customer()
    incident = make_incident(customer, updates=300, deliveries=3000)
    html = rendering.build_html(incident, customer)
    result = rendering.make_pdf(html)
    pages = pdf_text(result.pdf)
    assert len(pages) > 20
    text = "\n".join(pages)
    assert "Update 300 of the day" in text and "600 messages, 3000 deliveries" in text
    assert f"{len(pages)} / {len(pages)}" in pages[-1]
