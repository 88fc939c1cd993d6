"""Monitoring intake: from a firing alert to the acknowledgment in the inbox, and a storm of alerts.

Kalm as in production, on this machine: gunicorn with docker-compose's web command (``--workers 2
--threads 4``, production settings; ``bench.statuspage.Gunicorn``), one Celery worker as the
Procfile runs it (``--pool threads --concurrency 16 -Q celery,reports``), PostgreSQL (a
``kalm_bench_intake`` database of its own) and Redis (database 10, flushed before and after), status
page snapshots rendered into a temporary folder, and an aiosmtpd sink in this process that takes
20 ms per message and notes when it accepted each one (``time.time()``). The customer is MidSize
from tests/scenarios/people.py (8 e-mail contacts in Dutch and English, SMS numbers and an ITSM
webhook, both to an HTTP sink here); its Alertmanager address comes from
``manage.py intake_url alertmanager --customer midsize``.

1. Detection → inbox: Debian's Alertmanager (``group_wait`` 1 s) posts to that address; ``--alerts``
   alerts are fired one after another with ``amtool alert add``, each its own alertname (its own
   group, its own incident), the next once the previous acknowledgment is all delivered. Seconds
   from just before ``amtool`` to the first acknowledgment e-mail of the incident at the sink.
2. Webhook → inbox: for the same alerts, from ``IntakeRequest.received_at`` of the request that
   opened the incident (Kalm's clock when the request reached the view) to that e-mail.
3. Storm: ``--storm`` Alertmanager-shaped POSTs (one alert each, ``GROUPS`` groupKeys) paced over
   ``--seconds`` from ``--clients`` threads with keep-alive connections; then each alert resolved
   the same way.

Prints figures; asserts nothing about time. Ctrl-C or kill still cleans up.

    .venv/bin/python bench/intake.py [--alerts 20] [--storm 1000] [--seconds 10] [--clients 8]

DATABASE_URL and REDIS_URL default to postgres://postgres@127.0.0.1:5432/kalm and
redis://127.0.0.1:6379/0 (only their servers are used: the database and Redis number are the
benchmark's own).
"""

import argparse
import itertools
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository is importable

import httpx

import bench
from bench import ROOT, bench_environment, machine_busy_seconds, percentiles, processes_cpu_seconds
from bench.statuspage import Gunicorn
from tests.comms.processes import CeleryWorker, cpu_seconds, wait_for
from tests.comms.servers import LOOPBACK, HttpSink, ReceivedMail, SmtpServer, _RecordingHandler, free_port
from tests.intake.alertmanager_process import Alertmanager, available

# A database and broker number of this benchmark's own: the other benchmarks drop and flush
# theirs, and may run at the same time.
bench.BENCH_DATABASE, bench.BROKER_DB = "kalm_bench_intake", 10
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kalm")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

SINK_DELAY = 0.02  # seconds the sink takes per message, like a real relay
SLUG = "midsize"
GROUPS = 10  # groupKeys of the storm: one incident each
GOAL_DETECTION_P95, GOAL_WEBHOOK_P95, GOAL_STORM_P95_MS = 10.0, 2.0, 100.0
ACK_TIMEOUT = 60  # seconds to wait for one acknowledgment before counting it as missing


# --- the SMTP sink, with the moment of each message -----------------------------------------


class _TimedHandler(_RecordingHandler):
    def __init__(self) -> None:
        super().__init__()
        self.accepted_at: list[float] = []  # time.time() per message, in the order of ``messages``

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        with self.lock:
            self.accepted_at.append(time.time())
        return reply


class TimedSmtpServer(SmtpServer):
    """``tests.comms.servers.SmtpServer`` that also notes when it accepted each message (wall clock,
    after its delay: the moment the relay says 250)."""

    def __init__(self, *, delay: float) -> None:
        super().__init__(delay=delay)
        self._handler = _TimedHandler()
        self._handler.delay = delay
        self._subjects: dict[int, str] = {}

    def arrivals(self) -> list[tuple[float, ReceivedMail]]:
        with self._handler.lock:
            return list(zip(self._handler.accepted_at, self._handler.messages, strict=False))

    def with_subject(self, text: str) -> list[float]:
        """Acceptance times of the messages whose Subject contains ``text``, in arrival order."""
        found = []
        for index, (accepted, mail) in enumerate(self.arrivals()):
            if index not in self._subjects:
                self._subjects[index] = str(mail.message["Subject"])
            if text in self._subjects[index]:
                found.append(accepted)
        return found


