"""The cadence tick: 2,000 open incidents of which 50 are due, then 4,000 with the same 50 due.

PostgreSQL (a database of its own) and Redis (a database number of its own; no worker runs,
so what is enqueued stays there). Each round measures, with its SQL query count:

- the tick as beat runs it (``cadence.tasks.tick_dispatch``): find everything due, one
  query per job, and enqueue one task per incident;
- all of the work in this one process (``cadence.tick.tick``): the 50 holding updates,
  each claimed, written and turned into three messages, enqueued on commit. Workers
  share this between them.

The 50 due items are holding updates, the heaviest job. A warm-up tick first (one due
incident) loads the templates, as in a worker that has been running for a while.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalm REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/tick.py [--open 2000] [--due 50]
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository is importable

import bench
from bench import bench_environment

# A database and broker number of this benchmark's own: the other benchmarks drop and flush
# theirs, and may run at the same time.
bench.BENCH_DATABASE, bench.BROKER_DB = "kalm_bench_tick", 11

CUSTOMERS = 20
PEOPLE = [("IT", "customer_it", "technical", "nl"), ("Ops", "management", "operational", "nl"),
          ("CEO", "executives", "executive", "en"), ("Staff", "affected_users", "end_user", "en")]


def main() -> None:
    options = parse_args()
    with bench_environment():
        customers = make_customers()
        make_incidents(customers, 1, due=True, start=0)
        print(f"warm-up tick: {measure('tick')[2]}", flush=True)
        due = make_incidents(customers, options.due, due=True, start=1)
        make_incidents(customers, options.open - options.due, due=False, start=1 + options.due)
        results = [round_of(options.open, due, minutes_ago=1)]
        make_incidents(customers, options.open, due=False, start=1 + 2 * options.open)
        results.append(round_of(2 * options.open, due, minutes_ago=2))
    print()
    for open_count, finding, (dispatch_s, dispatch_q, _), (work_s, work_q, _) in results:
        print(f"{open_count:>5} open, {len(due)} due: tick (beat) {dispatch_s:.3f} s, {dispatch_q} queries "
              f"({finding} to find the work); all the work in one process {work_s:.3f} s, {work_q} queries")
    fast = max(result[2][0] for result in results) < 1
    flat = results[1][1] == results[0][1] and results[1][2][1] == results[0][2][1]
    print(f"goal (tick < 1 s, queries do not grow with open incidents): {'met' if fast and flat else 'MISSED'}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=2_000, help="open incidents in the first round")
    parser.add_argument("--due", type=int, default=50, help="of which due (holding updates)")
    return parser.parse_args()


def make_customers():
    from comms.models import Stakeholder
    from tests.factories import CustomerFactory

    customers = [CustomerFactory(name=f"Bench {n} BV", slug=f"bench-{n}", incident_prefix=f"BEN{n}")
                 for n in range(CUSTOMERS)]
    Stakeholder.objects.bulk_create(
        Stakeholder(customer=customer, name=name, role=role, audience=audience, language=language,
                    email=f"{name.lower()}.{customer.slug}@bench.example")
        for customer in customers for name, role, audience, language in PEOPLE
    )
    return customers


def make_incidents(customers, count: int, *, due: bool, start: int) -> list[int]:
    """``count`` open critical incidents spread over the customers, written in bulk (not through the
    services: the benchmark measures the tick, not 4,000 openings). Not due: the next update is
    20 minutes away, so no reminder is due either."""
    from django.utils import timezone

    from incidents.models import CustomerIncident, Incident

    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(title=f"Outage {start + n}", category="server", severity="critical", status="investigating",
                 started_at=now - timedelta(minutes=10), detected_at=now - timedelta(minutes=10),
                 acknowledged_at=now - timedelta(minutes=10), last_public_update_at=now - timedelta(minutes=10),
                 next_update_due_at=now - timedelta(minutes=1) if due else now + timedelta(minutes=20))
        for n in range(count)
    )
    CustomerIncident.objects.bulk_create(
        CustomerIncident(incident=incident, customer=customers[n % len(customers)],
                         number=f"{customers[n % len(customers)].incident_prefix}-{start + n:06d}")
        for n, incident in enumerate(incidents)
    )
    return [incident.pk for incident in incidents]


def round_of(open_count: int, due: list[int], *, minutes_ago: int):
    """Make the same incidents due again (a new promise, so new ledger rows); measure both ways."""
    from django.utils import timezone

    from incidents.models import Incident

    Incident.objects.filter(pk__in=due).update(next_update_due_at=timezone.now() - timedelta(minutes=minutes_ago))
    assert Incident.objects.filter(status="investigating").count() == open_count + 1
    finding = count_find_queries()
    dispatch = measure("tick_dispatch")
    assert dispatch[2].dispatched["holding"] == len(due), dispatch[2]
    work = measure("tick")  # nothing was claimed by the dispatch (no worker runs): the same 50 items
    assert work[2].done["holding"] == len(due) and not work[2].failed, work[2]
    print(f"{open_count} open: tick (beat) {dispatch[0]:.3f} s, {dispatch[1]} queries; "
          f"all the work {work[0]:.3f} s, {work[1]} queries", flush=True)
    return open_count, finding, dispatch, work


def count_find_queries() -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cadence.tick import JOBS

    with CaptureQueriesContext(connection) as queries:
        for job in JOBS.values():
            job.find(timezone.now())
    return len(queries)


def measure(name: str):
    """Seconds, SQL queries and report of ``cadence.tasks.tick_dispatch()`` or ``cadence.tick.tick()``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cadence import tasks, tick

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = tasks.tick_dispatch() if name == "tick_dispatch" else tick.tick()
        seconds = time.perf_counter() - started
    return seconds, len(queries), report


if __name__ == "__main__":
    main()
