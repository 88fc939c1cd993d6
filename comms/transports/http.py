"""JSON over HTTP for the webhook-style channels (Teams, Slack, generic webhook, SMS API).

One place decides what an HTTP outcome means for a delivery:

- 2xx: sent.
- 429, 5xx, time-outs and network errors: transient, the delivery engine retries later.
- 3xx: permanent. Redirects are not followed: a POST that is redirected is not delivered, and
  following it blindly could leak the payload to wherever the old host now points.
- any other 4xx (400, 403, 404, 410, ...): permanent; retrying the same request cannot help.
- an address that is not public (``comms.transports.outbound``): permanent, nothing is sent.

Every connection goes to an address checked when connecting (``_CheckedBackend``). What a failed
reply may tell staff is its status and a short, sanitised ``error`` field (``reply_reason``),
never its body: the delivery page, the log and its CSV export show what the transport raised.
"""

import json
import socket
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from comms.transports.base import Transport, TransportError
from comms.transports.outbound import Allowed, Refused, allowed_for, connect_addresses

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_BODY_BYTES = 64 * 1024  # we only keep a short reply; never buffer a huge error page
REASON_CHARS = 100  # of a JSON reply's "error", the only words of a reply staff see


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        """The decoded JSON body, or None when the body is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def json_body(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are sent (and signed, for webhooks)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def printable(text: str, limit: int) -> str:
    """One line of printable characters, at most ``limit`` of them (for what a remote end says)."""
    return " ".join("".join(char if char.isprintable() else " " for char in text).split())[:limit]


def _site(url: str) -> str:
    """Scheme and host only: Slack and Teams webhook paths are credentials and must not reach logs."""
    parts = urlsplit(url)
    return printable(f"{parts.scheme}://{parts.netloc}", 200) if parts.netloc else "the same host"


def _json_error(body: bytes) -> str:
    """The ``error`` of a JSON reply (``{"error": "..."}`` or ``{"error": {"message"|"code": "..."}}``), sanitised."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message") or error.get("code")
    return printable(error, REASON_CHARS) if isinstance(error, str) else ""


def reply_reason(status: int, body: bytes, site: str) -> str:
    """What a failed reply may tell staff: its status, the standard phrase, and a JSON ``error`` field.

    Never the body itself: the endpoint decides what it says, and an internal page's text must not
    reach the delivery page, the log, its CSV export or the quarantine notice.
    """
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "(non-standard status)"
    error = _json_error(body)
    return f"HTTP {status} {phrase} from {site}" + (f" (error: {error})" if error else "")


def _check_status(url: str, reply: HttpReply) -> None:
    status = reply.status
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        target = _site(reply.headers.get("location", ""))
        raise TransportError(f"HTTP {status} from {_site(url)}: the address redirects (to {target}); "
                             f"redirects are not followed, update the address", permanent=True)
    raise TransportError(reply_reason(status, reply.body, _site(url)), permanent=not (status == 429 or status >= 500))


def _check_url(url: str) -> None:
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise TransportError(f"Not an http(s) URL (scheme {printable(scheme, 20)!r})", permanent=True)


class _CheckedBackend(httpcore.SyncBackend):
    """Resolves the host itself and connects to an address it checked (``outbound.connect_addresses``),
    so a DNS answer that changes between the check and the connection (rebinding) cannot reach an
    internal host. TLS still verifies the certificate against the host name (httpcore passes it on)."""

    def __init__(self, allowed: Allowed) -> None:
        self.allowed = allowed

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = connect_addresses(host, port, self.allowed)
        except socket.gaierror as error:
            raise httpcore.ConnectError(f"DNS lookup failed for {host}: {error}") from error
        return super().connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)


def _checked_transport(allowed: Allowed) -> httpx.HTTPTransport:
    # A transport of our own also keeps httpx from sending through a proxy named in the environment,
    # which would connect wherever it was asked to, unchecked.
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(network_backend=_CheckedBackend(allowed))  # same defaults, checked
    return transport