# --- set-up ------------------------------------------------------------------------------------


def main() -> None:
    options = parse_args()
    if not available():
        sys.exit("Needs Debian's prometheus-alertmanager and amtool (apt-get install prometheus-alertmanager).")
    sink, http_sink = TimedSmtpServer(delay=SINK_DELAY), HttpSink()
    web_port = free_port()
    with tempfile.TemporaryDirectory(prefix="kalm-bench-intake-") as folder, ExitStack() as stack:
        work = Path(folder)
        for server in (sink, http_sink):
            server.start()
            stack.callback(server.stop)
        env = stack.enter_context(bench_environment(
            DJANGO_SETTINGS_MODULE="kalm.settings_production", SECRET_KEY=secrets.token_urlsafe(48),
            SECURE_SSL_REDIRECT="0", ALLOWED_HOSTS=f"{LOOPBACK},localhost", SITE_URL=f"http://{LOOPBACK}:{web_port}",
            EMAIL_HOST=sink.host, EMAIL_PORT=str(sink.port),
            # the ITSM webhook and the SMS API listen on loopback, an internal host
            KALM_OUTBOUND_ALLOW=LOOPBACK, KALM_SMS_PROVIDER="http", SMS_API_URL=http_sink.url("/sms"),
            SMS_API_TOKEN="bench", KALM_STATUS_SNAPSHOTS="1", KALM_VAR_DIR=str(work / "var"),
            KALM_SNAPSHOT_DIR=str(work / "snapshots"), STATIC_ROOT=str(work / "static"),
        ))
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT,
                       env={**os.environ, **env}, check=True)  # snapshots and e-mails name hashed static files
        seed(http_sink)
        url = subprocess.run([sys.executable, "manage.py", "intake_url", "alertmanager", "--customer", SLUG],
                             cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True,
                             text=True).stdout.strip()
        kalm = stack.enter_context(running_kalm(env, work, web_port, options))
        print(f"gunicorn (2 workers × 4 threads) on port {web_port}, celery worker --pool threads --concurrency "
              f"{options.concurrency}; webhook {url.split('/intake/')[0]}/intake/<secret>/", flush=True)

        if options.alerts:
            detection = detect(sink, url, work, options.alerts)
            report_detection(detection)
        if options.storm:
            report_storm("storm, firing", storm(sink, url, kalm, options, firing=True), options, firing=True)
            report_storm("storm, resolved", storm(sink, url, kalm, options, firing=False), options, firing=False)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=20, help="alerts fired through Alertmanager (0: skip)")
    parser.add_argument("--storm", type=int, default=1_000, help="alerts posted in the storm (0: skip)")
    parser.add_argument("--seconds", type=float, default=10, help="over how many seconds the storm is paced")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients in the storm")
    parser.add_argument("--concurrency", type=int, default=16, help="worker threads (the Procfile's 16)")
    return parser.parse_args()


def seed(http_sink: HttpSink) -> None:
    """MidSize and its people (tests/scenarios/people.py), with an account manager."""
    from tests.factories import UserFactory
    from tests.scenarios import people

    account_manager = UserFactory(username="bench", email="bench@msp.example")
    people.cast(account_manager, http_sink.url("/hook"))


@dataclass
class Kalm:
    web: Gunicorn
    worker: CeleryWorker


@contextmanager
def running_kalm(env: dict[str, str], work: Path, port: int, options: argparse.Namespace) -> Iterator[Kalm]:
    web = Gunicorn({**os.environ, **env}, work / "gunicorn.log")
    web.port = port  # SITE_URL names it: the webhook address and the links in the e-mails
    worker = CeleryWorker(env, work / "worker.log", pool="threads", concurrency=options.concurrency,
                          queue="celery,reports,publish")
    try:
        web.start()
        worker.start(timeout=60)
        yield Kalm(web, worker)
    finally:
        worker.stop()
        web.stop()


# --- 1 and 2: Alertmanager → Kalm → inbox ------------------------------------------------------------


