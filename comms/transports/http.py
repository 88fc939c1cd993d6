"""JSON over HTTP for the webhook-style channels (Teams, Slack, generic webhook, SMS API).

One place decides what an HTTP outcome means for a delivery:

- 2xx: sent.
- 429, 5xx, time-outs and network errors: transient, the delivery engine retries later.
- 3xx: permanent. Redirects are not followed: a POST that is redirected is not delivered, and
  following it blindly could leak the payload to wherever the old host now points.
- any other 4xx (400, 403, 404, 410, ...): permanent; retrying the same request cannot help.
"""

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from comms.transports.base import Transport, TransportError

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_BODY_BYTES = 64 * 1024  # we only keep a short reply; never buffer a huge error page
ERROR_SNIPPET_CHARS = 200


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


def _snippet(body: bytes) -> str:
    text = body[:ERROR_SNIPPET_CHARS * 4].decode("utf-8", "replace").strip()
    return text[:ERROR_SNIPPET_CHARS]


def _site(url: str) -> str:
    """Scheme and host only: Slack and Teams webhook paths are credentials and must not reach logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the same host"


def _check_status(url: str, reply: HttpReply) -> None:
    status = reply.status
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        target = _site(reply.headers.get("location", ""))
        raise TransportError(f"HTTP {status} from {_site(url)}: the address redirects (to {target}); "
                             f"redirects are not followed, update the address", permanent=True)
    snippet = _snippet(reply.body)
    detail = f"HTTP {status} from {_site(url)}" + (f": {snippet}" if snippet else "")
    raise TransportError(detail, permanent=not (status == 429 or status >= 500))


def _check_url(url: str) -> None:
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise TransportError(f"Not an http(s) URL: {url!r}", permanent=True)


class NonPublicAddress(Exception):
    """The host resolved to a loopback, private, link-local or otherwise non-public address."""


def public_address(host: str, port: int) -> str:
    """The address to connect to, when every address the host resolves to is public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise httpcore.ConnectError(f"DNS lookup failed for {host}: {error}") from error
    addresses = [info[4][0] for info in found]
    refused = [address for address in addresses if not ipaddress.ip_address(address.split("%")[0]).is_global]
    if not addresses or refused:
        raise NonPublicAddress(f"{host} resolves to a non-public address ({', '.join(refused) or 'none'})")
    return addresses[0]


class _PublicOnlyBackend(httpcore.SyncBackend):
    """Resolves the host itself and connects to the address it checked, so a DNS answer that
    changes between the check and the connection (rebinding) cannot reach an internal host.
    TLS still verifies the certificate against the host name (httpcore passes it on)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return super().connect_tcp(public_address(host, port), port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)


def _public_only_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(network_backend=_PublicOnlyBackend())  # same defaults, checked connects
    return transport


class JsonPoster:
    """POSTs JSON; holds one keep-alive client between ``open()`` and ``close()``.

    Outside a batch every ``post()`` uses a short-lived client, so a caller that forgets
    ``open()`` still works, only slower.
    """

    def __init__(self) -> None:
        self._clients: dict[bool, httpx.Client] = {}  # public_only → the batch's keep-alive client

    def open(self) -> None:
        if not self._clients:
            self._clients[False] = self._new_client()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def post(self, url: str, *, body: bytes, headers: dict[str, str], public_only: bool = False) -> HttpReply:
        """Send; return the reply when it is 2xx, else raise the matching ``TransportError``.

        ``public_only``: connect only to public IP addresses (an address the public gave us).
        """
        _check_url(url)
        headers = {"Content-Type": "application/json", **headers}
        try:
            if self._clients:  # inside a batch: keep-alive clients, one per kind
                if public_only not in self._clients:
                    self._clients[public_only] = self._new_client(public_only=public_only)
                reply = self._exchange(self._clients[public_only], url, body, headers)
            else:
                with self._new_client(public_only=public_only) as client:
                    reply = self._exchange(client, url, body, headers)
        except NonPublicAddress as error:
            raise TransportError(f"Refused: {error}; subscriber webhooks must be reachable on the internet",
                                 permanent=True) from error
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            raise TransportError(f"Bad URL {url!r}: {error}", permanent=True) from error
        except httpx.TimeoutException as error:
            raise TransportError(f"Timed out talking to {_site(url)}: {type(error).__name__}",
                                 permanent=False) from error
        except httpx.HTTPError as error:  # connection refused/reset, DNS, protocol errors
            raise TransportError(f"Could not reach {_site(url)}: {error or type(error).__name__}",
                                 permanent=False) from error
        _check_status(url, reply)
        return reply

    @staticmethod
    def _new_client(*, public_only: bool = False) -> httpx.Client:
        # httpx bounds each network wait, not the whole exchange: connecting gets 5 s, every
        # read or write 10 s. _exchange() adds the 10 s overall deadline for a body that trickles.
        timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
        transport = _public_only_transport() if public_only else None
        return httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

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
