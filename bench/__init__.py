"""Benchmarks of the outbox on PostgreSQL and Redis (see README.md); shared set-up lives here.

Each benchmark runs against a database of its own (``kalm_bench``, created, migrated and
dropped per run on the server of ``DATABASE_URL``) and a Redis database number of its own
(``BROKER_DB`` on the server of ``REDIS_URL``, flushed before and after), so the
development data and the test suite's Redis databases are never touched.
"""

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
# Override both to run two benchmarks at once (KALM_BENCH_DATABASE, KALM_BENCH_REDIS_DB).
BENCH_DATABASE = os.environ.get("KALM_BENCH_DATABASE", "kalm_bench")
BROKER_DB = int(os.environ.get("KALM_BENCH_REDIS_DB", "13"))


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"Set {name} (see bench/README.md), e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalm "
                 "REDIS_URL=redis://127.0.0.1:6379/0")
    return value


def bench_urls() -> tuple[str, str]:
    """(database URL, broker URL) for this run, derived from DATABASE_URL and REDIS_URL."""
    database = _required("DATABASE_URL")
    if not database.startswith(("postgres://", "postgresql://")):
        sys.exit("The benchmarks need PostgreSQL: DATABASE_URL=postgres://…")
    return _with_path(database, f"/{BENCH_DATABASE}"), _with_path(_required("REDIS_URL"), f"/{BROKER_DB}")


def _admin(database_url: str) -> psycopg.Connection:
    """A connection to the server's maintenance database, to create and drop the bench database."""
    return psycopg.connect(_with_path(database_url, "/postgres"), autocommit=True)


def create_database(database_url: str) -> None:
    with _admin(database_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": database_url})


def drop_database(database_url: str) -> None:
    with _admin(database_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


@contextmanager
def bench_environment(**env: str) -> Iterator[dict[str, str]]:
    """A fresh migrated bench database and an empty broker database; Django set up on them.

    Yields the environment a worker process needs (DATABASE_URL, REDIS_URL and ``env``).
    Everything is removed afterwards.
    """
    database_url, broker_url = bench_urls()
    # A plain `kill` (or timeout) still runs the clean-up below: stop workers, drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by signal {signal.SIGTERM.name}"))
    print(f"setting up {BENCH_DATABASE} (migrate) and Redis database {BROKER_DB} …", flush=True)
    create_database(database_url)
    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()
    process_env = {"DATABASE_URL": database_url, "REDIS_URL": broker_url, "DJANGO_SETTINGS_MODULE": "kalm.settings",
                   "LOG_LEVEL": "WARNING", **env}
    os.environ.update(process_env)
    import django

    django.setup()
    try:
        yield process_env
    finally:
        from django.db import connections

        connections.close_all()
        broker.flushdb()
        drop_database(database_url)


def cpu_calibration() -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions). This VM's speed differs between
    days (the same re-publish took 60.6 s of CPU one day and 100.1 s another): figures of different
    runs compare through this one."""
    started = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.process_time() - started


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``samples``."""
    return {"p50": statistics.median(samples), "p95": statistics.quantiles(samples, n=20, method="inclusive")[18],
            "max": max(samples)}


def machine_busy_seconds() -> float:
    """CPU time all cores of this machine spent busy so far, every process included (Linux ``/proc/stat``)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def processes_cpu_seconds(name: str) -> float:
    """CPU time used so far by every process called ``name`` and by their reaped children.

    For PostgreSQL that is the postmaster with every backend, including backends that have
    exited meanwhile (their time is added to the postmaster's children's time).
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited while we looked
        command, fields = text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()
        if command == name:
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")