@dataclass
class Detection:
    fired: float  # time.time() just before `amtool alert add`
    received: float | None = None  # IntakeRequest.received_at of the request that opened the incident
    written: float | None = None  # the incident's first Communication row (in that request's transaction)
    expanded: float | None = None  # its first Delivery row (the worker's expansion)
    first_mail: float | None = None  # the sink accepted the first acknowledgment e-mail
    last_mail: float | None = None  # … the last e-mail of the acknowledgment
    mails: int = 0


def detect(sink: TimedSmtpServer, url: str, work: Path, count: int) -> list[Detection]:
    folder = work / "alertmanager"
    folder.mkdir()
    alertmanager = Alertmanager(folder, url, group_wait="1s").start()
    load = os.getloadavg()[0]
    print(f"\n1/2. {count} alerts through Alertmanager (group_wait 1 s), one after another; load average "
          f"{load:.1f} …", flush=True)
    try:
        results = [detect_one(alertmanager, sink, f"KalmBench{n:02d}", n) for n in range(count)]
    finally:
        alertmanager.stop()
    print(f"  load average {load:.1f} at the first alert, {os.getloadavg()[0]:.1f} after the last")
    return results


def detect_one(alertmanager: Alertmanager, sink: TimedSmtpServer, name: str, n: int) -> Detection:
    """Fire ``name``, wait until its acknowledgment is all delivered, and read the moments."""
    from comms.models import Communication, Delivery
    from incidents.models import CustomerIncident
    from intake.models import Alert, IntakeRequest

    def opened() -> int | None:
        return (Alert.objects.filter(labels__alertname=name, incident__isnull=False)
                .values_list("incident_id", flat=True).first())

    result = Detection(fired=time.time())
    alertmanager.fire(name, severity="critical", instance=f"bench{n:02d}:9100",
                      annotations={"summary": f"Bench service {n:02d} unreachable"})
    try:
        wait_for(lambda: opened() is not None, timeout=ACK_TIMEOUT, interval=0.05, what=f"{name}'s incident")
        incident = opened()
        number = CustomerIncident.objects.filter(incident_id=incident).values_list("number", flat=True)[0]
        wait_for(lambda: sink.with_subject(number), timeout=ACK_TIMEOUT, interval=0.05,
                 what=f"{number}'s acknowledgment e-mail")
        communications = Communication.objects.filter(incident_id=incident)
        wait_for(lambda: communications.exists() and not communications.exclude(state="done").exists(),
                 timeout=ACK_TIMEOUT, interval=0.1, what=f"{number}'s acknowledgment delivered")
    except TimeoutError as error:
        print(f"  {error}: counted as missing", flush=True)
        return result
    arrivals = sink.with_subject(number)
    result.first_mail, result.last_mail, result.mails = arrivals[0], arrivals[-1], len(arrivals)
    request = (IntakeRequest.objects.filter(status_code=202, outcome__contains="opened",
                                            body__contains=f'"alertname":"{name}"')
               .order_by("received_at").first())
    result.received = request.received_at.timestamp() if request else None
    result.written = communications.order_by("created_at").values_list("created_at", flat=True)[0].timestamp()
    deliveries = Delivery.objects.filter(communication__incident_id=incident)
    result.expanded = deliveries.order_by("created_at").values_list("created_at", flat=True)[0].timestamp()
    sent = deliveries.filter(channel="email", state="sent").count()
    if sent != len(arrivals):
        print(f"  {number}: {sent} e-mails sent, {len(arrivals)} at the sink", flush=True)
    webhook = "no opening request found"
    if result.received:
        webhook = (f"{result.first_mail - result.received:.2f} s: written {result.written - result.received:.2f}, "
                   f"expanded +{result.expanded - result.written:.2f}, sent +{result.first_mail - result.expanded:.2f}")
    print(f"  {name} → {number}: first e-mail after {result.first_mail - result.fired:.2f} s "
          f"(webhook → inbox {webhook})", flush=True)
    return result


