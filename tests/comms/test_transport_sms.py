"""SMS: segment arithmetic, fitting, the console provider and the HTTP provider on loopback."""

import json
import logging

import pytest

from comms.transports import TransportError
from comms.transports.sms import SmsTransport, fit_sms, sms_segments
from flows import incidents as incident_flow

# --- segments -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "segments"), [
    ("", 0),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("Straße Ähre ñ @£$¥", 1),                 # all in the GSM alphabet
    ("ë" * 70, 1),                             # ë is not GSM: UCS-2
    ("ë" * 71, 2),
    ("ë" * 134, 2),
    ("ë" * 135, 3),
    ("€" * 80, 1),                             # extension table: two septets each
    ("€" * 81, 2),
    ("a" * 159 + "€", 2),                      # 161 septets
    ("[]{}" * 40, 3),                          # 160 characters but 320 septets: 3 parts
    ("a" * 152 + "€" + "a" * 152, 3),          # the escape pair may not be split across parts
    ("😀" * 35, 1),                            # 70 UTF-16 units
    ("😀" * 36, 2),
])
def test_sms_segments(text, segments):
    assert sms_segments(text) == segments


def test_fit_leaves_a_fitting_text_alone():
    text = "a" * 459  # exactly three parts
    assert fit_sms(text) == text


def test_fit_cuts_gsm_text_at_a_word_and_keeps_it_gsm():
    text = "Het netwerk in Gent is traag. " * 40

    fitted = fit_sms(text)

    assert sms_segments(fitted) == 3
    assert fitted.endswith("...")  # "…" would force UCS-2 and leave room for only 201 characters
    assert len(fitted) > 400
    kept = fitted.removesuffix("...")
    assert text.startswith(kept)
    assert text[len(kept)] == " "


def test_fit_cuts_unicode_text_with_a_unicode_ellipsis():
    text = "De server is gedeïnstalleerd en wordt hersteld. " * 20

    fitted = fit_sms(text)

    assert sms_segments(fitted) <= 3
    assert fitted.endswith("…")
    assert text.startswith(fitted.removesuffix("…"))
    assert len(fitted) > 180  # 3 × 67 = 201 units is the room there is


@pytest.mark.parametrize("max_segments", [1, 2, 3, 5])
def test_fit_respects_max_segments(max_segments):
    for text in ("Kosten € " * 200, "Grüße aus Köln, ë " * 100, "x" * 2000):
        assert sms_segments(fit_sms(text, max_segments=max_segments)) <= max_segments


# --- the transport with the console provider ----------------------------------------------


def test_console_provider_records_and_logs(sms_outbox, make_message, caplog):
    caplog.set_level(logging.INFO, logger="comms.transports.sms")

    provider_id = SmsTransport().send(make_message("sms"))

    [sms] = sms_outbox
    assert (sms.to, sms.text) == ("+31612345678", "File server down, we are investigating. Next update 10:30.")
    assert provider_id == sms.id != ""
    assert "SMS to +31612345678 : File server down" in caplog.text


def test_long_short_text_is_fitted(sms_outbox, make_message):
    SmsTransport().send(make_message("sms", short_text="Update: " + "de server wordt hersteld " * 40))

    assert sms_segments(sms_outbox[0].text) <= 3


def test_number_with_spaces_is_normalised(sms_outbox, make_message):
    SmsTransport().send(make_message("sms", address="+31 6 1234-5678"))

    assert sms_outbox[0].to == "+31612345678"


@pytest.mark.parametrize("address", ["0612345678", "+0612345678", "+316", "+31 (0)6 12345678", "0031612345678",
                                     "+3161234567890123", ""])
def test_a_number_that_is_not_e164_is_permanent(sms_outbox, make_message, address):
    with pytest.raises(TransportError) as caught:
        SmsTransport().send(make_message("sms", address=address))

    assert caught.value.permanent is True
    assert sms_outbox == []


def test_unknown_provider_setting_is_transient(settings, make_message):
    settings.KALM_SMS_PROVIDER = "carrier-pigeon"

    with pytest.raises(TransportError, match="carrier-pigeon") as caught:
        SmsTransport().send(make_message("sms"))

    assert caught.value.permanent is False


# --- the HTTP provider on loopback --------------------------------------------------------


