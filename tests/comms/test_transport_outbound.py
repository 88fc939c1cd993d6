"""Every outbound HTTP call connects only to public addresses, checked when connecting
(issue 11, finding 3), except the internal hosts the operator lists in KALM_OUTBOUND_ALLOW;
and what a failed reply says reaches staff only as its status and a short, sanitised reason.

The servers run on loopback (tests/comms/servers.py): ``http_sink`` lists 127.0.0.1 in
KALM_OUTBOUND_ALLOW, so the tests that must be refused empty the list again.
"""

import ast
import os
import socket
import subprocess
import sys
import threading

import pytest

from comms.transports import TransportError, outbound
from comms.transports.slack import SlackTransport
from comms.transports.sms import HttpSmsProvider
from comms.transports.teams import TeamsTransport
from comms.transports.webhook import WebhookTransport
from tests.comms.servers import LOOPBACK

TRANSPORTS = {"webhook": WebhookTransport, "teams": TeamsTransport, "slack": SlackTransport}

INTERNAL = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1", "192.0.0.8", "198.18.0.1",
    "::1", "::", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "::ffff:0:7f00:1",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.1", "64:ff9b:1::5db8:d70e",
    "2002:7f00:1::1", "2002:a00:1::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "fe80::1", "fe80::1%eth0",
    "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "2001:db8::1", "100::1",
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "2a00:1450:4001:80b::200e",
          "64:ff9b::5db8:d70e"]  # NAT64 of a public IPv4 address: what DNS64 answers on an IPv6-only host
# How people write 127.0.0.1 so that a naive check misses it (resolvers read them all as 127.0.0.1).
LOOPBACK_SPELLINGS = ["0x7f000001", "2130706433", "0177.0.0.1", "127.1", "0x7f.1", "127.0.0.1.", "[::ffff:127.0.0.1]",
                      "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]"]