def report_detection(results: list[Detection]) -> None:
    done = [r for r in results if r.first_mail is not None and r.received is not None]
    missing = len(results) - len(done)
    if not done:
        print("detection → inbox: no acknowledgment arrived")
        return

    def line(samples: list[float], goal: float | None = None) -> str:
        figures = percentiles(samples)
        text = f"p50 {figures['p50']:.2f} s, p95 {figures['p95']:.2f} s, max {figures['max']:.2f} s"
        if goal is not None:
            verdict = "met" if figures["p95"] <= goal and not missing else "MISSED"
            text += f" (goal p95 ≤ {goal:.0f} s: {verdict})"
        return text

    print(f"detection → inbox ({len(done)} alerts, {missing} without an acknowledgment within {ACK_TIMEOUT} s):")
    first = line([r.first_mail - r.fired for r in done], GOAL_DETECTION_P95)
    print(f"  amtool alert add → first acknowledgment e-mail: {first}")
    print(f"  amtool alert add → last e-mail of the acknowledgment ({percentiles([r.mails for r in done])['p50']:.0f}"
          f" e-mails each): {line([r.last_mail - r.fired for r in done])}")
    print(f"  of which Alertmanager (amtool → webhook received, group_wait 1 s included): "
          f"{line([r.received - r.fired for r in done])}")
    print("webhook → inbox (IntakeRequest.received_at of the opening request → first acknowledgment e-mail):")
    print(f"  {line([r.first_mail - r.received for r in done], GOAL_WEBHOOK_P95)}")
    print(f"  stages (p50): received → Communications written {stage(done, 'received', 'written')}, "
          f"→ first Delivery row (worker) {stage(done, 'written', 'expanded')}, "
          f"→ first e-mail accepted by the sink {stage(done, 'expanded', 'first_mail')}", flush=True)


def stage(results: list[Detection], start: str, end: str) -> str:
    return f"{percentiles([getattr(r, end) - getattr(r, start) for r in results])['p50'] * 1000:.0f} ms"


# --- 3: the storm ---------------------------------------------------------------------------------------


@dataclass
class Storm:
    latencies: list[float] = field(default_factory=list)  # ms per POST, as the client saw it
    statuses: Counter = field(default_factory=Counter)
    lag: float = 0.0  # seconds the latest POST started after its planned moment
    wall: float = 0.0  # first POST sent → last answer
    load: tuple[float, float] = (0.0, 0.0)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the storm
    measured: float = 0.0  # seconds over which ``cpu`` was measured
    settled: float = 0.0  # first POST → no message left to send
    counts: dict[str, int] = field(default_factory=dict)


def storm_payload(n: int, *, firing: bool) -> bytes:
    """Alert ``n`` of the storm as Alertmanager posts it (tests/intake/helpers.py), its group one of GROUPS."""
    from tests.intake.helpers import am_alert, am_payload

    name = f"Storm{n % GROUPS:02d}"
    alert = am_alert(name, status="firing" if firing else "resolved", severity="high", instance=f"host{n:04d}:9100",
                     summary=f"Storm group {n % GROUPS:02d}: host{n:04d} down", fingerprint=f"{0x5702 << 48 | n:016x}")
    return json.dumps(am_payload(alert, group=f'{{}}:{{alertname="{name}"}}')).encode()


def storm(sink: TimedSmtpServer, url: str, kalm: Kalm, options: argparse.Namespace, *, firing: bool) -> Storm:
    from comms.models import Communication, Delivery
    from incidents.models import Incident
    from intake.models import Alert, IntakeRequest

    payloads = [storm_payload(n, firing=firing) for n in range(options.storm)]
    before = {"incidents": Incident.objects.count(), "communications": Communication.objects.count(),
              "deliveries": Delivery.objects.count(), "mails": len(sink.arrivals())}
    result = Storm()
    print(f"\n3. storm: {options.storm} {'firing' if firing else 'resolved'} alerts in {options.seconds:g} s "
          f"({GROUPS} groups) from {options.clients} clients; load average {os.getloadavg()[0]:.1f} …", flush=True)
    cpu_before, measured_from = cpu_now(kalm), time.perf_counter()
    load_before = os.getloadavg()[0]
    started = post_paced(url, payloads, options, result)
    result.measured = time.perf_counter() - measured_from
    result.load = (load_before, os.getloadavg()[0])
    result.cpu = {name: after - was for (name, was), after in zip(cpu_before.items(), cpu_now(kalm).values(),
                                                                     strict=True)}

    def settled() -> bool:  # every accepted request processed, then every message sent
        return (not IntakeRequest.objects.filter(state="pending").exists()
                and not Communication.objects.filter(state="queued").exists()
                and not Delivery.objects.filter(state__in=["queued", "sending"]).exists())

    try:
        wait_for(settled, timeout=300, interval=0.25, what="every message of the storm sent")
    except TimeoutError as error:
        print(f"  {error}", flush=True)
    result.settled = time.perf_counter() - started
    storm_alerts = Alert.objects.filter(labels__alertname__startswith="Storm")
    storm_incidents = Incident.objects.filter(alerts__labels__alertname__startswith="Storm").distinct()
    result.counts = {
        "incidents": Incident.objects.count() - before["incidents"],
        "communications": Communication.objects.count() - before["communications"],
        "deliveries": Delivery.objects.count() - before["deliveries"],
        "mails": len(sink.arrivals()) - before["mails"],
        "alerts": storm_alerts.count(),
        "alerts firing": storm_alerts.filter(firing=True).count(),
        "storm incidents": storm_incidents.count(),
        "monitoring": storm_incidents.filter(status="monitoring").count(),
    }
    return result