@pytest.fixture
def sms_api(settings, http_sink):
    settings.KALM_SMS_PROVIDER = "http"
    settings.SMS_API_URL = http_sink.url("/v1/sms")
    settings.SMS_API_TOKEN = "sms-token-123"
    settings.SMS_SENDER = "KalmMSP"
    http_sink.reply("/v1/sms", 201, b'{"id": "sms-0001", "status": "queued"}', {"Content-Type": "application/json"})
    return http_sink


def test_http_provider_posts_json_with_a_bearer_token(sms_api, make_message):
    provider_id = SmsTransport().send(make_message("sms"))

    [request] = sms_api.requests
    assert provider_id == "sms-0001"
    assert request.path == "/v1/sms"
    assert request.headers["authorization"] == "Bearer sms-token-123"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"to": "+31612345678", "from": "KalmMSP",
                                        "text": "File server down, we are investigating. Next update 10:30."}


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (401, False), (403, False), (404, True),
                                                   (429, False), (500, False), (503, False)])
def test_http_provider_status_mapping(sms_api, make_message, status, permanent):
    sms_api.reply("/v1/sms", status, b'{"error": "nope"}')

    with pytest.raises(TransportError) as caught:
        SmsTransport().send(make_message("sms"))

    assert caught.value.permanent is permanent


def test_http_provider_accepted_without_an_id_is_still_sent(sms_api, make_message):
    sms_api.reply("/v1/sms", 202, b"accepted")

    assert SmsTransport().send(make_message("sms")) == ""  # no error: raising would send the SMS twice


def test_http_provider_unreachable_is_transient(settings, sms_api, refused_url, make_message):
    settings.SMS_API_URL = refused_url

    with pytest.raises(TransportError) as caught:
        SmsTransport().send(make_message("sms"))

    assert caught.value.permanent is False


def test_http_provider_without_url_is_transient(settings, sms_api, make_message):
    settings.SMS_API_URL = ""

    with pytest.raises(TransportError, match="SMS_API_URL") as caught:
        SmsTransport().send(make_message("sms"))

    assert caught.value.permanent is False
    assert sms_api.requests == []


def test_http_provider_batch_reuses_the_connection(sms_api, make_message):
    transport = SmsTransport()
    transport.open()
    transport.send(make_message("sms", address="+31612345678"))
    transport.send(make_message("sms", address="+4915112345678"))
    transport.close()

    first, second = sms_api.requests
    assert first.client_port == second.client_port
    assert json.loads(second.body)["to"] == "+4915112345678"


@pytest.mark.parametrize("status", [401, 403])
def test_http_provider_refusing_our_credentials_is_transient_and_logged(sms_api, make_message, caplog, status):
    # A wrong or expired SMS_API_TOKEN is Kalm's problem, not the recipient's: retry, and say what to fix.
    sms_api.reply("/v1/sms", status, b'{"error": "invalid token"}')

    with caplog.at_level(logging.ERROR, logger="comms.transports.sms"), pytest.raises(TransportError) as caught:
        SmsTransport().send(make_message("sms"))

    assert caught.value.permanent is False
    assert f"HTTP {status}" in str(caught.value) and "SMS_API_TOKEN" in str(caught.value)
    assert "SMS_API_TOKEN" in caplog.text
    assert "sms-token-123" not in caplog.text + str(caught.value)  # the token itself is never logged
    assert len(sms_api.requests) == 1


def test_an_sms_refused_for_our_credentials_stays_queued_for_a_retry(settings, sms_api, customer, account_manager):
    from comms.models import Communication, Delivery, Stakeholder
    from comms.outbox import delivery
    from comms.outbox.expansion import communication_expand

    Stakeholder.objects.create(customer=customer, name="On call", role="customer_it", audience="technical",
                               language="nl", phone="+31612345678")
    incident_flow.open_incident(customer=customer, title="Server outage", category="server", severity="critical",
                           message="We are investigating.", author=account_manager)
    [delivery_id] = communication_expand(Communication.objects.get().pk)
    sms_api.reply("/v1/sms", 401, b'{"error": "invalid token"}')

    assert delivery.deliver_batch([delivery_id]) == {"retry": 1}

    row = Delivery.objects.get(pk=delivery_id)
    assert row.channel == "sms" and row.state == "queued" and row.attempts == 1
    assert "credentials were refused" in row.last_error  # what the communication log shows
