"""The Insight dashboard at size: 10,000 incidents and 1,000,000 deliveries on PostgreSQL.

Builds the data with ``INSERT … SELECT generate_series`` in a database of its own (see
bench/README.md: created, migrated and dropped per run), then requests ``/console/insight/``
through Django's test Client as a manager (every customer: the largest scope) and times
the server side: median and p95 of ``--requests`` requests per period after one warm-up,
and each measure's queries alone (the period's and the 12-month trend's). Prints figures;
asserts nothing about time. Goal (issue 16): the dashboard under 500 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalm REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/kpi.py [--requests 15]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository is importable

from bench import bench_environment, percentiles  # noqa: E402

INCIDENTS = 10_000
COMMUNICATIONS_PER_INCIDENT = 2
DELIVERIES_PER_COMMUNICATION = 50  # 10,000 × 2 × 50 = 1,000,000
CUSTOMERS = 20
GOAL_MS = 500

SQL = [
    # 10,000 incidents over the last year; every 50th still open, every 100th a drill, every 20th reopened.
    f"""INSERT INTO incidents_incident (title, category, severity, status, business_impact, workaround, root_cause,
        resolution_summary, detected_by, personal_data_involved, language, translations, started_at, detected_at,
        acknowledged_at, resolved_at, reopen_count, external_impact, post_incident_sent_at, last_public_update_at,
        created_at, updated_at, is_drill)
    SELECT 'Bench incident ' || g, (ARRAY['server','network','email','security','software','other'])[1 + g % 6],
        (ARRAY['critical','high','medium','low'])[1 + g % 4],
        CASE WHEN g % 50 = 0 THEN 'investigating' ELSE 'resolved' END, '', '', '', '', 'msp', false, 'nl', '{{}}',
        s, s + (g % 7) * interval '1 minute', s + (g % 7 + g % 31) * interval '1 minute',
        CASE WHEN g % 50 = 0 THEN NULL ELSE s + (30 + g % 600) * interval '1 minute' END,
        CASE WHEN g % 20 = 0 THEN 1 ELSE 0 END, false,
        CASE WHEN g % 50 = 0 OR g % 3 = 0 THEN NULL ELSE s + (30 + g % 600 + (g % 40) * 60) * interval '1 minute' END,
        s + (g % 50) * interval '1 minute', s, s, g % 100 = 0
    FROM (SELECT g, now() - g * interval '1 second' * (365 * 86400 / {INCIDENTS}) AS s
          FROM generate_series(1, {INCIDENTS}) g) x""",
    """INSERT INTO incidents_customerincident (incident_id, customer_id, number, added_at)
    SELECT i.id, (SELECT array_agg(id ORDER BY id) FROM incidents_customer)[1 + i.id % %(customers)s],
           'BEN-' || i.id, i.started_at FROM incidents_incident i""",
    # Five timeline entries per resolved incident (four while open), every fourth incident's third one internal.
    """INSERT INTO incidents_incidentupdate (incident_id, kind, message, translations, is_internal, status,
        previous_status, severity, previous_severity, facts_changed, created_at)
    SELECT i.id, 'update', CASE WHEN k = 2 AND i.id % 4 = 0 THEN '' ELSE 'Update ' || k END, '{}',
        k = 2 AND i.id % 4 = 0,
        (ARRAY['investigating','identified','identified','monitoring','resolved'])[k + 1],
        (ARRAY['investigating','investigating','identified','identified','monitoring'])[k + 1],
        i.severity, i.severity, '[]', i.started_at + k * (15 + i.id % 50) * interval '1 minute'
    FROM incidents_incident i CROSS JOIN generate_series(0, 4) k
    WHERE k < 4 OR i.status = 'resolved'""",
    """INSERT INTO comms_communication (incident_id, customer_id, kind, audience, language, subject, body_text,
        body_html, short_text, texts_edited, is_automatic, recipient_ids, state, send_at, created_at)
    SELECT ci.incident_id, ci.customer_id, 'update', (ARRAY['technical','executive'])[n], 'nl', 'Update', 'Update',
        '<p>Update</p>', 'Update', false, false, '[]', 'done', ci.added_at, ci.added_at
    FROM incidents_customerincident ci CROSS JOIN generate_series(1, %(communications)s) n""",
    # 2 % of the deliveries failed.
    """INSERT INTO comms_delivery (communication_id, channel, address, state, attempts, last_error, provider_id,
        next_attempt_at, earlier_update_ids, sent_at, created_at, updated_at)
    SELECT c.id, 'email', 'person' || n || '@bench.example', CASE WHEN n % 50 = 0 THEN 'failed' ELSE 'sent' END,
        1, '', '', c.send_at, '[]', c.send_at, c.send_at, c.send_at
    FROM comms_communication c CROSS JOIN generate_series(1, %(deliveries)s) n""",
    """INSERT INTO incidents_regulatoryclock (incident_id, regime, started_at, deadline_at, filed_at, reference)
    SELECT id, 'gdpr', started_at, started_at + interval '72 hours',
        CASE WHEN id % 3 = 0 THEN NULL ELSE started_at + (id % 90) * interval '1 hour' END, ''
    FROM incidents_incident WHERE id % 20 = 0""",
    """INSERT INTO incidents_maintenance (customer_id, title, starts_at, ends_at, expected_impact, customer_action,
        translations, status, created_at)
    SELECT (SELECT array_agg(id ORDER BY id) FROM incidents_customer)[1 + g % %(customers)s], 'Patches',
        now() - g * interval '14 hours', now() - g * interval '14 hours' + interval '2 hours', '', '', '{}',
        'completed', now() - g * interval '14 hours' - (g % 14) * interval '1 day'
    FROM generate_series(1, 600) g""",
    """INSERT INTO followup_compensation (incident_id, customer_id, status, downtime_seconds, proposed_percent,
        proposed_amount, amount, currency, reason, decided_at, created_at)
    SELECT ci.incident_id, ci.customer_id, 'approved', 3600, 2, 100, 100, 'EUR', '',
        ci.added_at + interval '3 days', ci.added_at
    FROM incidents_customerincident ci WHERE ci.incident_id % 10 = 0""",
]


def build() -> None:
    from django.db import connection

    from incidents.models import Customer
    from tests.factories import ManagerFactory

    Customer.objects.bulk_create(Customer(name=f"Bench customer {n}", slug=f"bench-{n}", incident_prefix=f"B{n}")
                                 for n in range(CUSTOMERS))
    ManagerFactory(username="bench-manager")
    values = {"customers": CUSTOMERS, "communications": COMMUNICATIONS_PER_INCIDENT,
              "deliveries": DELIVERIES_PER_COMMUNICATION}
    with connection.cursor() as cursor:
        for statement in SQL:
            started = time.perf_counter()
            cursor.execute(statement.replace("%(customers)s", str(values["customers"]))
                           .replace("%(communications)s", str(values["communications"]))
                           .replace("%(deliveries)s", str(values["deliveries"])))
            print(f"  {statement.split('(')[0].strip()}: {cursor.rowcount:,} rows in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        cursor.execute("ANALYZE")


def time_requests(client, query: dict, count: int) -> list[float]:
    client.get("/console/insight/", query)  # warm-up (templates, connections), not counted
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get("/console/insight/", query)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def time_measures(period_start, period_end) -> None:
    """Each measure alone: the period's aggregate and the trend's grouped query (median of 5, ms)."""
    from django.utils import timezone

    from console.forms.insight import console_zone
    from incidents.models import Customer
    from insight.kpis import Scope, measures, trend_start
    from insight.sql import analytic_reads

    scope = Scope(customer_ids=tuple(Customer.objects.values_list("pk", flat=True)), tz=console_zone(),
                  now=timezone.now())
    first = trend_start(scope, period_end)
    for measure in measures.MEASURES:
        with analytic_reads():
            period = statistics.median(_timed(measure, scope, period_start, period_end, False) for _ in range(5))
            months = statistics.median(_timed(measure, scope, first, period_end, True) for _ in range(5))
        print(f"    {measure.__name__:<22} period {period:6.1f} ms   12 months {months:6.1f} ms")


def _timed(measure, scope, start, end, monthly: bool) -> float:
    started = time.perf_counter()
    measure(scope, start, end, monthly=monthly)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=15, help="measured requests per period")
    options = parser.parse_args()
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the test Client's host (see publish_latency.py)
    with bench_environment():
        from django.conf import settings

        # The hashed manifest exists only after collectstatic; the page's static URLs need no hashing here.
        settings.STORAGES = {**settings.STORAGES, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from comms.models import Delivery
        from console.forms.insight import console_zone
        from incidents.models import Incident

        print("building …", flush=True)
        build()
        print(f"{Incident.objects.count():,} incidents, {Delivery.objects.count():,} deliveries", flush=True)
        client = Client()
        client.force_login(get_user_model().objects.get(username="bench-manager"))
        today = timezone.localdate(timezone=console_zone())
        quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        year_ago = today - timedelta(days=364)
        for label, query in [("this month", {}), ("this quarter", {"period": "quarter", "quarter": quarter}),
                             ("last 12 months (custom)", {"period": "custom", "start": f"{year_ago:%Y-%m-%d}",
                                                         "end": f"{today:%Y-%m-%d}"})]:
            load = os.getloadavg()[0]
            figures = percentiles(time_requests(client, query, options.requests))
            verdict = "met" if figures["p50"] < GOAL_MS else "MISSED"
            print(f"  dashboard, {label}: {options.requests} requests, median {figures['p50']:.0f} ms, "
                  f"p95 {figures['p95']:.0f} ms, max {figures['max']:.0f} ms (goal < {GOAL_MS} ms: {verdict}); "
                  f"load average {load:.1f}", flush=True)
        from console.forms.insight import InsightFilterForm, PeriodKind

        form = InsightFilterForm({"period": PeriodKind.MONTH}, customers=None, today=today)
        form.is_valid()
        period = form.chosen_period()
        print("  the measures alone (this month; trend over 12 months):")
        time_measures(period.start, period.end)


if __name__ == "__main__":
    main()
