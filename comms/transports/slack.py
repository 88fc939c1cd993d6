"""Slack through an incoming webhook, as Block Kit blocks with a plain-text fallback.

Slack answers 200 "ok". Its failures arrive as plain 4xx codes (400 invalid_payload,
403 action_prohibited, 404 channel_not_found, 410 channel_is_archived/no_service), which
the shared HTTP mapping already treats as permanent; 429 and 5xx are retried.
"""

from typing import Any

from comms.transports.base import OutgoingMessage
from comms.transports.http import HttpTransport
from comms.transports.teams import in_language, incident_facts

HEADER_LIMIT = 150  # Slack rejects a header block with a longer plain_text
SECTION_LIMIT = 3000  # ... and a section whose text is longer than this
ELLIPSIS = "…"


def cut_at_word(text: str, end: int) -> str:
    """``text[:end]``, moved back to the last word boundary unless that loses over half of it.

    Shared with the SMS transport, which cuts the same way.
    """
    cut = text[:end]
    if end >= len(text) or text[end].isspace():
        return cut.rstrip()  # already ends at a word boundary
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    # One very long word (a URL, say) is cut hard rather than dropping half the text.
    return (cut[:boundary] if boundary > end // 2 else cut).rstrip()


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters; when cut, cut at a word boundary and end with an ellipsis."""
    if len(text) <= limit:
        return text
    return cut_at_word(text, limit - len(ELLIPSIS)) + ELLIPSIS


def escape_mrkdwn(text: str) -> str:
    """Slack reads <...> as links and mentions; the three control characters must be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_within(text: str, limit: int) -> str:
    """Escaped text no longer than ``limit``; cuts the raw text so an entity is never split."""
    budget = limit
    while len(fitted := escape_mrkdwn(truncate(text, budget))) > limit:
        budget -= len(fitted) - limit
    return fitted


def _context(message: OutgoingMessage) -> dict[str, Any] | None:
    with in_language(message):
        parts = [f"*{label}:* {escape_mrkdwn(value)}" for label, value in incident_facts(message)]
    url = message.metadata.get("status_page_url")
    if url:
        parts.append(f"<{url}|{escape_mrkdwn(url)}>")
    if not parts:
        return None
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "  ·  ".join(parts)}]}


def blocks_payload(message: OutgoingMessage) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(message.subject, HEADER_LIMIT),
                                    "emoji": True}},
    ]
    if message.body_text.strip():  # Slack rejects a section with empty text
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": mrkdwn_within(message.body_text, SECTION_LIMIT)}})
    context = _context(message)
    if context:
        blocks.append(context)
    # "text" is what notifications and screen readers show; Slack wants it next to blocks.
    return {"text": message.subject, "blocks": blocks}


class SlackTransport(HttpTransport):
    channel = "slack"

    def send(self, message: OutgoingMessage) -> str:
        self.post_json(message.address, blocks_payload(message))
        return ""  # incoming webhooks return "ok", never a message timestamp