def _network_error(url: str, error: httpx.HTTPError) -> str:
    """What went wrong on the way, without a word the other end sent (a protocol error quotes its reply)."""
    if isinstance(error, httpx.ConnectError):  # the operating system's words: refused, unreachable, DNS, TLS
        return f"Could not reach {_site(url)}: {printable(str(error), 200) or type(error).__name__}"
    return f"Could not reach {_site(url)}: {type(error).__name__}"


class JsonPoster:
    """POSTs JSON; holds keep-alive clients between ``open()`` and ``close()``.

    Outside a batch every ``post()`` uses a short-lived client, so a caller that forgets
    ``open()`` still works, only slower.
    """

    def __init__(self) -> None:
        self._batch = False
        self._clients: dict[Allowed, httpx.Client] = {}  # what a client may reach → the batch's client

    def open(self) -> None:
        self._batch = True

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self._batch = False

    def allowed(self, *, public_only: bool) -> Allowed:
        """The internal hosts this call may reach besides the internet (``outbound.allowed_for``)."""
        return allowed_for(public=public_only)

    def post(self, url: str, *, body: bytes, headers: dict[str, str], public_only: bool = False) -> HttpReply:
        """Send; return the reply when it is 2xx, else raise the matching ``TransportError``.

        ``public_only``: the address came from the public (a subscriber's webhook): the operator's
        KALM_OUTBOUND_ALLOW does not apply to it (``outbound.allowed_for``).
        """
        _check_url(url)
        headers = {"Content-Type": "application/json", **headers}
        allowed = self.allowed(public_only=public_only)
        try:
            if self._batch:  # inside a batch: keep-alive clients, one per set of allowed hosts
                if allowed not in self._clients:
                    self._clients[allowed] = self._new_client(allowed)
                reply = self._exchange(self._clients[allowed], url, body, headers)
            else:
                with self._new_client(allowed) as client:
                    reply = self._exchange(client, url, body, headers)
        except Refused as error:
            raise TransportError(f"Refused: {error}; Kalm connects only to public addresses and the hosts in "
                                 "KALM_OUTBOUND_ALLOW", permanent=True) from error
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            raise TransportError(f"Bad URL {_site(url)}: {type(error).__name__}", permanent=True) from error
        except httpx.TimeoutException as error:
            raise TransportError(f"Timed out talking to {_site(url)}: {type(error).__name__}",
                                 permanent=False) from error
        except httpx.HTTPError as error:  # connection refused/reset, DNS, protocol errors
            raise TransportError(_network_error(url, error), permanent=False) from error
        _check_status(url, reply)
        return reply

    @staticmethod
    def _new_client(allowed: Allowed) -> httpx.Client:
        # httpx bounds each network wait, not the whole exchange: connecting gets 5 s, every
        # read or write 10 s. _exchange() adds the 10 s overall deadline for a body that trickles.
        timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
        return httpx.Client(timeout=timeout, follow_redirects=False, transport=_checked_transport(allowed))

    @staticmethod
    def _exchange(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> HttpReply:
        deadline = time.monotonic() + TOTAL_TIMEOUT
        with client.stream("POST", url, content=body, headers=headers) as response:
            received = bytearray()
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= MAX_BODY_BYTES:
                    break
                if time.monotonic() > deadline:  # a server trickling bytes must not hold a worker
                    raise httpx.ReadTimeout("response body exceeded the total time-out")
            return HttpReply(response.status_code, response.headers, bytes(received[:MAX_BODY_BYTES]))


class PosterSession:
    """One keep-alive ``JsonPoster`` per batch: ``open()``/``close()`` start and end it."""

    def __init__(self) -> None:
        self.http = JsonPoster()

    def open(self) -> None:
        self.http.open()

    def close(self) -> None:
        self.http.close()


class HttpTransport(PosterSession, Transport):
    """Base for transports that POST JSON: one keep-alive client per batch."""

    def post_json(self, url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> HttpReply:
        return self.http.post(url, body=json_body(payload), headers=headers or {})
