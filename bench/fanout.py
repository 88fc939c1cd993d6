"""Fan-out: one acknowledgment to 10,000 e-mail recipients, through real Celery workers.

PostgreSQL (a ``kalm_bench`` database of its own), Redis, ``celery worker`` processes
(thread pool), and an aiosmtpd sink in this process that takes 20 ms per message. Measured
from the service call that opens the incident until the last Delivery is ``sent``. Then,
for comparison, a naive loop: one EmailMessage per recipient over one SMTP connection to
the same sink, measured on ``NAIVE_SAMPLE`` recipients and extrapolated.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalm REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/fanout.py [--recipients 10000] [--workers 2] [--concurrency 8]
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository is importable

from bench import bench_environment, machine_busy_seconds, processes_cpu_seconds
from tests.comms.processes import CeleryWorker, wait_for
from tests.comms.servers import SmtpServer

SINK_DELAY = 0.02  # seconds the sink takes per message, like a real relay
NAIVE_SAMPLE = 1_000
GOAL_RECIPIENTS, GOAL_SECONDS = 10_000, 60
AUDIENCES = ["technical", "operational", "executive", "end_user"]
LANGUAGES = ["nl", "en", "de"]


@dataclass
class FanOut:
    seconds: float = 0.0  # publish → last Delivery sent
    expanded_after: float = 0.0  # publish → every Delivery row exists
    worker_cpu: float = 0.0  # CPU seconds the workers used meanwhile
    bench_cpu: float = 0.0  # … this process (the SMTP sink, mostly)
    database_cpu: float = 0.0  # … the PostgreSQL server
    redis_cpu: float = 0.0  # … the Redis server
    machine_cpu: float = 0.0  # … the whole machine, anything else running included
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at publish and when all were sent

    def per_message_ms(self, count: int) -> dict[str, float]:
        parts = {"workers": self.worker_cpu, "PostgreSQL": self.database_cpu, "Redis": self.redis_cpu,
                 "sink": self.bench_cpu}
        return {name: seconds / count * 1000 for name, seconds in parts.items()}


def main() -> None:
    options = parse_args()
    sink = SmtpServer(delay=SINK_DELAY)
    sink.start()
    with bench_environment(EMAIL_HOST=sink.host, EMAIL_PORT=str(sink.port)) as env, \
            tempfile.TemporaryDirectory() as logs:
        customer, author, addresses = make_customer(options.recipients)
        with running_workers(env, Path(logs), options) as workers:
            result = fan_out(customer, author, len(addresses), workers)
        report_fanout(sink, addresses, result, options)
        naive_seconds = naive_loop(sink, addresses[:NAIVE_SAMPLE])
    sink.stop()
    extrapolated = naive_seconds * len(addresses) / NAIVE_SAMPLE
    print(f"naive loop (one connection, one message at a time): {NAIVE_SAMPLE} recipients in {naive_seconds:.1f} s "
          f"(measured) → {len(addresses)} in ~{extrapolated:.0f} s (extrapolated linearly)")
    print(f"engine vs naive loop: {extrapolated / result.seconds:.1f}× faster")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork"], help="worker pool")
    parser.add_argument("--concurrency", type=int, default=8, help="threads (or child processes) per worker")
    return parser.parse_args()


@contextmanager
def running_workers(env: dict[str, str], logs: Path, options: argparse.Namespace) -> Iterator[list[CeleryWorker]]:
    workers: list[CeleryWorker] = []
    try:
        for n in range(options.workers):
            workers.append(CeleryWorker(env, logs / f"worker-{n}.log", pool=options.pool,
                                        concurrency=options.concurrency))
            workers[-1].start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def make_customer(count: int):
    """A customer with ``count`` e-mail stakeholders over 4 audiences × 3 languages (12 Communications)."""
    from comms.models import Stakeholder
    from tests.factories import CustomerFactory, UserFactory

    customer = CustomerFactory(name="Bench Manufacturing BV", slug="bench", incident_prefix="BEN")
    author = UserFactory(username="bench")
    customer.account_managers.add(author)
    Stakeholder.objects.bulk_create(
        (Stakeholder(customer=customer, name=f"Person {n}", role="affected_users", audience=AUDIENCES[n % 4],
                     language=LANGUAGES[n % 3], email=f"person{n}@bench.example") for n in range(count)),
        batch_size=2000,
    )
    return customer, author, [f"person{n}@bench.example" for n in range(count)]


def fan_out(customer, author, expected: int, workers: list[CeleryWorker]) -> FanOut:
    """Open the incident and wait until all ``expected`` Deliveries are sent."""
    from comms.models import Delivery
    from flows import incidents as incident_flow

    result = FanOut()
    before = cpu_now(workers)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    incident_flow.open_incident(customer=customer, title="File server outage", category="server", severity="critical",
                           message="We are investigating an outage of the file server.", author=author)
    print(f"published in {time.perf_counter() - started:.2f} s; waiting for {expected} deliveries …", flush=True)

    def all_sent() -> bool:
        if not result.expanded_after and Delivery.objects.count() == expected:
            result.expanded_after = time.perf_counter() - started
        return Delivery.objects.filter(state="sent").count() == expected

    wait_for(all_sent, timeout=900, interval=0.25, what=f"{expected} deliveries sent")
    result.seconds = time.perf_counter() - started
    result.load = (load_before, os.getloadavg()[0])
    after = cpu_now(workers)
    result.worker_cpu, result.bench_cpu, result.database_cpu, result.redis_cpu, result.machine_cpu = (
        used_after - used_before for used_before, used_after in zip(before, after, strict=True)
    )
    return result


def cpu_now(workers: list[CeleryWorker]) -> tuple[float, ...]:
    """CPU seconds so far: workers, this process, PostgreSQL, Redis, the whole machine."""
    return (sum(worker.cpu_seconds() for worker in workers), time.process_time(), processes_cpu_seconds("postgres"),
            processes_cpu_seconds("redis-server"), machine_busy_seconds())


def report_fanout(sink: SmtpServer, addresses: list[str], result: FanOut, options: argparse.Namespace) -> None:
    received = sink.messages
    distinct = {mail.message["Message-ID"] for mail in received}
    reached = {recipient for mail in received for recipient in mail.rcpt_tos}
    lost = len(set(addresses) - reached)
    count = len(addresses)
    print(f"fan-out: {count} recipients, {options.workers} × celery worker --pool {options.pool} --concurrency "
          f"{options.concurrency}, sink {SINK_DELAY * 1000:.0f} ms/message")
    print(f"  all sent after {result.seconds:.1f} s ({count / result.seconds:.0f} messages/s); "
          f"all Deliveries expanded after {result.expanded_after:.1f} s")
    print(f"  received {len(received)}, distinct Message-IDs {len(distinct)}, "
          f"duplicates {len(received) - len(distinct)}, lost {lost}")
    parts = result.per_message_ms(count)
    total = sum(parts.values())
    print("  CPU per message: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in parts.items())
          + f" = {total:.1f} ms → at most {os.cpu_count() * 1000 / total:.0f} messages/s on {os.cpu_count()} "
          "idle cores")
    print(f"  the whole machine was busy {result.machine_cpu / count * 1000:.1f} ms per message "
          f"({result.machine_cpu / result.seconds / os.cpu_count():.0%} of {os.cpu_count()} cores; other load "
          f"included); load average {result.load[0]:.1f} at publish, {result.load[1]:.1f} at the end")
    at_goal_size = result.seconds * GOAL_RECIPIENTS / count
    verdict = "met" if at_goal_size <= GOAL_SECONDS and not lost else "MISSED"
    scaled = "" if count == GOAL_RECIPIENTS else f" (extrapolated from {count}: {at_goal_size:.0f} s)"
    print(f"  goal ({GOAL_RECIPIENTS} within {GOAL_SECONDS} s): {verdict}{scaled}")


def naive_loop(sink: SmtpServer, addresses: list[str]) -> float:
    """One EmailMessage per recipient over one SMTP connection; seconds for ``addresses``."""
    from django.core.mail import EmailMessage, mailers

    from comms.models import Communication

    communication = Communication.objects.first()
    before = len(sink.messages)
    backend = mailers.default
    started = time.perf_counter()
    backend.open()
    try:
        for address in addresses:
            backend.send_messages([EmailMessage(communication.subject, communication.body_text, to=[address])])
    finally:
        backend.close()
    seconds = time.perf_counter() - started
    assert len(sink.messages) - before == len(addresses), "the naive loop lost messages"
    return seconds


if __name__ == "__main__":
    main()
