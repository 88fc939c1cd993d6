"""What ``/metrics`` reports, one function per part of Kalm, each reading stored facts at scrape time.

Every function takes the scrape's ``now`` and returns Prometheus metric families. Each query is
one aggregate, bounded so that a scrape costs the same with millions of deliveries: pending
deliveries through the ``delivery_due`` index (state, next_attempt_at), finished ones only
within a recent window on that index, updates through their ``created_at`` index. Documented in
the README ("Operations: metrics, readiness, logs").
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, Sum
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric, SummaryMetricFamily

from cadence.runs import last_run
from comms.models import Channel, Delivery, DeliveryState, EndpointHealth
from comms.outbox.delivery import ENDPOINT_CHANNELS
from incidents.models import IncidentUpdate
from kalm import broker
from reports.models import RenderStatus, ReportRender
from statuspage.models import PublishFailure
from statuspage.snapshot_store import DEFAULT_VARIANT, PAGE, document_path

PENDING_STATES = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DEFERRED)
FINISHED_WINDOW = timedelta(hours=1)  # sent / failed / superseded deliveries counted over this
LATENCY_WINDOW = timedelta(minutes=15)  # deliveries sent (and pages published) within this
LATENCY_BUCKETS = (1, 5, 15, 30, 60, 300, 900, 1800)  # seconds
REPORT_WINDOW = timedelta(hours=24)
REPORT_BUCKETS = (1, 2, 5, 10, 30, 60, 120)  # seconds


def queues(now: datetime) -> Iterable[Metric]:
    depth = GaugeMetricFamily("kalm_queue_depth", "Celery messages waiting in each queue of the broker.",
                              labels=["queue"])
    for name, count in broker.queue_depths().items():
        depth.add_metric([name], count)
    yield depth
    unacked = broker.unacknowledged()
    if unacked is not None:  # the filesystem transport keeps no such record
        yield GaugeMetricFamily("kalm_queue_unacked", "Celery messages held by workers and not yet acknowledged "
                                "(Redis).", value=unacked)


def deliveries(now: datetime) -> Iterable[Metric]:
    rows = (Delivery.objects.filter(Q(state__in=PENDING_STATES)
                                    | Q(next_attempt_at__gte=now - FINISHED_WINDOW,
                                        state__in=[DeliveryState.SENT, DeliveryState.FAILED,
                                                   DeliveryState.SUPERSEDED]))
            .values_list("state", "channel").annotate(count=Count("id")).order_by())
    counts = {(state, channel): count for state, channel, count in rows}
    family = GaugeMetricFamily(
        "kalm_deliveries", "Deliveries by state and channel: queued, sending and deferred ones all; sent, failed "
        "and superseded ones last queued within the past hour.", labels=["state", "channel"])
    for state in DeliveryState.values:
        for channel in Channel.values:
            family.add_metric([state, channel], counts.get((state, channel), 0))
    yield family
    yield _delivery_latency(now)


def _delivery_latency(now: datetime) -> Metric:
    """Queued → sent for the deliveries sent in the last 15 minutes, per channel, as a histogram.

    "Queued" is ``next_attempt_at``: creation, the end of a coalescing interval or a retry's
    time. The index bounds the scan (queued within the past hour, so up to 45 minutes of latency
    is seen); one GROUP BY with a conditional count per bucket.
    """
    rows = (Delivery.objects.filter(state=DeliveryState.SENT, next_attempt_at__gte=now - LATENCY_WINDOW * 4,
                                    sent_at__gte=now - LATENCY_WINDOW)
            .values("channel").annotate(**_histogram("next_attempt_at", "sent_at", LATENCY_BUCKETS)).order_by())
    family = HistogramMetricFamily(
        "kalm_delivery_latency_seconds", "Time from queued to sent of the deliveries sent in the last 15 minutes.",
        labels=["channel"])
    for row in rows:
        cumulative = [(str(float(bound)), row[f"le_{index}"]) for index, bound in enumerate(LATENCY_BUCKETS)]
        family.add_metric([row["channel"]], [*cumulative, ("+Inf", row["count"])],
                          sum_value=(row["total"] or timedelta()).total_seconds())
    return family


def endpoints(now: datetime) -> Iterable[Metric]:
    rows = (EndpointHealth.objects.filter(quarantined_at__isnull=False).values_list("channel")
            .annotate(count=Count("id")).order_by())
    counts = dict(rows)
    family = GaugeMetricFamily("kalm_endpoints_quarantined", "Webhook and chat endpoints quarantined after "
                               "repeated failures (released in the console).", labels=["channel"])
    for channel in ENDPOINT_CHANNELS:
        family.add_metric([channel], counts.get(channel, 0))
    yield family


def tick(now: datetime) -> Iterable[Metric]:
    """Nothing before the first run: alert on ``absent(kalm_tick_last_run_timestamp_seconds)`` too."""
    run = last_run()
    if run is None:
        return
    yield GaugeMetricFamily("kalm_tick_last_run_timestamp_seconds", "When the last completed tick started "
                            "(Unix time).", value=run.started_at.timestamp())
    yield GaugeMetricFamily("kalm_tick_lag_seconds", "Seconds since the last completed tick started (about the "
                            "tick interval when healthy).", value=max((now - run.started_at).total_seconds(), 0.0))
    yield GaugeMetricFamily("kalm_tick_duration_seconds", "How long the last completed tick took.",
                            value=run.duration_seconds)
    yield GaugeMetricFamily("kalm_tick_failures", "Jobs whose finding failed in the last completed tick.",
                            value=run.failed)


def publishing(now: datetime) -> Iterable[Metric]:
    yield GaugeMetricFamily("kalm_statuspage_publish_failures", "Status page documents whose last publish failed "
                            "(they keep their last good file).", value=PublishFailure.objects.count())
    if not settings.KALM_STATUS_SNAPSHOTS:
        return  # pages are computed per request: nothing is published
    latencies, waiting = _publish_facts(now)
    summary = SummaryMetricFamily(
        "kalm_statuspage_publish_latency_seconds", "From a public update (last 15 minutes) to its status page's "
        "published file on this host.", count_value=len(latencies), sum_value=sum(latencies))
    yield summary
    yield GaugeMetricFamily("kalm_statuspage_publish_pending_pages", "Public status pages whose published file "
                            "is older than their newest public update.", value=len(waiting))
    yield GaugeMetricFamily("kalm_statuspage_publish_lag_seconds", "Age of the oldest public update not yet on "
                            "its published page (0 when none).", value=max(waiting, default=0.0))


def _publish_facts(now: datetime) -> tuple[list[float], list[float]]:
    """Per public page with a public update in the window: the publish latency, or how long it waits.

    The page's published file is rewritten only when its bytes change, so its mtime is when the
    newest change reached it (a periodic re-publish that changed the uptime bars may move it later:
    an upper bound).
    """
    newest = (IncidentUpdate.objects.filter(created_at__gte=now - LATENCY_WINDOW, created_at__lte=now,
                                            is_internal=False, incident__is_drill=False)
              .exclude(message="")
              .filter(incident__customer_links__customer__status_page_public=True)
              .values_list("incident__customer_links__customer__slug")
              .annotate(newest=Max("created_at")).order_by())
    latencies, waiting = [], []
    for slug, updated_at in newest:
        try:
            published = document_path(slug, DEFAULT_VARIANT, PAGE).stat().st_mtime
        except OSError:
            published = 0.0
        if published >= updated_at.timestamp():
            latencies.append(published - updated_at.timestamp())
        else:
            waiting.append((now - updated_at).total_seconds())
    return latencies, waiting


def reports(now: datetime) -> Iterable[Metric]:
    recent = ReportRender.objects.filter(created_at__gte=now - REPORT_WINDOW)
    counts = dict(recent.values_list("status").annotate(count=Count("id")).order_by())
    family = GaugeMetricFamily("kalm_report_renders", "Post-incident report renders requested in the last 24 "
                               "hours, by status (failed: the error is on the incident's page).", labels=["status"])
    for status in RenderStatus.values:
        family.add_metric([status], counts.get(status, 0))
    yield family
    row = (recent.filter(status=RenderStatus.DONE, started_at__isnull=False, finished_at__isnull=False)
           .aggregate(**_histogram("started_at", "finished_at", REPORT_BUCKETS)))
    histogram = HistogramMetricFamily("kalm_report_render_seconds", "Render time of the post-incident reports "
                                      "finished in the last 24 hours.")
    histogram.add_metric([], [*[(str(float(bound)), row[f"le_{index}"]) for index, bound in enumerate(REPORT_BUCKETS)],
                              ("+Inf", row["count"])], sum_value=(row["total"] or timedelta()).total_seconds())
    yield histogram


def _histogram(start: str, end: str, bounds: tuple[int, ...]) -> dict:
    """Aggregates of ``end - start`` for one query: the count, the sum and a cumulative count per bound."""
    return {"count": Count("id"),
            "total": Sum(ExpressionWrapper(F(end) - F(start), output_field=DurationField())),
            **{f"le_{index}": Count("id", filter=Q(**{f"{end}__lte": F(start) + timedelta(seconds=bound)}))
               for index, bound in enumerate(bounds)}}


SECTIONS = {"queues": queues, "deliveries": deliveries, "endpoints": endpoints, "tick": tick,
            "publishing": publishing, "reports": reports}
