"""/metrics as Prometheus reads it: the text parsed with prometheus_client's own parser, values
against fixtures made here, and who may scrape (loopback, the bearer token, nobody else)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cadence.runs import record_run
from comms.models import Communication, Delivery, DeliveryState, EndpointHealth
from incidents.models import CustomerIncident, Incident, IncidentUpdate
from reports.models import RenderStatus, ReportRender
from statuspage.models import PublishFailure
from statuspage.snapshot_store import DEFAULT_VARIANT, PAGE, document_path

pytestmark = pytest.mark.django_db
LOCAL = {"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost"}
TOKEN = "s3cret-metrics-token-0123456789"


def scrape(client, **meta) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, keyed by (name, sorted labels)."""
    response = client.get("/metrics", **{**LOCAL, **meta})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(samples, name, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def communication(customer) -> Communication:
    return Communication.objects.create(customer=customer, kind="incident_opened", audience="management",
                                        language="en", subject="s", body_text="b", body_html="b", short_text="b",
                                        send_at=timezone.now())


def delivery(message, index, *, channel="email", state=DeliveryState.QUEUED, queued=None, sent=None) -> Delivery:
    return Delivery.objects.create(communication=message, channel=channel, address=f"person{index}@example.com",
                                   state=state, next_attempt_at=queued or timezone.now(), sent_at=sent)


def incident(customer, **facts) -> Incident:
    now = timezone.now()
    made = Incident.objects.create(title="Mail is down", category="email", severity="high", started_at=now,
                                   detected_at=now, **facts)
    CustomerIncident.objects.create(incident=made, customer=customer, number=f"MSM-{made.pk}")
    return made


class TestContent:
    def test_deliveries_by_state_and_channel(self, client, customer):
        message, now = communication(customer), timezone.now()
        for index in range(3):
            delivery(message, index, state=DeliveryState.FAILED)
        delivery(message, 3, state=DeliveryState.FAILED, queued=now - timedelta(hours=3))  # outside the hour
        for index in range(4, 6):
            delivery(message, index, channel="sms", state=DeliveryState.QUEUED, queued=now - timedelta(days=2))
        samples = scrape(client)
        assert value(samples, "kalm_deliveries", state="failed", channel="email") == 3
        assert value(samples, "kalm_deliveries", state="queued", channel="sms") == 2  # waiting: however old
        assert value(samples, "kalm_deliveries", state="sent", channel="webhook") == 0
        assert value(samples, "kalm_scrape_section_ok", section="deliveries") == 1

    def test_delivery_latency_histogram(self, client, customer):
        message, now = communication(customer), timezone.now()
        for index, seconds in enumerate([0.5, 3, 20, 120]):
            queued = now - timedelta(minutes=5)
            delivery(message, index, state=DeliveryState.SENT, queued=queued, sent=queued + timedelta(seconds=seconds))
        # Sent an hour ago: outside the 15-minute window.
        delivery(message, 9, state=DeliveryState.SENT, queued=now - timedelta(minutes=62),
                 sent=now - timedelta(minutes=61))
        samples = scrape(client)
        bucket = "kalm_delivery_latency_seconds_bucket"
        assert value(samples, bucket, channel="email", le="1.0") == 1
        assert value(samples, bucket, channel="email", le="5.0") == 2
        assert value(samples, bucket, channel="email", le="30.0") == 3
        assert value(samples, bucket, channel="email", le="300.0") == 4
        assert value(samples, bucket, channel="email", le="+Inf") == 4
        assert value(samples, "kalm_delivery_latency_seconds_count", channel="email") == 4
        assert value(samples, "kalm_delivery_latency_seconds_sum", channel="email") == pytest.approx(143.5)

    def test_quarantined_endpoints(self, client):
        now = timezone.now()
        EndpointHealth.objects.create(channel="webhook", address="https://a.example/hook", quarantined_at=now)
        EndpointHealth.objects.create(channel="webhook", address="https://b.example/hook", quarantined_at=now)
        EndpointHealth.objects.create(channel="teams", address="https://c.example/hook", consecutive_failures=2)
        samples = scrape(client)
        assert value(samples, "kalm_endpoints_quarantined", channel="webhook") == 2
        assert value(samples, "kalm_endpoints_quarantined", channel="teams") == 0

    def test_tick_lag_and_duration(self, client):
        samples = scrape(client)
        assert not [key for key in samples if key[0].startswith("kalm_tick_")]  # no run yet: absent
        started = timezone.now() - timedelta(seconds=70)
        record_run(started, started + timedelta(seconds=2.5), failed=1)
        samples = scrape(client)
        assert value(samples, "kalm_tick_duration_seconds") == pytest.approx(2.5)
        assert value(samples, "kalm_tick_failures") == 1
        assert 70 <= value(samples, "kalm_tick_lag_seconds") < 80
        assert value(samples, "kalm_tick_last_run_timestamp_seconds") == pytest.approx(started.timestamp())

    def test_report_renders_and_render_time(self, client, customer):
        made, now = incident(customer), timezone.now()
        for version, (status, seconds) in enumerate([("done", 3), ("done", 40), ("failed", None)], start=1):
            started = now - timedelta(minutes=10)
            ReportRender.objects.create(incident=made, customer=customer, version=version, status=status,
                                        started_at=started,
                                        finished_at=started + timedelta(seconds=seconds) if seconds else None)
        samples = scrape(client)
        assert value(samples, "kalm_report_renders", status="failed") == 1
        assert value(samples, "kalm_report_renders", status="done") == 2
        assert value(samples, "kalm_report_renders", status=RenderStatus.PENDING) == 0
        assert value(samples, "kalm_report_render_seconds_bucket", le="5.0") == 1
        assert value(samples, "kalm_report_render_seconds_bucket", le="60.0") == 2
        assert value(samples, "kalm_report_render_seconds_sum") == pytest.approx(43)

    def test_publish_latency_pending_pages_and_failures(self, client, customer, other_customer, settings, tmp_path):
        settings.KALM_STATUS_SNAPSHOTS, settings.KALM_SNAPSHOT_DIR = True, tmp_path / "snapshots"
        now = timezone.now()
        for who, posted in ((customer, now - timedelta(seconds=60)), (other_customer, now - timedelta(seconds=30))):
            IncidentUpdate.objects.create(incident=incident(who), message="We are looking into it.",
                                          status="investigating", severity="high", created_at=posted)
        # An internal note and a drill's update publish nothing: they must not count as waiting.
        IncidentUpdate.objects.create(incident=incident(other_customer), message="note", is_internal=True,
                                      status="investigating", severity="high", created_at=now)
        IncidentUpdate.objects.create(incident=incident(other_customer, is_drill=True), message="Drill",
                                      status="investigating", severity="high", created_at=now)
        page = Path(document_path(customer.slug, DEFAULT_VARIANT, PAGE))
        page.parent.mkdir(parents=True)
        page.write_bytes(b"<html></html>")
        published = (now - timedelta(seconds=56)).timestamp()  # 4 s after midsize's update
        os.utime(page, (published, published))
        PublishFailure.objects.create(customer=customer, document="en/history.rss", error="ValueError: x",
                                      first_failed_at=now, last_failed_at=now)
        samples = scrape(client)
        assert value(samples, "kalm_statuspage_publish_latency_seconds_count") == 1
        assert value(samples, "kalm_statuspage_publish_latency_seconds_sum") == pytest.approx(4, abs=0.01)
        assert value(samples, "kalm_statuspage_publish_pending_pages") == 1  # northwind: no file yet
        assert 30 <= value(samples, "kalm_statuspage_publish_lag_seconds") < 40
        assert value(samples, "kalm_statuspage_publish_failures") == 1

    def test_queue_depths_with_the_filesystem_broker(self, client, settings, tmp_path):
        settings.REDIS_URL = ""
        folder = tmp_path / "queue"
        folder.mkdir()
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                                                    "data_folder_in": str(folder)}
        for name in ("1_a.celery.msg", "2_b.celery.msg", "3_c.reports.msg", "4_d.other.msg"):
            (folder / name).write_text("{}")
        samples = scrape(client)
        assert value(samples, "kalm_queue_depth", queue="celery") == 2
        assert value(samples, "kalm_queue_depth", queue="reports") == 1
        assert ("kalm_queue_depth", (("queue", "other"),)) not in samples  # not one of Kalm's queues
        assert ("kalm_queue_unacked", ()) not in samples

    def test_queue_depths_in_redis(self, client, settings):
        url = "redis://127.0.0.1:6379/11"
        server = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            server.flushdb()
        except redis.ConnectionError:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        settings.REDIS_URL = url
        try:
            server.rpush("celery", "m1", "m2", "m3")
            server.rpush("celery\x06\x163", "m4")  # priority 3 lives in a sibling list
            server.rpush("reports", "m5")
            server.hset("unacked", mapping={"tag1": "x", "tag2": "y"})
            samples = scrape(client)
            assert value(samples, "kalm_queue_depth", queue="celery") == 4
            assert value(samples, "kalm_queue_depth", queue="reports") == 1
            assert value(samples, "kalm_queue_unacked") == 2
        finally:
            server.flushdb()

    def test_a_broker_that_is_down_leaves_the_other_sections(self, client, settings):
        settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
        samples = scrape(client)
        assert value(samples, "kalm_scrape_section_ok", section="queues") == 0
        assert value(samples, "kalm_scrape_section_ok", section="deliveries") == 1
        assert not [key for key in samples if key[0] == "kalm_queue_depth"]


