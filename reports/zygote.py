"""Renders through a pre-warmed render process (``reports.zygote_process``), one per worker process.

A fresh interpreter per render (``reports.pdf.render_isolated``) spends about a second
importing WeasyPrint before it lays out a page. The zygote pays that once: it is started
lazily by the first render in a worker process (or at worker start, ``reports.apps``),
and forks one child per job. The limits are the fresh path's, unchanged:

- memory: the child caps its own address space (``RLIMIT_AS``) before rendering; a
  ``MemoryError`` there is a ``RenderOutOfMemory``, a crash a ``RenderFailed``.
- time: this process keeps the deadline. It opens a pidfd for the child the moment the
  zygote names it (the zygote has not reaped it yet, so the pid is still that child's)
  and kills the child through it at the time limit: ``RenderTimeout``. The zygote
  survives and serves the next job.

Safety: one zygote per worker process, used under a lock (thread pools); a process that
inherited another's zygote through fork leaves it alone and starts its own. A zygote found
dead before it took a job is restarted and the job sent again; one that dies during a job
has its child killed, and the job runs on the fresh path with the time left. If a zygote
cannot be started, renders use the fresh path for ``RETRY_AFTER`` seconds, then try again.
The zygote ends when its stdin closes: at exit (atexit, Celery's worker_process_shutdown),
or when the worker dies.
"""

import atexit
import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reports import pdf
from reports.zygote_process import HEADER, decode_length, encode

logger = logging.getLogger(__name__)

START_TIMEOUT = 30.0  # importing WeasyPrint and warming up on a busy machine
ANSWER_GRACE = 5.0  # for the zygote to report a child it was told is dead
RETRY_AFTER = 60.0  # seconds on the fresh path after a failed start


class ZygoteGone(Exception):
    """The zygote stopped answering (died, killed, closed its pipe)."""


