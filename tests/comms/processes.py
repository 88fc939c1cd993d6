"""Real processes for the worker tests and the benchmarks: a Celery worker and a private Redis.

- ``CeleryWorker``: ``celery -A kalm worker`` as a subprocess with its own environment; its
  output goes to a log file; ``start()`` waits for the "ready." line, ``kill()`` is SIGKILL
  (a crashed machine), ``stop()`` a short polite shutdown that ends in SIGKILL.
- ``RedisServer``: a throw-away ``redis-server`` on a free port (no persistence) that a test
  may stop and start again on the same port; the machine's own Redis is never touched.
- ``database_url``/``redis_url``: URLs for a worker's environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import redis

from tests.comms.servers import LOOPBACK, free_port

REPO = Path(__file__).resolve().parents[2]


def database_url(settings_dict: dict[str, Any]) -> str:
    """A ``DATABASE_URL`` for a Django PostgreSQL ``settings_dict`` (e.g. ``connection.settings_dict``)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or LOOPBACK
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


def redis_url(url: str, *, db: int) -> str:
    """The same Redis server as ``url``, another database number."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def wait_for(condition, *, timeout: float, interval: float = 0.1, what: str = "condition") -> None:
    """Poll ``condition()`` until it is true; ``TimeoutError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f} s")
        time.sleep(interval)


def _stat_fields(stat: Path) -> list[str]:
    """The fields of a ``/proc/<pid>/stat`` after the command name: state, ppid, …"""
    return stat.read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process and its live child processes used so far (Linux ``/proc``)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = _stat_fields(stat)
        except OSError:
            continue  # exited meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class CeleryWorker:
    """One ``celery -A kalm worker`` process.

    ``env`` is added to this process's environment (DATABASE_URL, REDIS_URL, EMAIL_HOST, …).
    It logs at INFO: ``start()`` waits for the "ready." line.
    """

    def __init__(self, env: dict[str, str], log_path: Path, *, pool: str = "threads", concurrency: int = 4,
                 queue: str = "celery,publish") -> None:
        # Status page snapshots off unless asked for: a test's worker must not publish into the repository's var/.
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kalm.settings", "KALM_STATUS_SNAPSHOTS": "0", **env}
        self.log_path = log_path
        self.command = [
            sys.executable, "-m", "celery", "-A", "kalm", "worker", "--pool", pool,
            "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
            "--loglevel", "INFO", "-Q", queue, "--hostname", f"kalm-{uuid.uuid4().hex[:8]}@%h",
        ]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "worker not started"
        return self.process.pid

    def start(self, *, timeout: float = 30) -> CeleryWorker:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, cwd=REPO, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        try:
            wait_for(self._ready, timeout=timeout, what=f"worker ready (log: {self.log_path})")
        except BaseException:
            self.kill()  # never leave a half-started worker consuming tasks
            raise
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.output()}")
        return " ready." in self.output()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, unacknowledged work stays where it was."""
        if self.running:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, *, timeout: float = 3) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class RedisServer:
    """A private ``redis-server`` on 127.0.0.1; ``stop()`` and ``start()`` keep the port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"

    def start(self, *, timeout: float = 10) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=timeout, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
        self.process = None

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=0.5).ping())
        except redis.ConnectionError:
            return False


def worker_test_marks() -> list:
    """``pytestmark`` for a module whose tests start real worker processes: they need PostgreSQL and
    Redis (a worker process cannot share SQLite's in-memory test database) and committed data."""
    import pytest
    from django.conf import settings
    from django.db import connection

    return [
        pytest.mark.worker,
        pytest.mark.skipif(connection.vendor != "postgresql" or not settings.REDIS_URL,
                           reason="needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL): a worker process "
                                  "cannot share SQLite's in-memory test database"),
        pytest.mark.django_db(transaction=True),
    ]
