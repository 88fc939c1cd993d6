"""Real servers on loopback for transport and delivery tests: an SMTP server and an HTTP sink.

Both run in a background thread of the test process and record what they receive, so a test
asserts on the bytes that actually crossed a socket instead of on a mock's call list.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import functools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now (also handy for "connection refused" tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


# --- SMTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the server accepted it: the SMTP envelope, its bytes, and (parsed on first
    use) the message. Parsing is left out of the server's loop: a relay does not build a Python
    email object per message, and in the fan-out benchmark it cost the sink ~1.5 ms a message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @functools.cached_property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


class _RecordingHandler:
    """aiosmtpd handler hooks: scripted RCPT replies, an optional DATA delay, a record of all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ReceivedMail] = []
        self.sessions = 0
        self.rcpt_replies: dict[str, str] = {}
        self.delay = 0.0

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        # Every SMTP client session starts with one EHLO (or HELO): that is our connection count.
        # Counting TCP connections would include the probe the Controller makes at start-up.
        self._count_session(session, hostname)
        return responses

    async def handle_HELO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str) -> str:
        self._count_session(session, hostname)
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow relay, for benchmarks
        mail = ReceivedMail(mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos),
                            raw=envelope.original_content or b"")
        with self.lock:
            self.messages.append(mail)
        return "250 Message accepted"

    def _count_session(self, session: Session, hostname: str) -> None:
        session.host_name = hostname
        with self.lock:
            self.sessions += 1


class _TrackingSMTP(SMTP):
    """Remembers open client connections so ``stop()`` can cut them like a crashed server would."""

    def __init__(self, *args: Any, open_transports: set[asyncio.BaseTransport], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open_transports = open_transports

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._open_transports.add(transport)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._open_transports.discard(self.transport)
        super().connection_lost(error)


class _Controller(Controller):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_transports: set[asyncio.BaseTransport] = set()

    def factory(self) -> SMTP:
        return _TrackingSMTP(self.handler, open_transports=self.open_transports, **self.SMTP_kwargs)

    def drop_clients(self) -> None:
        """Close every client connection from the server side (in the server's loop thread)."""
        done = threading.Event()

        def close_all() -> None:
            for transport in list(self.open_transports):
                transport.close()
            done.set()

        self.loop.call_soon_threadsafe(close_all)
        done.wait(5)


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that records every message it accepts.

    - ``messages``: the accepted ``ReceivedMail`` records, in order (a copy, thread-safe).
    - ``sessions``: how many SMTP sessions (EHLO/HELO) clients opened: batching tests count these.
    - ``reject(address)`` answers RCPT with "550 no such user"; ``defer(address)`` with
      "451 try later"; ``script(address, reply)`` with any reply (an empty reply, or
      ``accept(address)``, accepts the address again).
    - ``delay``: seconds to wait before accepting each message's DATA (benchmarks use 0.02).
    - ``stop()`` takes the server down and cuts open client connections; ``start()`` brings it
      back on the same port. ``drop_clients()`` only cuts the connections (an idle time-out).
    """

    def __init__(self, port: int | None = None, *, delay: float = 0.0) -> None:
        self.host = LOOPBACK
        self.port = port or free_port()
        self._handler = _RecordingHandler()
        self._handler.delay = delay
        self._controller: _Controller | None = None

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._handler.lock:
            return list(self._handler.messages)

    @property
    def sessions(self) -> int:
        with self._handler.lock:
            return self._handler.sessions

    @property
    def delay(self) -> float:
        return self._handler.delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self._handler.delay = seconds

    def script(self, address: str, reply: str) -> None:
        self._handler.rcpt_replies[address.lower()] = reply

    def reject(self, address: str) -> None:
        self.script(address, "550 no such user")

    def defer(self, address: str) -> None:
        self.script(address, "451 try later")

    def accept(self, address: str) -> None:
        """Undo ``reject``/``defer``/``script``: the address is accepted again."""
        self._handler.rcpt_replies.pop(address.lower(), None)

    def start(self) -> None:
        if self._controller is None:
            # A fresh Controller each time: a stopped one cannot be restarted reliably.
            self._controller = _Controller(self._handler, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.drop_clients()
            self._controller.stop()
            self._controller = None

    def drop_clients(self) -> None:
        if self._controller is not None:
            self._controller.drop_clients()

    def mailer_settings(self) -> dict[str, dict[str, Any]]:
        """A Django ``MAILERS`` value that sends to this server."""
        return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                            "OPTIONS": {"host": self.host, "port": self.port, "timeout": 5}}}


# --- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    client_port: int  # the same port on two requests = one reused (keep-alive) connection


@dataclass(frozen=True)
class Reply:
    """What the sink answers on one path."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering, for time-out tests


# Paths that answer with an error out of the box, so tests read as `sink.url("/gone")`.
DEFAULT_REPLIES: dict[str, Reply] = {
    "/gone": Reply(410, b"no_service"),
    "/missing": Reply(404, b"channel_not_found"),
    "/bad": Reply(400, b"invalid_payload"),
    "/busy": Reply(503, b"service unavailable"),
    "/limited": Reply(429, b"rate limited", {"Retry-After": "30"}),
    "/redirect": Reply(302, b"", {"Location": "/moved"}),
}


class _SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real endpoint
    server: _SinkServer

    def do_POST(self) -> None:
        self._record_and_answer()

    def do_PUT(self) -> None:
        self._record_and_answer()

    def do_GET(self) -> None:
        self._record_and_answer()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # keep test output clean

    def _record_and_answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = ReceivedRequest(self.command, path, headers, body, self.client_address[1])
        reply = self.server.sink.record(request)
        if reply.delay:
            time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


class _SinkServer(ThreadingHTTPServer):
    daemon_threads = True
    sink: HttpSink


class HttpSink:
    """A real HTTP server on 127.0.0.1 that records requests and answers per path.

    - ``url(path)``: the absolute URL of a path on this server.
    - ``requests``: every ``ReceivedRequest`` (method, path, lower-cased headers, raw body,
      client port); ``json(index)`` decodes one request's body.
    - ``reply(path, status, body=b"ok", headers=None, delay=0)`` scripts a path; unscripted
      paths answer 200 "ok". ``DEFAULT_REPLIES`` pre-scripts ``/gone`` 410, ``/missing`` 404,
      ``/bad`` 400, ``/busy`` 503, ``/limited`` 429 and ``/redirect`` 302.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._replies: dict[str, Reply] = dict(DEFAULT_REPLIES)
        self._server = _SinkServer((LOOPBACK, 0), _SinkHandler)
        self._server.sink = self
        self.port = self._server.server_address[1]
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="http-sink", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def reply(self, path: str, status: int, body: bytes = b"ok", headers: dict[str, str] | None = None,
              delay: float = 0.0) -> None:
        with self._lock:
            self._replies[path] = Reply(status, body, headers or {}, delay)

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def json(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].body)

    def record(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            return self._replies.get(request.path, Reply())