class TestAccess:
    def test_a_request_from_elsewhere_needs_the_token(self, client, settings):
        settings.KALM_METRICS_TOKEN = TOKEN
        outside = {"REMOTE_ADDR": "203.0.113.9", "HTTP_HOST": "localhost"}
        assert client.get("/metrics", **outside).status_code == 403
        assert client.get("/metrics", **outside, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        assert client.get("/metrics", **outside, HTTP_AUTHORIZATION=TOKEN).status_code == 403  # no scheme
        response = client.get("/metrics", **outside, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert any(family.name == "kalm_deliveries" for family in text_string_to_metric_families(response.text))

    def test_without_a_token_only_loopback_is_served(self, client, settings):
        settings.KALM_METRICS_TOKEN = ""
        assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_HOST="localhost",
                          HTTP_AUTHORIZATION="Bearer ").status_code == 403
        assert client.get("/metrics", REMOTE_ADDR="::1", HTTP_HOST="localhost").status_code == 200
        assert client.get("/metrics", **LOCAL).status_code == 200

    def test_a_local_proxy_does_not_make_its_clients_local(self, client, settings):
        settings.KALM_TRUSTED_PROXY_COUNT = 0
        assert client.get("/metrics", **LOCAL, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
        settings.KALM_TRUSTED_PROXY_COUNT = 1  # the proxy's entry is the client: a forged one is to its left
        assert client.get("/metrics", **LOCAL, HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9").status_code == 403
        assert client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_HOST="localhost",
                          HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200

    def test_only_reading_methods(self, client):
        assert client.post("/metrics", **LOCAL).status_code == 405
        assert client.head("/metrics", **LOCAL).status_code == 200
