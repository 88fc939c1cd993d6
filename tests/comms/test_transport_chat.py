"""Teams and Slack transports against a real HTTP server on loopback."""

import pytest

from comms.transports import TransportError
from comms.transports.slack import HEADER_LIMIT, SECTION_LIMIT, SlackTransport
from comms.transports.teams import TeamsTransport
from tests.comms.conftest import STATUS_PAGE_URL

# --- Teams --------------------------------------------------------------------------------


def _card(sink):
    payload = sink.json()
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    return attachment["content"]


def test_teams_posts_an_adaptive_card(http_sink, make_message):
    message = make_message("teams", address=http_sink.url("/teams"))

    assert TeamsTransport().send(message) == ""

    card = _card(http_sink)
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, facts, text = card["body"]
    assert title == {"type": "TextBlock", "text": message.subject, "wrap": True, "size": "Large", "weight": "Bolder"}
    assert facts["type"] == "FactSet"
    assert facts["facts"] == [
        {"title": "Incident", "value": "MSM-2025-0531-001"},
        {"title": "Status", "value": "Investigating"},
        {"title": "Severity", "value": "Critical – everything is down"},
    ]
    assert (text["type"], text["text"]) == ("TextBlock", message.body_text)
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Status page", "url": STATUS_PAGE_URL}]
    assert http_sink.requests[0].headers["content-type"] == "application/json"


def test_teams_card_labels_follow_the_recipients_language(http_sink, make_message):
    TeamsTransport().send(make_message("teams", address=http_sink.url("/teams"), metadata={"language": "nl"}))

    facts = _card(http_sink)["body"][1]["facts"]
    assert facts[1] == {"title": "Status", "value": "Onderzoek loopt"}
    assert facts[2] == {"title": "Ernst", "value": "Kritiek – alles ligt plat"}


def test_teams_card_without_status_page_or_facts(http_sink, make_message):
    metadata = {"status_page_url": "", "incident_number": "", "status": "", "severity": ""}
    TeamsTransport().send(make_message("teams", address=http_sink.url("/teams"), metadata=metadata))

    card = _card(http_sink)
    assert "actions" not in card
    assert [block["type"] for block in card["body"]] == ["TextBlock", "TextBlock"]


# --- Slack --------------------------------------------------------------------------------


def test_slack_posts_blocks_with_a_fallback_text(http_sink, make_message):
    message = make_message("slack", address=http_sink.url("/slack"))

    assert SlackTransport().send(message) == ""

    payload = http_sink.json()
    assert payload["text"] == message.subject
    header, section, context = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": message.subject, "emoji": True}}
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": message.body_text}}
    assert context["type"] == "context"
    [element] = context["elements"]
    assert element["type"] == "mrkdwn"
    assert "*Incident:* MSM-2025-0531-001" in element["text"]
    assert "*Status:* Investigating" in element["text"]
    assert f"<{STATUS_PAGE_URL}|" in element["text"]


def test_slack_truncates_to_its_limits_at_a_word_boundary(http_sink, make_message):
    subject = "Storing " + "fileserver " * 30  # ~340 characters
    body = "Het netwerk is traag. " * 300  # ~6600 characters
    SlackTransport().send(make_message("slack", address=http_sink.url("/slack"), subject=subject, body_text=body))

    header, section, _context = http_sink.json()["blocks"]
    header_text, section_text = header["text"]["text"], section["text"]["text"]
    assert len(header_text) <= HEADER_LIMIT
    assert len(section_text) <= SECTION_LIMIT
    assert len(section_text) > SECTION_LIMIT - 30  # cut near the limit, not far before it
    for text, original in ((header_text, subject), (section_text, body)):
        assert text.endswith("…")
        kept = text.removesuffix("…")
        assert original.startswith(kept)
        assert original[len(kept)] == " "  # the cut fell on a word boundary


def test_slack_escapes_mrkdwn_control_characters_without_breaking_entities(http_sink, make_message):
    body = "Use <vpn> & retry. " + "a<b " * 1200
    SlackTransport().send(make_message("slack", address=http_sink.url("/slack"), body_text=body))

    text = http_sink.json()["blocks"][1]["text"]["text"]
    assert text.startswith("Use &lt;vpn&gt; &amp; retry.")
    assert len(text) <= SECTION_LIMIT
    assert text.endswith("a&lt;b…")  # a cut never leaves half an entity like "&l"


def test_slack_skips_an_empty_section(http_sink, make_message):
    SlackTransport().send(make_message("slack", address=http_sink.url("/slack"), body_text="  "))

    assert [block["type"] for block in http_sink.json()["blocks"]] == ["header", "context"]


# --- errors, both chat transports ---------------------------------------------------------

TRANSPORTS = [TeamsTransport, SlackTransport]


@pytest.mark.parametrize("transport_class", TRANSPORTS)
@pytest.mark.parametrize(("path", "permanent"), [
    ("/gone", True),       # 410 no_service
    ("/missing", True),    # 404 channel_not_found
    ("/bad", True),        # 400 invalid_payload
    ("/redirect", True),   # a moved webhook must be re-entered, not followed
    ("/busy", False),      # 503
    ("/limited", False),   # 429
])
def test_http_status_decides_permanent_or_transient(http_sink, make_message, transport_class, path, permanent):
    message = make_message(transport_class.channel, address=http_sink.url(path))

    with pytest.raises(TransportError) as caught:
        transport_class().send(message)

    assert caught.value.permanent is permanent
    assert len(http_sink.requests) == 1  # tried once, no redirect followed


@pytest.mark.parametrize("transport_class", TRANSPORTS)
def test_error_message_names_the_status_not_the_reply(http_sink, make_message, transport_class):
    # Slack answers 404 "channel_not_found" in plain text; only a JSON "error" field is repeated
    # (tests/comms/test_transport_outbound.py), so staff never read a page the endpoint chose.
    with pytest.raises(TransportError, match=r"^HTTP 404 Not Found from http://127\.0\.0\.1:\d+$"):
        transport_class().send(make_message(transport_class.channel, address=http_sink.url("/missing")))


@pytest.mark.parametrize("transport_class", TRANSPORTS)
def test_connection_refused_is_transient(refused_url, make_message, transport_class):
    with pytest.raises(TransportError) as caught:
        transport_class().send(make_message(transport_class.channel, address=refused_url))

    assert caught.value.permanent is False


@pytest.mark.parametrize("transport_class", TRANSPORTS)
def test_a_batch_reuses_one_http_connection(http_sink, make_message, transport_class):
    transport = transport_class()
    transport.open()
    transport.send(make_message(transport_class.channel, address=http_sink.url("/one")))
    transport.send(make_message(transport_class.channel, address=http_sink.url("/two")))
    transport.close()

    first, second = http_sink.requests
    assert (first.path, second.path) == ("/one", "/two")
    assert first.client_port == second.client_port
