"""Publish latency: the console request that posts an update, for 10 and for 10,000 stakeholders.

``POST /console/incidents/<pk>/updates/`` through Django's test Client (the whole view,
middleware and the incident transaction with the outbox rows), on PostgreSQL (a
``kalm_bench`` database of its own), with the on-commit enqueue to Redis. No worker runs:
this measures what the account manager waits for, not the sending.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalm REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/publish_latency.py [--requests 30]
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository is importable

from bench import bench_environment, percentiles

SIZES = [10, 10_000]
GOAL_P95_MS = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="measured requests per size")
    options = parser.parse_args()
    # The test Client calls itself "testserver"; setup_test_environment() would allow it too,
    # but also instruments template rendering, which would slow down what is measured.
    os.environ["ALLOWED_HOSTS"] = "testserver"
    with bench_environment():
        from django.test import Client

        from tests.factories import UserFactory

        author = UserFactory(username="bench")
        client = Client()
        client.force_login(author)
        for size in SIZES:
            load = os.getloadavg()[0]
            wall, cpu = post_updates(client, author, size, options.requests)
            figures = percentiles(wall)
            verdict = "met" if figures["p95"] < GOAL_P95_MS else "MISSED"
            print(f"{size:>6} stakeholders: {options.requests} requests, p50 {figures['p50']:.0f} ms, "
                  f"p95 {figures['p95']:.0f} ms, max {figures['max']:.0f} ms (goal p95 < {GOAL_P95_MS} ms: {verdict}); "
                  f"Python CPU per request p50 {percentiles(cpu)['p50']:.0f} ms; load average {load:.1f} → "
                  f"{os.getloadavg()[0]:.1f}")


def post_updates(client, author, size: int, count: int) -> tuple[list[float], list[float]]:
    """Milliseconds per request (wall clock, and CPU of this process) for ``count`` updates to an incident
    of a customer with ``size`` stakeholders."""
    from django.urls import reverse

    from comms.models import Communication
    from incidents.models import IncidentUpdate

    incident = open_incident(author, size)
    url = reverse("incidents:post_update", args=[incident.pk])
    client.post(url, update_data(0))  # warm-up (first template loads, connections), not counted
    wall, cpu = [], []
    for n in range(1, count + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.post(url, update_data(n))
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 302, f"update {n} answered {response.status_code}"
    updates = IncidentUpdate.objects.filter(incident=incident, message__startswith="Update ")
    assert updates.count() == count + 1
    recipients = sum(len(c.recipient_ids) for c in Communication.objects.filter(update=updates.latest("id")))
    assert recipients == size, f"{recipients} recipients planned for {size} stakeholders"
    return wall, cpu


def open_incident(author, size: int):
    from comms.models import Stakeholder
    from flows import incidents as incident_flow
    from tests.factories import CustomerFactory

    customer = CustomerFactory(name=f"Bench {size} BV", slug=f"bench-{size}", incident_prefix=f"B{size}")
    customer.account_managers.add(author)
    audiences, languages = ["technical", "operational", "executive", "end_user"], ["nl", "en", "de"]
    Stakeholder.objects.bulk_create(
        (Stakeholder(customer=customer, name=f"Person {n}", role="affected_users", audience=audiences[n % 4],
                     language=languages[n % 3], email=f"person{n}@bench-{size}.example") for n in range(size)),
        batch_size=2000,
    )
    return incident_flow.open_incident(customer=customer, title="File server outage", category="server",
                                  severity="critical", message="We are investigating.", author=author)


def update_data(n: int) -> dict[str, str]:
    """An update as the account manager posts it: the message in every language the stakeholders read."""
    return {"message": f"Update {n}: we are restoring the file server from backup.",
            "message__nl": f"Update {n}: we zetten de bestandsserver terug uit de back-up.",
            "message__de": f"Update {n}: Wir stellen den Dateiserver aus der Sicherung wieder her.",
            "status": "identified", "severity": "critical"}


if __name__ == "__main__":
    main()