def post_paced(url: str, payloads: list[bytes], options: argparse.Namespace, result: Storm) -> float:
    """POST every payload at its planned moment (evenly over ``--seconds``) from ``--clients`` threads;
    the next free client takes the next payload. Returns the perf_counter of the first planned moment."""
    rate = len(payloads) / options.seconds
    start = time.perf_counter() + 0.5
    ends: list[float] = []
    lock = threading.Lock()
    counter = itertools.count()

    def client() -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "Alertmanager/0.25.0"}
        with httpx.Client(timeout=30, headers=headers) as http:
            while (n := next(counter)) < len(payloads):
                planned = start + n / rate
                if (wait := planned - time.perf_counter()) > 0:
                    time.sleep(wait)
                sent = time.perf_counter()
                try:
                    status: int | str = http.post(url, content=payloads[n]).status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                answered = time.perf_counter()
                with lock:
                    result.latencies.append((answered - sent) * 1000)
                    result.statuses[status] += 1
                    result.lag = max(result.lag, sent - planned)
                    ends.append(answered)

    with ThreadPoolExecutor(options.clients) as pool:
        for future in [pool.submit(client) for _ in range(options.clients)]:
            future.result()
    result.wall = max(ends) - start
    return start


def cpu_now(kalm: Kalm) -> dict[str, float]:
    """CPU seconds so far: gunicorn (arbiter and workers), the worker, PostgreSQL (the whole server), this
    process (the HTTP clients and the sinks), and the whole machine (other load included)."""
    return {"gunicorn": cpu_seconds(kalm.web.process.pid), "worker": kalm.worker.cpu_seconds(),
            "PostgreSQL": processes_cpu_seconds("postgres"), "clients + sink": time.process_time(),
            "machine": machine_busy_seconds()}


def report_storm(title: str, result: Storm, options: argparse.Namespace, *, firing: bool) -> None:
    figures = percentiles(result.latencies)
    count = len(result.latencies)
    verdict = "met" if figures["p95"] < GOAL_STORM_P95_MS else "MISSED"
    counts = result.counts
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items(), key=str))
    print(f"{title}: {count} POSTs, all answered after {result.wall:.1f} s ({count / result.wall:.0f}/s; planned "
          f"{options.seconds:g} s, the latest started {result.lag:.2f} s behind plan); load average "
          f"{result.load[0]:.1f} → {result.load[1]:.1f}")
    print(f"  webhook latency p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, max {figures['max']:.0f} ms "
          f"(goal p95 < {GOAL_STORM_P95_MS:.0f} ms: {verdict}); status codes {statuses}")
    cpu = dict(result.cpu)
    machine = cpu.pop("machine")
    print("  CPU per POST: " + ", ".join(f"{name} {seconds / count * 1000:.1f} ms" for name, seconds in cpu.items())
          + f"; the whole machine was busy {machine / result.measured / os.cpu_count():.0%} of {os.cpu_count()} cores "
          f"meanwhile ({machine / count * 1000:.1f} ms per POST, other load included)")
    expected = min(GROUPS, options.storm) if firing else 0
    print(f"  incidents created {counts['incidents']} (expected {expected}: one per group), in monitoring "
          f"{counts['monitoring']} of {counts['storm incidents']}; Communications created {counts['communications']}, "
          f"Deliveries created {counts['deliveries']}, e-mails at the sink {counts['mails']}; all sent "
          f"{result.settled:.1f} s after the first POST")
    lost = options.storm - counts["alerts"]
    print(f"  alerts stored {counts['alerts']} ({lost} lost), of which firing {counts['alerts firing']}", flush=True)


if __name__ == "__main__":
    main()