def resolve(monkeypatch, answers: dict[str, str]) -> None:
    """DNS as the test says: each name in ``answers`` resolves to its address, others as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        host = host.decode() if isinstance(host, bytes) else host
        if host.rstrip(".") in answers:
            address = answers[host.rstrip(".")]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class TestAddresses:
    @pytest.mark.parametrize("address", INTERNAL)
    def test_internal_and_special_addresses_are_refused(self, address):
        assert outbound.refusal_reason(outbound.ip_literal(address)) is not None

    @pytest.mark.parametrize("address", PUBLIC)
    def test_public_addresses_pass(self, address):
        assert outbound.refusal_reason(outbound.ip_literal(address)) is None

    @pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
    def test_every_spelling_of_loopback_is_refused_without_asking_dns(self, host, monkeypatch):
        monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: pytest.fail("asked DNS"))
        with pytest.raises(outbound.Refused):
            outbound.connect_addresses(host, 80, outbound.NOTHING)

    def test_a_name_is_refused_when_any_of_its_addresses_is_internal(self, monkeypatch):
        monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *args, **kwargs: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0))])
        with pytest.raises(outbound.Refused, match=r"hooks.example resolves to a non-public address \(::1, loopback\)"):
            outbound.connect_addresses("hooks.example", 443, outbound.NOTHING)

    def test_a_public_name_connects_to_the_address_that_was_checked(self, monkeypatch):
        resolve(monkeypatch, {"hooks.example": "93.184.215.14"})
        assert outbound.connect_addresses("hooks.example", 443, outbound.NOTHING) == ["93.184.215.14"]

    def test_the_allow_list_names_hosts_and_networks(self, monkeypatch):
        resolve(monkeypatch, {"relay.corp.example": "10.20.0.5", "other.corp.example": "10.30.0.5"})
        allowed = outbound.parse_allow(["Relay.Corp.Example.", "192.168.10.0/24", "fd00::/8"])
        assert outbound.connect_addresses("relay.corp.example", 443, allowed) == ["10.20.0.5"]
        assert outbound.connect_addresses("192.168.10.7", 443, allowed) == ["192.168.10.7"]
        assert outbound.connect_addresses("fd00::7", 443, allowed) == ["fd00::7"]
        for host in ("other.corp.example", "192.168.11.7", "127.0.0.1", "relay.corp.example.evil.example"):
            with pytest.raises((outbound.Refused, socket.gaierror)):
                outbound.connect_addresses(host, 443, allowed)

    @pytest.mark.parametrize("entry", ["http://relay.example", "relay example", "0x7f000001", "10.0.0.0/33", "*.corp"])
    def test_a_bad_allow_entry_is_refused(self, entry):
        with pytest.raises(ValueError):
            outbound.parse_allow([entry])


# --- at connection time, through every channel ----------------------------------------------


@pytest.fixture
def nothing_allowed(settings):
    settings.KALM_OUTBOUND_ALLOW = []


@pytest.mark.parametrize("channel", TRANSPORTS)
def test_every_channel_refuses_an_internal_address_and_sends_nothing(channel, http_sink, make_message,
                                                                     nothing_allowed):
    with pytest.raises(TransportError, match=r"127\.0\.0\.1 is a non-public address \(loopback\)") as caught:
        TRANSPORTS[channel]().send(make_message(channel, address=http_sink.url("/hook")))

    assert caught.value.permanent is True
    assert http_sink.requests == []


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_other_spellings_of_loopback_reach_nothing(host, http_sink, make_message, nothing_allowed):
    with pytest.raises(TransportError) as caught:
        WebhookTransport().send(make_message("webhook", address=f"http://{host}:{http_sink.port}/hook"))

    assert caught.value.permanent is True
    assert http_sink.requests == []


def test_a_name_that_rebinds_to_an_internal_address_is_refused(http_sink, make_message, monkeypatch,
                                                                nothing_allowed):
    # "hooks.example" looked public when it was entered; now its DNS answer points inside.
    resolve(monkeypatch, {"hooks.example": LOOPBACK})
    transport = WebhookTransport()
    transport.open()
    try:
        with pytest.raises(TransportError, match=r"hooks.example resolves to a non-public address \(127.0.0.1"):
            transport.send(make_message("webhook", address=f"http://hooks.example:{http_sink.port}/hook"))
    finally:
        transport.close()
    assert http_sink.requests == []


def test_a_listed_host_name_is_reached(http_sink, make_message, monkeypatch, settings):
    resolve(monkeypatch, {"sink.corp.example": LOOPBACK})
    settings.KALM_OUTBOUND_ALLOW = ["sink.corp.example"]

    WebhookTransport().send(make_message("webhook", address=f"http://sink.corp.example:{http_sink.port}/hook"))
    with pytest.raises(TransportError, match="non-public"):  # the name is listed, not the address
        WebhookTransport().send(make_message("webhook", address=http_sink.url("/hook")))

    assert len(http_sink.requests) == 1


def test_a_listed_network_is_reached(http_sink, make_message, settings):
    settings.KALM_OUTBOUND_ALLOW = ["127.0.0.0/8"]

    SlackTransport().send(make_message("slack", address=http_sink.url("/slack")))

    assert len(http_sink.requests) == 1


def test_a_subscribers_webhook_ignores_the_allow_list_unless_subscribers_may_use_it(http_sink, make_message,
                                                                                    settings):
    message = make_message("webhook", address=http_sink.url("/hook"), public_endpoint_only=True)
    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(TransportError, match="non-public"):
        WebhookTransport().send(message)
    assert http_sink.requests == []

    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = True  # tests and development
    WebhookTransport().send(message)
    assert len(http_sink.requests) == 1


def test_the_sms_api_set_by_the_operator_counts_as_allowed(http_sink, settings, make_message, nothing_allowed):
    settings.KALM_SMS_PROVIDER = "http"
    settings.SMS_API_URL = http_sink.url("/v1/sms")
    http_sink.reply("/v1/sms", 201, b'{"id": "sms-1"}')

    assert HttpSmsProvider().send(to="+31612345678", text="Mail is down") == "sms-1"
    with pytest.raises(TransportError, match="non-public"):  # a stakeholder's webhook on the same host is not
        WebhookTransport().send(make_message("webhook", address=http_sink.url("/hook")))
    assert [request.path for request in http_sink.requests] == ["/v1/sms"]


def test_a_proxy_named_in_the_environment_is_not_used(http_sink, make_message, monkeypatch, nothing_allowed):
    # A proxy connects wherever it is asked to: through it, the address check would check the proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, http_sink.url(""))
    resolve(monkeypatch, {"hooks.example": LOOPBACK})

    with pytest.raises(TransportError, match="non-public"):
        WebhookTransport().send(make_message("webhook", address="http://hooks.example/hook"))

    assert http_sink.requests == []


# --- what a reply may tell staff ----------------------------------------------------------------

INTERNAL_PAGE = b"<html><title>Router admin</title>root:x:0:0:root:/root:/bin/bash SECRET-TOKEN-42</html>"


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_a_reply_body_is_not_repeated(status, http_sink, make_message):
    http_sink.reply("/page", status, INTERNAL_PAGE, {"Content-Type": "text/html"})

    with pytest.raises(TransportError) as caught:
        WebhookTransport().send(make_message("webhook", address=http_sink.url("/page")))

    error = str(caught.value)
    assert error.startswith(f"HTTP {status} ") and f"from http://{LOOPBACK}:{http_sink.port}" in error
    assert "SECRET" not in error and "root:" not in error and "Router" not in error


def test_the_standard_phrase_names_the_status(http_sink, make_message):
    with pytest.raises(TransportError, match=r"^HTTP 410 Gone from http://127\.0\.0\.1:\d+$"):
        SlackTransport().send(make_message("slack", address=http_sink.url("/gone")))


@pytest.mark.parametrize(("body", "shown"), [
    (b'{"error": "channel_not_found"}', "channel_not_found"),
    (b'{"error": {"code": "TriggerInputSchemaMismatch", "message": "The input body does not match"}}',
     "The input body does not match"),
    (b'{"error": {"code": "InvalidTemplate"}}', "InvalidTemplate"),
    (b'{"error": "bad\\u0000 \\u001b[31mred\\u001b[0m\\n<b>x</b>"}', "bad [31mred [0m <b>x</b>"),
    (b'{"error": "' + b"x" * 500 + b'"}', "x" * 100),
])
def test_a_json_error_field_is_shown_short_and_printable(body, shown, http_sink, make_message):
    http_sink.reply("/json", 400, body, {"Content-Type": "application/json"})

    with pytest.raises(TransportError) as caught:
        TeamsTransport().send(make_message("teams", address=http_sink.url("/json")))

    assert str(caught.value) == f"HTTP 400 Bad Request from http://{LOOPBACK}:{http_sink.port} (error: {shown})"


@pytest.mark.parametrize("body", [b'{"error": 42}', b'{"message": "SECRET"}', b'["SECRET"]', b"SECRET"])
def test_anything_else_in_a_reply_is_left_out(body, http_sink, make_message):
    http_sink.reply("/other", 500, body)

    with pytest.raises(TransportError) as caught:
        WebhookTransport().send(make_message("webhook", address=http_sink.url("/other")))

    assert str(caught.value) == f"HTTP 500 Internal Server Error from http://{LOOPBACK}:{http_sink.port}"


@pytest.fixture
def banner_server(settings):
    """A TCP service that is not HTTP (an SSH daemon, say): it sends its banner and hangs up."""
    settings.KALM_OUTBOUND_ALLOW = [LOOPBACK]
    server = socket.create_server((LOOPBACK, 0))
    stop = threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.sendall(b"SSH-2.0-OpenSSH_9.6 SECRET-BANNER\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_a_service_that_is_not_http_is_not_quoted(banner_server, make_message):
    with pytest.raises(TransportError) as caught:
        WebhookTransport().send(make_message("webhook", address=f"http://{LOOPBACK}:{banner_server}/hook"))

    assert "SECRET" not in str(caught.value) and "SSH" not in str(caught.value)
    assert str(caught.value).startswith(f"Could not reach http://{LOOPBACK}:{banner_server}")


def test_a_request_id_header_is_kept_printable(http_sink, make_message):
    http_sink.reply("/id", 202, b"", {"X-Request-Id": "req-1\tz" + "y" * 300})

    provider_id = WebhookTransport().send(make_message("webhook", address=http_sink.url("/id")))

    assert provider_id.startswith("req-1 zyy") and len(provider_id) == 200


# --- the setting ----------------------------------------------------------------------------------


def read_setting(env: dict[str, str], name: str) -> subprocess.CompletedProcess:
    """Import the settings in a child process with ``env`` (settings are read once, at import)."""
    base = {key: value for key, value in os.environ.items()
            if key not in {"KALM_OUTBOUND_ALLOW", "KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE"}}
    return subprocess.run([sys.executable, "-c", f"import kalm.settings as s; print(s.{name})"], env=base | env,
                          capture_output=True, text=True, check=False)


def test_the_allow_list_comes_from_the_environment():
    assert read_setting({}, "KALM_OUTBOUND_ALLOW").stdout.strip() == "[]"
    listed = read_setting({"KALM_OUTBOUND_ALLOW": "relay.msp.internal, 10.20.0.0/16,[fd00::1]"}, "KALM_OUTBOUND_ALLOW")
    assert listed.stdout.strip() == "['relay.msp.internal', '10.20.0.0/16', '[fd00::1]']"
    assert outbound.parse_allow(["relay.msp.internal", "10.20.0.0/16", "[fd00::1]"]).permits_address(
        outbound.ip_literal("fd00::1"))


@pytest.mark.parametrize("entry", ["https://relay.example", "0x7f000001", "10.0.0.0/33", "*.corp", "a b"])
def test_a_bad_allow_entry_stops_start_up_naming_the_variable(entry):
    result = read_setting({"KALM_OUTBOUND_ALLOW": entry}, "KALM_OUTBOUND_ALLOW")
    assert result.returncode != 0 and "KALM_OUTBOUND_ALLOW" in result.stderr and entry in result.stderr


def test_the_old_switch_still_allows_loopback_and_private_networks():
    """KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE=1 without a list: what it allowed before the list existed
    (cloud metadata and other link-local addresses excepted)."""
    result = read_setting({"KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE": "1"}, "KALM_OUTBOUND_ALLOW")
    allowed = outbound.parse_allow(ast.literal_eval(result.stdout))
    assert all(allowed.permits_address(outbound.ip_literal(address))
               for address in ("127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fd00::1"))
    assert not allowed.permits_address(outbound.ip_literal("169.254.169.254"))
    explicit = read_setting({"KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE": "1", "KALM_OUTBOUND_ALLOW": "127.0.0.1"},
                            "KALM_OUTBOUND_ALLOW")
    assert explicit.stdout.strip() == "['127.0.0.1']"


def test_webhook_urls_stay_out_of_the_server_log(http_sink, make_message, caplog):
    # httpx would log "HTTP Request: POST <the whole URL>" at INFO; a Slack or Teams path is a credential.
    caplog.set_level("INFO")
    SlackTransport().send(make_message("slack", address=http_sink.url("/services/T0/B0/secret-path")))
    assert len(http_sink.requests) == 1 and "secret-path" not in caplog.text
