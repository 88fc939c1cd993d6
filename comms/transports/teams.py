"""Microsoft Teams through a Workflows (Power Automate) incoming webhook, as an Adaptive Card.

The old Office 365 connector "MessageCard" format is retired; the Workflows "Post to a
channel when a webhook request is received" template expects a ``message`` with one
Adaptive Card attachment, which is what ``card_payload`` builds.
"""

from typing import Any

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from comms.transports.base import OutgoingMessage
from comms.transports.http import HttpTransport
from incidents.models import Incident, Severity, Status

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"  # the highest version Teams renders on every client


def _label(choices: type[Status] | type[Severity], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def in_language(message: OutgoingMessage) -> translation.override:
    """Labels on a card follow the recipient's language, not the worker's."""
    return translation.override(message.metadata.get("language") or None)


def incident_facts(message: OutgoingMessage) -> list[tuple[str, str]]:
    """(label, value) pairs for the incident, in the active language; missing facts left out.

    Shared with the Slack transport so both chat channels show the same facts the same way.
    """
    facts = message.metadata
    pairs = [
        (Incident._meta.verbose_name, facts.get("incident_number", "")),
        (Incident._meta.get_field("status").verbose_name, _label(Status, facts.get("status", ""))),
        (Incident._meta.get_field("severity").verbose_name, _label(Severity, facts.get("severity", ""))),
    ]
    return [(capfirst(str(label)), value) for label, value in pairs if value]


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def adaptive_card(message: OutgoingMessage) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_text_block(message.subject, size="Large", weight="Bolder")]
    with in_language(message):
        facts = incident_facts(message)
        status_page_title = gettext("Status page")
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]})
    if message.body_text:
        body.append(_text_block(message.body_text))
    card: dict[str, Any] = {"$schema": ADAPTIVE_CARD_SCHEMA, "type": "AdaptiveCard",
                            "version": ADAPTIVE_CARD_VERSION, "body": body}
    status_page_url = message.metadata.get("status_page_url")
    if status_page_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": status_page_title, "url": status_page_url}]
    return card


def card_payload(message: OutgoingMessage) -> dict[str, Any]:
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                  "content": adaptive_card(message)}
    return {"type": "message", "attachments": [attachment]}


class TeamsTransport(HttpTransport):
    channel = "teams"

    def send(self, message: OutgoingMessage) -> str:
        # Workflows answers 202 Accepted with an empty body: there is no message id to keep.
        self.post_json(message.address, card_payload(message))
        return ""