@dataclass
class Zygote:
    """The worker's side of one zygote process (started, then ready once it has said so)."""

    stylesheet: str
    process: subprocess.Popen | None = None
    owner: int = field(default_factory=os.getpid)
    warm_seconds: float = 0.0
    ready: bool = False
    _buffer: bytes = b""

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own module, with the scrubbed environment
            [sys.executable, "-m", "reports.zygote_process", self.stylesheet], cwd=pdf._ROOT,
            env=pdf.child_environment(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)

    def alive(self) -> bool:
        return self.process is not None and self.owner == os.getpid() and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def wait_ready(self, deadline: float) -> None:
        self.warm_seconds = self._receive(deadline)["warm_seconds"]
        self.ready = True

    def run(self, work: Path, deadline: float, timeout: float) -> int:
        """The child's exit code; raises ``RenderTimeout`` after killing it at the deadline."""
        self._send({"folder": str(work)})
        try:
            child = self._receive(time.monotonic() + ANSWER_GRACE)["pid"]  # sent right after the fork
        except TimeoutError as error:
            raise ZygoteGone("the render process does not answer") from error
        handle = _pidfd(child)
        try:
            try:
                return self._receive(deadline)["returncode"]
            except TimeoutError:
                _kill(child, handle)
                self._settle()
                raise pdf.timed_out(timeout) from None
            except ZygoteGone:
                _kill(child, handle)  # orphaned by the dead zygote: it must not keep rendering
                raise
        finally:
            if handle is not None:
                os.close(handle)

    def _settle(self) -> None:
        """After a kill: read the zygote's report of it, or stop a zygote that does not give one."""
        try:
            self._receive(time.monotonic() + ANSWER_GRACE)  # it reaped the child: ready for the next job
        except (TimeoutError, ZygoteGone, ValueError):
            self.stop()  # no longer alive(): the next render starts a new one

    def stop(self) -> None:
        """Close its input (it exits), kill it if it does not; only the process that started it does this."""
        if self.process is None:
            return
        if self.owner != os.getpid():  # inherited through fork: drop our copies of its pipes, leave it running
            self.process.stdin.close()
            self.process.stdout.close()
            return
        try:
            self.process.stdin.close()
            self.process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def _send(self, message: dict) -> None:
        try:
            self.process.stdin.write(encode(message))
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError) as error:  # ValueError: the pipe was closed
            raise ZygoteGone("the render process is gone") from error

    def _receive(self, deadline: float) -> dict:
        header = self._read(HEADER.size, deadline)
        return json.loads(self._read(decode_length(header), deadline))

    def _read(self, size: int, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        while len(self._buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ZygoteGone("the render process closed its pipe")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:  # already ended and reaped: its exit code is on the way
        return None


def _kill(pid: int, handle: int | None) -> None:
    if handle is None:
        return
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        signal.pidfd_send_signal(handle, signal.SIGKILL)


_lock = threading.Lock()
_zygote: Zygote | None = None
_fresh_until = 0.0


def render_prewarmed(html: str, *, stylesheet: str, allowed_files: Iterable[str] = (), memory_mb: int = 1024,
                     timeout: float = 50.0) -> pdf.PdfResult:
    """Like ``reports.pdf.render_isolated`` (same limits, same errors), through the worker's zygote."""
    deadline = time.monotonic() + timeout
    allowed = list(allowed_files)
    with tempfile.TemporaryDirectory(prefix="kalm-report-") as folder:
        work = Path(folder)
        pdf.write_job(work, html, stylesheet=stylesheet, allowed_files=allowed, memory_mb=memory_mb)
        with _lock:
            returncode = _run(work, stylesheet, deadline, timeout)
        if returncode is not None:
            stderr_file = work / "stderr.txt"
            stderr = stderr_file.read_text("utf-8", "replace") if stderr_file.exists() else ""
            return pdf.read_result(work, returncode, stderr, memory_mb)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise pdf.timed_out(timeout)
    return pdf.render_isolated(html, stylesheet=stylesheet, allowed_files=allowed, memory_mb=memory_mb,
                               timeout=remaining)


def _run(work: Path, stylesheet: str, deadline: float, timeout: float) -> int | None:
    """The child's exit code, or None when the job should go the fresh way."""
    global _zygote
    for attempt in (1, 2):
        zygote = _ready_zygote(stylesheet)
        if zygote is None:
            return None
        try:
            return zygote.run(work, deadline, timeout)
        except ZygoteGone:
            started_job = any(work.glob("stderr.txt"))  # the child had started: don't render twice
            logger.warning("report render process %s died (attempt %d); restarting it", zygote.pid, attempt)
            zygote.stop()
            _zygote = None
            if started_job:
                for leftover in ("report.pdf", "stats.json", "error.json", "stderr.txt"):
                    (work / leftover).unlink(missing_ok=True)
                return None
    return None


def _ready_zygote(stylesheet: str) -> Zygote | None:
    """This process's zygote, started if need be and ready; None: use the fresh path."""
    global _zygote, _fresh_until
    if _zygote is not None and not (_zygote.alive() and _zygote.stylesheet == stylesheet):
        _zygote.stop()
        _zygote = None
    if _zygote is None:
        if time.monotonic() < _fresh_until:
            return None
        _zygote = Zygote(stylesheet)
    try:
        if _zygote.process is None:
            _zygote.start()
        if not _zygote.ready:
            _zygote.wait_ready(time.monotonic() + START_TIMEOUT)
    except (OSError, TimeoutError, ZygoteGone, ValueError) as error:
        logger.warning("report render process could not start (%s); using a fresh process per render for %d s",
                       type(error).__name__, RETRY_AFTER)
        _zygote.stop()
        _zygote, _fresh_until = None, time.monotonic() + RETRY_AFTER
        return None
    return _zygote


def start(stylesheet: str, *, wait: bool = True) -> None:
    """Start this process's zygote now rather than at the first render.

    ``wait=False`` only launches it (Celery's worker_process_init must return quickly);
    the first render then waits for it to be ready.
    """
    global _zygote
    with _lock:
        if not wait:
            if _zygote is None and time.monotonic() >= _fresh_until:
                _zygote = Zygote(stylesheet)
                try:
                    _zygote.start()
                except OSError:
                    _zygote = None  # the first render tries again, then falls back
            return
        _ready_zygote(stylesheet)


def shutdown() -> None:
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.stop()
            _zygote = None


def current() -> Zygote | None:
    """This process's zygote, if it runs (tests and the benchmark read its pid)."""
    return _zygote if _zygote is not None and _zygote.alive() else None


def _after_fork_in_child() -> None:
    # A forked worker process must not share its parent's zygote (or a lock another thread held).
    global _lock, _zygote
    _lock = threading.Lock()
    if _zygote is not None:
        _zygote.stop()  # not the owner: closes the inherited pipe ends only
        _zygote = None


atexit.register(shutdown)
os.register_at_fork(after_in_child=_after_fork_in_child)
