"""The assertions the story makes about what every person received and what the public saw.

Shared by the in-process run (SQLite or PostgreSQL, time travelled) and the real-worker run
(PostgreSQL, Redis, a Celery worker), so both hold the pipeline to the same standard.
"""

import io
import json

from pypdf import PdfReader

from reports import rendering
from tests.scenarios import people
from tests.scenarios.inbox import Received, inbox
from tests.scenarios.reading import GREETING, foreign_sentences, local_time, markdown_syntax
from tests.scenarios.story import CONTACTS_SENTINEL, STAFF_SENTINEL, TEXTS, Story

INTRODUCTIONS = {"acknowledgment", "escalation", "regulatory"}
CRITICAL_IT = ["acknowledgment", "update", "escalation", "update", "resolution", "post_incident"]
EXPECTED_KINDS = {
    "it@midsize.example": CRITICAL_IT,
    "servicedesk@midsize.example": CRITICAL_IT,
    "operations@midsize.example": CRITICAL_IT,
    "inkoop@midsize.example": ["acknowledgment", "resolution", "post_incident"],
    "directie@midsize.example": ["acknowledgment", "escalation", "update", "resolution", "post_incident"],
    "cfo@midsize.example": ["acknowledgment", "escalation", "update", "resolution", "post_incident"],
    "iedereen@midsize.example": ["acknowledgment", "update", "update", "update", "resolution"],
    "privacy@midsize.example": [],  # no personal data involved: the regulator's contact hears nothing
    "it@northwind.example": CRITICAL_IT,
    "ops@northwind.example": CRITICAL_IT,
    "it@bergmann.example": CRITICAL_IT,
    "praxis@bergmann.example": ["acknowledgment", "update", "update", "update", "resolution"],
    "leitung@bergmann.example": ["acknowledgment", "escalation", "update", "resolution", "post_incident"],
}
TITLE_OF = TEXTS["title"]


def check_inboxes(story: Story, messages: list[Received]) -> None:
    for contact in people.contacts():
        mails = inbox(messages, contact.email)
        assert [m.kind for m in mails] == EXPECTED_KINDS[contact.email], contact.email
        for message in mails + inbox(messages, contact.phone, "sms"):
            check_message(story, message, contact.language)


def check_message(story: Story, message: Received, language: str) -> None:
    where = f"{message.channel} to {message.address} ({message.kind})"
    customer = story.cast.customer_of(message.address) if message.channel == "email" else _customer_of(message)
    assert message.language == language, where
    foreign = foreign_sentences(message.subject + "\n" + message.text, language)
    assert foreign == [], (where, foreign, message.text)
    assert markdown_syntax(message.text) == [], where
    assert STAFF_SENTINEL not in message.text + message.subject, where
    if message.channel == "email":
        assert message.text.startswith(GREETING[language]), where
        assert TITLE_OF[language] in message.subject, where
    due = message.step.due if message.step else None
    if due is not None and message.kind != "post_incident":
        assert local_time(due, customer.time_zone) in message.text, f"{where}: promise {due}: {message.text}"


def _customer_of(message: Received):
    return message.communication.customer


def check_first_messages(messages: list[Received]) -> None:
    """Nobody hears of the incident first from a later phase."""
    for contact in people.contacts():
        mails = inbox(messages, contact.email)
        if mails:
            assert mails[0].kind in INTRODUCTIONS, contact.email


def check_webhook(messages: list[Received]) -> None:
    hooks = [m for m in messages if m.channel == "webhook"]
    assert [m.kind for m in hooks] == CRITICAL_IT
    for hook in hooks:
        assert hook.language == "nl" and markdown_syntax(hook.text) == [] and STAFF_SENTINEL not in hook.text
        foreign = foreign_sentences(hook.text, "nl")
        assert foreign == [], (foreign, hook.text)


def check_public_face(client, story: Story) -> None:
    """Pages, JSON, feeds and calendars in every language: the reader's language, nothing not public."""
    for customer in story.cast.customers:
        for language in ("", "en", "nl", "de"):
            query = f"?lang={language}" if language else ""
            shown = language or customer.language
            base = f"/status/{customer.slug}/"
            documents = [f"{base}{query}", f"{base}history.rss{query}", f"{base}history.atom{query}",
                         f"{base}maintenance.ics{query}", f"{base}api/v2/summary.json{query}",
                         f"{base}api/v2/incidents.json{query}"]
            for path in documents:
                response = client.get(path)
                assert response.status_code == 200, path
                body = response.content.decode()
                assert STAFF_SENTINEL not in body, path
                assert CONTACTS_SENTINEL not in body, path
                if path.endswith("incidents.json" + query):
                    names = {incident["name"] for incident in json.loads(body)["incidents"]}
                    assert names == {TITLE_OF[shown]}, path
                elif "/api/" not in path and not path.endswith(".ics" + query):
                    assert TITLE_OF[shown] in body, (path, shown)
                    wrong = [title for lang, title in TITLE_OF.items() if lang != shown and title in body]
                    assert not wrong, (path, wrong)


def pdf_text(story: Story, customer) -> str:
    html = rendering.build_html(story.incident, customer)
    pdf = rendering.make_pdf(html).pdf
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def check_reports(story: Story, messages: list[Received]) -> None:
    """Each customer's PDF: its language's title, no staff-only text, the same duration as the e-mails."""
    for customer in story.cast.customers:
        text = pdf_text(story, customer)
        assert TITLE_OF[customer.language] in text, customer.slug
        assert STAFF_SENTINEL not in text, customer.slug
        resolution = next(m for m in messages if m.channel == "email" and m.kind == "resolution"
                          and m.communication.customer_id == customer.pk and m.communication.audience == "technical")
        duration = resolution.text.split("duration ")[-1].split("\n")[0] if customer.language == "en" else None
        if duration:
            assert duration.strip() in text, (customer.slug, duration)
