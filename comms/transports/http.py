"""JSON over HTTP for the webhook-style channels (Teams, Slack, generic webhook, SMS API).

One place decides what an HTTP outcome means for a delivery:

- 2xx: sent.
- 429, 5xx, time-outs and network errors: transient, the delivery engine retries later.
- 3xx: permanent. Redirects are not followed: a POST that is redirected is not delivered, and
  following it blindly could leak the payload to wherever the old host now points.
- any other 4xx (400, 403, 404, 410, ...): permanent; retrying the same request cannot help.
"""

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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


class JsonPoster:
    """POSTs JSON; holds one keep-alive client between ``open()`` and ``close()``.

    Outside a batch every ``post()`` uses a short-lived client, so a caller that forgets
    ``open()`` still works, only slower.
    """

    def __init__(self) -> None:
        self._client: httpx.Client | None = None

    def open(self) -> None:
        if self._client is None:
            self._client = self._new_client()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def post(self, url: str, *, body: bytes, headers: dict[str, str]) -> HttpReply:
        """Send; return the reply when it is 2xx, else raise the matching ``TransportError``."""
        _check_url(url)
        headers = {"Content-Type": "application/json", **headers}
        try:
            if self._client is not None:
                reply = self._exchange(self._client, url, body, headers)
            else:
                with self._new_client() as client:
                    reply = self._exchange(client, url, body, headers)
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
    def _new_client() -> httpx.Client:
        # httpx bounds each network wait, not the whole exchange: connecting gets 5 s, every
        # read or write 10 s. _exchange() adds the 10 s overall deadline for a body that trickles.
        timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
        return httpx.Client(timeout=timeout, follow_redirects=False)

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
