"""EmailTransport against a real SMTP server on loopback."""

import smtplib

import pytest

from comms.transports import TransportError
from comms.transports.email import EmailTransport, smtp_error
from tests.comms.conftest import MESSAGE_ID

FROM = "Kalm Managed Services <noreply@msp.example>"


@pytest.fixture(autouse=True)
def _sender(settings):
    settings.DEFAULT_FROM_EMAIL = FROM


def test_sends_text_and_html_alternatives_in_utf8(smtp_server, make_message):
    message = make_message(
        subject="Störung: Dateiserver – Ihr Büro ist betroffen (ë, ß)",
        body_text="Beste Jan, de server is gedeïnstalleerd. Grüße, Straße.",
        body_html="<p>Beste Jan, de server is <em>gedeïnstalleerd</em>. Grüße, Straße.</p>",
    )

    EmailTransport().send(message)

    [mail] = smtp_server.messages
    assert mail.message.get_content_type() == "multipart/alternative"
    text, html = mail.message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert text.get_content().strip() == message.body_text
    assert "<em>gedeïnstalleerd</em>. Grüße, Straße." in html.get_content()
    assert mail.message["Subject"] == message.subject


def test_headers_and_envelope(smtp_server, make_message):
    message = make_message(metadata={"language": "nl"}, headers={
        "List-Unsubscribe": "<https://status.msp.example/u/abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    })

    result = EmailTransport().send(message)

    [mail] = smtp_server.messages
    headers = mail.message
    assert result == MESSAGE_ID
    assert headers["Message-ID"] == MESSAGE_ID
    assert headers["From"] == FROM
    assert headers["To"] == "jan.de.vries@midsize.example"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Kalm-Incident"] == "MSM-2025-0531-001"
    assert headers["Content-Language"] == "nl"
    assert headers["List-Unsubscribe"] == "<https://status.msp.example/u/abc>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.mail_from == "noreply@msp.example"
    assert mail.rcpt_tos == ["jan.de.vries@midsize.example"]


def test_no_incident_header_without_an_incident(smtp_server, make_message):
    EmailTransport().send(make_message(metadata={"incident_number": ""}))

    assert "X-Kalm-Incident" not in smtp_server.messages[0].message


def test_a_batch_uses_one_connection(smtp_server, make_message):
    transport = EmailTransport()
    transport.open()
    transport.send(make_message(address="a@midsize.example"))
    transport.send(make_message(address="b@midsize.example"))
    transport.close()

    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@midsize.example"], ["b@midsize.example"]]
    assert smtp_server.sessions == 1


def _personal(token: str) -> dict:
    """What the status page adds for one subscriber: the token in a header and in both footers."""
    url = f"https://status.msp.example/status/midsize/subscriptions/{token}/unsubscribe/"
    return {"personal": token, "headers": {"List-Unsubscribe": f"<{url}>"},
            "footer_text": f"Ümlaut footer, unsubscribe: {url}", "footer_html": f'<a href="{url}">Afmelden</a> ë'}


@pytest.mark.parametrize("body_text", [
    "Short body.",
    # A line longer than 78 characters makes the part quoted-printable, whose soft line
    # breaks can fall inside the token.
    "Lange regel met umlauten – Störung " + "x" * 120,
])
def test_a_batch_composes_once_and_swaps_each_recipients_token_in(smtp_server, make_message, body_text):
    tokens = [f"{n:010d}:{chr(65 + n) * 43}" for n in range(1, 4)]  # same length, like the signed tokens
    transport = EmailTransport()
    transport.open()
    for n, token in enumerate(tokens):
        transport.send(make_message(address=f"s{n}@example.com", body_text=body_text, **_personal(token)))
    compositions = len(transport._serialised)
    transport.close()
    transport.send(make_message(address="alone@example.com", body_text=body_text, **_personal(tokens[0])))

    *batched, alone = smtp_server.messages
    assert compositions == 1 and len(batched) == 3
    for mail, token in zip(batched, tokens, strict=True):
        text, html = mail.message.iter_parts()
        url = f"https://status.msp.example/status/midsize/subscriptions/{token}/unsubscribe/"
        assert mail.message["List-Unsubscribe"] == f"<{url}>"
        assert text.get_content().rstrip().endswith(url) and body_text in text.get_content()
        assert f'<a href="{url}">Afmelden</a> ë' in html.get_content()
        assert "kalmpersonal" not in mail.message.as_string()
        # RFC 2369: the bare URL on one line, not folded into encoded-words however long it is.
        assert f"List-Unsubscribe: <{url}>\r\n".encode() in mail.raw
    # The swapped message says exactly what a message composed alone for that recipient says.
    first_text, first_html = batched[0].message.iter_parts()
    alone_text, alone_html = alone.message.iter_parts()
    assert (first_text.get_content(), first_html.get_content()) == (alone_text.get_content(), alone_html.get_content())


def test_a_personal_token_outside_the_safe_alphabet_is_composed_alone(smtp_server, make_message):
    transport = EmailTransport()
    transport.open()
    transport.send(make_message(**_personal("token with spaces and ü, long enough")))
    transport.close()

    [mail] = smtp_server.messages
    assert "token with spaces and ü, long enough" in mail.message.get_body(("plain",)).get_content()


def test_a_long_list_unsubscribe_url_stays_bare_without_a_batch(smtp_server, make_message):
    url = "https://status.msp.example/status/midsize/subscriptions/" + "a" * 60 + "/unsubscribe/"
    EmailTransport().send(make_message(headers={"List-Unsubscribe": f"<{url}>"}))

    [mail] = smtp_server.messages
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in mail.raw
    assert mail.message["List-Unsubscribe"] == f"<{url}>"


def test_without_a_batch_each_message_connects(smtp_server, make_message):
    transport = EmailTransport()
    transport.send(make_message())
    transport.send(make_message())

    assert smtp_server.sessions == 2  # the counter the batch test relies on does count


def test_batch_reconnects_when_the_server_dropped_the_connection(smtp_server, make_message):
    transport = EmailTransport()
    transport.open()
    transport.send(make_message(address="a@midsize.example"))
    smtp_server.drop_clients()  # an idle time-out on the server side
    transport.send(make_message(address="b@midsize.example"))
    transport.close()

    assert len(smtp_server.messages) == 2
    assert smtp_server.sessions == 2


def test_refused_recipient_is_permanent(smtp_server, make_message):
    smtp_server.reject("gone@midsize.example")

    with pytest.raises(TransportError) as caught:
        EmailTransport().send(make_message(address="gone@midsize.example"))

    assert caught.value.permanent is True
    assert "550" in str(caught.value)
    assert smtp_server.messages == []


def test_deferred_recipient_is_transient(smtp_server, make_message):
    smtp_server.defer("busy@midsize.example")

    with pytest.raises(TransportError) as caught:
        EmailTransport().send(make_message(address="busy@midsize.example"))

    assert caught.value.permanent is False
    assert "451" in str(caught.value)
    smtp_server.accept("busy@midsize.example")
    EmailTransport().send(make_message(address="busy@midsize.example"))  # the retry goes through
    assert [m.rcpt_tos for m in smtp_server.messages] == [["busy@midsize.example"]]


def test_a_refused_recipient_does_not_spoil_the_batch(smtp_server, make_message):
    smtp_server.reject("gone@midsize.example")
    transport = EmailTransport()
    transport.open()
    with pytest.raises(TransportError):
        transport.send(make_message(address="gone@midsize.example"))
    transport.send(make_message(address="ok@midsize.example"))
    transport.close()

    assert [m.rcpt_tos for m in smtp_server.messages] == [["ok@midsize.example"]]
    assert smtp_server.sessions == 1


def test_server_down_is_transient(smtp_server, make_message):
    smtp_server.stop()

    with pytest.raises(TransportError) as caught:
        EmailTransport().send(make_message())

    assert caught.value.permanent is False


def test_server_down_in_the_middle_of_a_batch_is_transient(smtp_server, make_message):
    transport = EmailTransport()
    transport.open()
    transport.send(make_message())
    smtp_server.stop()

    with pytest.raises(TransportError) as caught:
        transport.send(make_message())
    transport.close()  # must not raise on the dead connection

    assert caught.value.permanent is False
    assert len(smtp_server.messages) == 1


def test_slow_server_times_out_as_transient(smtp_server, settings, make_message):
    smtp_server.delay = 1.0
    settings.MAILERS["default"]["OPTIONS"]["timeout"] = 0.2

    with pytest.raises(TransportError) as caught:
        EmailTransport().send(make_message())

    assert caught.value.permanent is False


@pytest.mark.parametrize("address", ["not-an-address", "jan@", "a@b@midsize.example", ""])
def test_invalid_address_is_permanent_and_never_connects(smtp_server, make_message, address):
    with pytest.raises(TransportError) as caught:
        EmailTransport().send(make_message(address=address))

    assert caught.value.permanent is True
    assert smtp_server.sessions == 0


def test_header_injection_is_permanent(smtp_server, make_message):
    with pytest.raises(TransportError) as caught:
        EmailTransport().send(make_message(subject="Hello\nBcc: everyone@example.com"))

    assert caught.value.permanent is True
    assert smtp_server.messages == []


@pytest.mark.parametrize(("error", "permanent"), [
    (smtplib.SMTPDataError(554, b"message rejected as spam"), True),
    (smtplib.SMTPDataError(452, b"insufficient storage"), False),
    (smtplib.SMTPSenderRefused(553, b"sender not allowed", "kalm@msp.example"), True),
    (smtplib.SMTPRecipientsRefused({"a@x.example": (550, b"no"), "b@x.example": (450, b"later")}), True),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),  # our config, not the message
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
    (ConnectionRefusedError(111, "Connection refused"), False),
    (TimeoutError("timed out"), False),
    (ValueError("Invalid address"), True),
])
def test_error_mapping_for_replies_the_loopback_server_does_not_script(error, permanent):
    assert smtp_error(error).permanent is permanent


def test_replies_reach_the_msp_and_the_text_part_reads_as_text(smtp_server, make_message, settings):
    """Messages say "reply to this message": Reply-To names the service desk. The text part shows no
    Markdown syntax (the HTML part renders it)."""
    settings.KALM_REPLY_TO = "Service desk <servicedesk@msp.example>"
    message = make_message(body_text="**Workaround:** save locally.\n\n- **ERP:** slow\n- [Status](https://s.example/)")

    EmailTransport().send(message)

    [mail] = smtp_server.messages
    assert mail.message["Reply-To"] == "Service desk <servicedesk@msp.example>"
    text = mail.message.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n").strip() == "Workaround: save locally.\n\n- ERP: slow\n- Status (https://s.example/)"
