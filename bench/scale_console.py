"""The console at scale (issue 14): 2,000 open incidents across 200 customers and 5,000,000
deliveries; server time and queries of the dashboard, its poll, an incident page and the
communication log's first and 1,000th page.

Requests go through Django's test Client (the whole view and middleware, no network), on
PostgreSQL (a database of its own, see bench/__init__.py). Prints the median of ``--requests``
requests each; asserts nothing about time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalm REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/scale_console.py [--customers 200] [--open 10] [--deliveries 5000000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository is importable

from bench import bench_environment, cpu_calibration

TARGET_MS = 100
CHUNK = 500_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--open", type=int, default=10, help="open incidents per customer")
    parser.add_argument("--deliveries", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=15)
    options = parser.parse_args()
    os.environ["ALLOWED_HOSTS"] = "testserver"
    with bench_environment():
        run(options)


def run(options: argparse.Namespace) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.population import add_customers
    from incidents.models import Incident

    # Static URLs without collectstatic's manifest (as the tests do): the pages are what is measured.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    started = time.monotonic()
    manager = get_user_model().objects.create_superuser("bench-manager", password="x")
    customers = add_customers(0, options.customers, author=manager, stakeholders=2, history=0,
                              open_incidents=options.open)
    anna = get_user_model().objects.create_user("bench-anna", password="x", is_staff=True)
    customers[0].account_managers.add(anna)
    print(f"{Incident.objects.filter(resolved_at__isnull=True).count()} open incidents, {options.customers} "
          f"customers ({time.monotonic() - started:.0f} s)", flush=True)
    started = time.monotonic()
    add_deliveries(options.deliveries)
    print(f"{options.deliveries:,} deliveries ({time.monotonic() - started:.0f} s); "
          f"load average {os.getloadavg()[0]:.2f}; machine speed: 10 M additions in {cpu_calibration():.2f} s of CPU",
          flush=True)

    for label, user in (("manager (all customers)", manager), ("account manager (1 customer)", anna)):
        client = Client()
        client.force_login(user)
        print(f"\n{label}:", flush=True)
        measure_pages(client, options.requests)


def add_deliveries(total: int) -> None:
    """One communication per open incident, ``total`` deliveries spread over a year, newest now;
    1 in 200 failed. Straight SQL: the ORM would take an hour to write five million rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO comms_communication (incident_id, customer_id, kind, audience, language, subject, body_text,
                body_html, short_text, texts_edited, is_automatic, recipient_ids, state, send_at, created_at)
            SELECT i.id, ci.customer_id, 'update', 'operational', 'en', 'Update: ' || i.title, 'text', '<p>text</p>',
                'text', false, false, '[]', 'sent', now(), now()
            FROM incidents_incident i JOIN incidents_customerincident ci ON ci.incident_id = i.id""")
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM comms_communication")
        communications = cursor.fetchone()[0]
        count = len(communications)
        for first in range(0, total, CHUNK):
            last = min(total, first + CHUNK)
            cursor.execute("""
                INSERT INTO comms_delivery (communication_id, channel, address, state, attempts, last_error,
                    provider_id, next_attempt_at, earlier_update_ids, sent_at, created_at, updated_at)
                SELECT (%(ids)s::bigint[])[1 + g %% %(count)s], 'email', 'u' || g || '@bench.example',
                    CASE WHEN g %% 200 = 0 THEN 'failed' ELSE 'sent' END, 1, '', '',
                    now() - g * interval '6 seconds', '[]', now() - g * interval '6 seconds',
                    now() - g * interval '6 seconds', now() - g * interval '6 seconds'
                FROM generate_series(%(first)s, %(last)s - 1) AS g""",
                           {"ids": communications, "count": count, "first": first, "last": last})
            print(f"  {last:,} deliveries written", flush=True)
        cursor.execute("ANALYZE")


def measure_pages(client, requests: int) -> None:
    from django.db import connection
    from django.urls import reverse

    from comms.models import Delivery
    from core.keyset import cursor_of
    from incidents.models import Incident

    connection.force_debug_cursor = True  # count each request's queries
    incident = Incident.objects.filter(resolved_at__isnull=True).order_by("pk").first()
    thousandth = Delivery.objects.order_by("-created_at", "-id")[49_999:50_000].first()
    dashboard = reverse("incidents:dashboard")
    etag = client.get(dashboard, headers={"HX-Request": "true"})["ETag"]
    pages = [
        ("dashboard", dashboard, {}),
        ("dashboard poll, nothing changed (304)", dashboard, {"HX-Request": "true", "If-None-Match": etag}),
        ("dashboard poll, rendered", dashboard, {"HX-Request": "true"}),
        ("incident page", reverse("incidents:detail", args=[incident.pk]), {}),
        ("communication log, page 1", reverse("comms:log"), {}),
        ("communication log, page 1,000", reverse("comms:log") + f"?older={cursor_of(thousandth)}", {}),
        ("communication log, failed only", reverse("comms:log") + "?state=failed", {}),
    ]
    for label, url, headers in pages:
        times, size, status, queries = [], 0, 0, 0
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            # Django empties the log when a request starts: what is in it now is this request's.
            size, status, queries = len(response.content), response.status_code, len(connection.queries_log)
        median = statistics.median(times)
        verdict = "met" if median <= TARGET_MS else "MISSED"
        print(f"  {label:40} {status} {median:6.1f} ms median ({min(times):.1f} min), {size / 1024:6.1f} KiB, "
              f"{queries} queries (target ≤ {TARGET_MS} ms: {verdict})", flush=True)


if __name__ == "__main__":
    main()
