"""Two of everything on loopback: kill a web and a worker process mid-fan-out, lose nothing.

Two "hosts" a and b, each with its own folder (snapshots, media, var) under a temporary
directory: gunicorn (docker-compose's web command), a publish worker consuming only its host's
queue (``-Q publish.a``; ``KALM_PUBLISH_QUEUES=publish.a,publish.b``) and an nginx with
deploy/nginx.conf serving that host's snapshot folder and proxying to that gunicorn. A front
nginx balances the two host nginx (``proxy_next_upstream`` on error, time-out and 502–504).
Two delivery workers (``-Q celery,reports``, one per host's environment), one beat (RedBeat's
lock) and a second beat that must wait, PostgreSQL (database ``kalm_ha`` on DATABASE_URL's
server), Redis (database 8 on REDIS_URL's), and an aiosmtpd sink in this process taking 20 ms
per message. Report PDFs live in PostgreSQL (``KALM_FILE_STORE=database``).

Scenario: open an incident for a customer with N e-mail stakeholders; when 30 % are sent,
SIGKILL host a's gunicorn (arbiter and workers) and host a's delivery worker, then post an
update (another fan-out) and ask for the report PDF; poll the status page through the front
nginx every 50 ms all along. Then start host a's gunicorn again, fetch the PDF from both hosts,
and SIGKILL the first beat to time the second one's take-over. Prints figures, asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kalm REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/ha.py [--recipients 2000] [--concurrency 8]
"""

import argparse
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("KALM_BENCH_DATABASE", "kalm_ha")  # before bench is imported: its database and Redis db
os.environ.setdefault("KALM_BENCH_REDIS_DB", "8")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_environment  # noqa: E402
from bench.fanout import make_customer  # noqa: E402
from bench.statuspage import Gunicorn  # noqa: E402
from tests.comms.processes import CeleryWorker, wait_for  # noqa: E402
from tests.comms.servers import SmtpServer, free_port  # noqa: E402
from tests.statuspage.nginx import Nginx, render_site, write_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOSTS = ("a", "b")
SLUG = "bench"
SINK_DELAY = 0.02
LEASE_SECONDS = 30  # KALM_DELIVERY_LEASE_SECONDS here: how soon a dead worker's claimed deliveries go again

# A visitor stays on one host (docs/deploy.md): each host's publish worker writes its own folder, so
# for a moment after a change one host has it and the other not yet; round robin showed that as
# a page that lost an update it had just shown (3 answers in one run). Errors still go to the other.
FRONT = """upstream kalm_hosts {{
    hash $remote_addr consistent;
    server 127.0.0.1:{a} max_fails=1 fail_timeout=5s;
    server 127.0.0.1:{b} max_fails=1 fail_timeout=5s;
    keepalive 16;
}}
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://kalm_hosts;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 1s;
        proxy_next_upstream error timeout http_502 http_503 http_504;
        proxy_next_upstream_tries 2;
    }}
}}
"""


@dataclass
class Poll:
    """What the front answered, every 50 ms: the page's status and which markers it showed."""

    at: float
    page: int
    ready: int
    markers: frozenset[str]


@dataclass
class Poller:
    url: str
    ready_url: str
    markers: list[str]
    polls: list[Poll] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            status, body = fetch(self.url)
            ready, _ = fetch(self.ready_url)
            self.polls.append(Poll(started, status, ready, frozenset(m for m in self.markers if m in body)))
            self.stop.wait(max(0.0, 0.05 - (time.monotonic() - started)))


def fetch(url: str, timeout: float = 3) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def fetch_bytes(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def kill_tree(pid: int) -> None:
    """SIGKILL a process and its children (a gunicorn arbiter and its workers: the host's web is gone)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        children = []
    for child in [pid, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


class Beat:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            command = [sys.executable, "-m", "celery", "-A", "kalm", "beat", "--loglevel", "INFO"]  # the Procfile's
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def sent(self) -> int:
        return self.log.read_text(errors="replace").count("Sending due task")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=8, help="threads per delivery worker")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kalm-ha-"))
    work.chmod(0o755)  # nginx's workers (www-data) read the snapshot folders
    sink = SmtpServer(delay=SINK_DELAY)
    sink.start()
    stoppable: list = []
    front_port = free_port()
    common = {"EMAIL_HOST": sink.host, "EMAIL_PORT": str(sink.port), "KALM_FILE_STORE": "database",
              "KALM_PUBLISH_QUEUES": ",".join(f"publish.{host}" for host in HOSTS), "KALM_STATUS_SNAPSHOTS": "1",
              "KALM_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS), "KALM_TICK_SECONDS": "5",
              "STATIC_ROOT": str(work / "static"), "SITE_URL": f"http://127.0.0.1:{front_port}",
              "KALM_TRUSTED_PROXY_COUNT": "2", "KALM_VAR_DIR": str(work / "bench-var"),
              "KALM_SNAPSHOT_DIR": str(work / "bench-var" / "snapshots")}
    try:
        with bench_environment(**common) as env:
            run(work, env, options, stoppable, sink, front_port)
    finally:
        for service in reversed(stoppable):
            try:
                service.stop()
            except Exception as error:  # keep cleaning up
                print(f"cleanup: {type(service).__name__}: {error}", file=sys.stderr)
        sink.stop()
        shutil.rmtree(work, ignore_errors=True)


def host_env(env: dict[str, str], work: Path, host: str) -> dict[str, str]:
    return {**os.environ, **env, "KALM_VAR_DIR": str(work / host / "var"),
            "KALM_SNAPSHOT_DIR": str(work / host / "snapshots")}


def run(work: Path, env: dict[str, str], options: argparse.Namespace, stoppable: list, sink: SmtpServer,
        front_port: int) -> None:
    from django.db import connections

    customer, author, _addresses = make_customer(options.recipients)
    connections.close_all()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env={**os.environ, **env},
                   check=True)
    envs = {host: host_env(env, work, host) for host in HOSTS}
    webs, nginx_ports = {}, {}
    print(f"starting hosts a and b under {work} (gunicorn, publish worker, nginx each), 2 delivery workers, "
          "2 beats, the front nginx …", flush=True)
    for host in HOSTS:
        (work / host).mkdir()
        subprocess.run([*manage, "publish_status_pages"], cwd=ROOT, env=envs[host], check=True,
                       stdout=subprocess.DEVNULL)  # what a host runs when it starts: catch up every page
        webs[host] = Gunicorn(envs[host], work / host / "gunicorn.log")
        stoppable.append(webs[host].start())
        for name, queue, threads in (("publish", f"publish.{host}", 2), ("delivery", "celery,reports",
                                                                          options.concurrency)):
            worker = CeleryWorker(envs[host], work / host / f"{name}.log", pool="threads", concurrency=threads,
                                  queue=queue)
            stoppable.append(worker.start(timeout=90))
            if name == "delivery":
                webs[f"worker-{host}"] = worker
        nginx_ports[host] = free_port()
        (work / host / "nginx").mkdir()
        site = render_site(snapshots=work / host / "snapshots", static=work / "static",
                           cache=work / host / "nginx-cache", upstream=f"127.0.0.1:{webs[host].port}",
                           port=nginx_ports[host])
        stoppable.append(Nginx(write_config(work / host / "nginx", site), nginx_ports[host]).start())
    (work / "front").mkdir()
    front = FRONT.format(a=nginx_ports["a"], b=nginx_ports["b"], port=front_port)
    stoppable.append(Nginx(write_config(work / "front", front), front_port).start())
    beats = [Beat(envs["a"], work / "beat-1.log")]
    stoppable.append(beats[0])
    wait_for(lambda: "Acquired lock" in beats[0].log.read_text(), timeout=60, what="beat 1's lock")
    beats.append(Beat(envs["b"], work / "beat-2.log"))
    stoppable.append(beats[1])
    wait_for(lambda: "beat: Starting" in beats[1].log.read_text(), timeout=60, what="beat 2 started")
    scenario(work, options, customer, author, webs, nginx_ports, front_port, beats, sink, envs)


def scenario(work, options, customer, author, webs, nginx_ports, front_port, beats, sink, envs) -> None:
    from comms.models import Communication, Delivery
    from flows import incidents as incident_flow
    from reports import services as report_services
    from reports.links import report_token
    from reports.models import RenderStatus, ReportRender

    base = f"http://127.0.0.1:{front_port}"
    tag = hashlib.sha256(str(time.time()).encode()).hexdigest()[:8]
    opened, updated = f"ha-open-{tag}", f"ha-update-{tag}"
    poller = Poller(f"{base}/status/{SLUG}/?lang=en", f"{base}/readyz", [opened, updated])
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    time.sleep(1)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    incident = incident_flow.open_incident(customer=customer, title=f"File server outage {opened}", category="server",
                                           severity="critical", author=author,
                                           message="We are investigating an outage of the file server.")
    changed = {opened: time.monotonic()}
    print(f"incident opened; waiting for 30 % of {options.recipients} deliveries …", flush=True)
    wait_for(lambda: Delivery.objects.filter(state="sent").count() >= options.recipients * 0.3, timeout=300,
             interval=0.05, what="30 % sent")
    sent_at_kill = Delivery.objects.filter(state="sent").count()
    kill_tree(webs["a"].process.pid)
    webs["worker-a"].kill()
    killed = time.monotonic()
    print(f"SIGKILL host a's gunicorn (arbiter + workers) and host a's delivery worker at {killed - started:.1f} s, "
          f"{sent_at_kill} sent", flush=True)
    incident_flow.post_update(incident=incident, author=author, status="identified",
                              message=f"We found the cause: a failed disk ({updated}).")
    changed[updated] = time.monotonic()
    render = report_services.render_request(incident=incident, customer=customer)

    def settled() -> bool:
        return (not Communication.objects.exclude(state__in=["done", "cancelled"]).exists()
                and not Delivery.objects.filter(state__in=["queued", "sending", "deferred"]).exists()
                and ReportRender.objects.get(pk=render.pk).status in (RenderStatus.DONE, RenderStatus.FAILED))

    wait_for(settled, timeout=900, interval=0.5, what="every delivery final and the report rendered")
    finished = time.monotonic()
    time.sleep(2)  # let the poller see the last publish
    webs["a"].process = None
    webs["a"].start()  # the host comes back: same port, its own (empty) media folder
    back = time.monotonic()
    time.sleep(1)
    poller.stop.set()
    thread.join(5)
    render.refresh_from_db()
    link = f"/reports/{report_token(incident.pk, customer.pk)}/"
    pdfs = {name: fetch_bytes(f"http://127.0.0.1:{port}{link}") for name, port in
            (("host a", nginx_ports["a"]), ("host b", nginx_ports["b"]), ("front", front_port))}
    beat_sent = [beat.sent() for beat in beats]
    beats[0].stop()
    beat_killed = time.monotonic()
    takeover = None
    try:
        wait_for(lambda: beats[1].sent() > 0, timeout=120, interval=0.2, what="beat 2 taking over")
        takeover = time.monotonic() - beat_killed
    except TimeoutError:
        pass
    report(options, poller, changed, started, killed, finished, back, sent_at_kill, sink, render, pdfs, beat_sent,
           takeover, work, load_before, incident)


def report(options, poller, changed, started, killed, finished, back, sent_at_kill, sink, render, pdfs, beat_sent,
           takeover, work, load_before, incident) -> None:
    from comms.models import Delivery

    emails = Delivery.objects.filter(communication__incident=incident, channel="email")
    expected = {delivery.message_id for delivery in emails}
    states = {state: emails.filter(state=state).count() for state in ("sent", "failed", "superseded", "deferred",
                                                                      "queued", "sending")}
    received = [str(mail.message["Message-ID"]) for mail in sink.messages]
    unique = set(received)
    print(f"\nfan-out: {options.recipients} e-mail stakeholders, opened + one update (status change); sink "
          f"{SINK_DELAY * 1000:.0f} ms/message; delivery lease {LEASE_SECONDS} s; load average {load_before:.1f} "
          f"at start, {os.getloadavg()[0]:.1f} at the end")
    print(f"  killed (SIGKILL) host a's gunicorn and host a's delivery worker at {killed - started:.1f} s "
          f"({sent_at_kill} sent); all settled at {finished - started:.1f} s")
    print(f"  deliveries: {emails.count()} ({', '.join(f'{k} {v}' for k, v in states.items() if v)})")
    print(f"  sink: {len(received)} received, {len(unique)} unique Message-IDs, "
          f"duplicates {len(received) - len(unique)}, lost {len(expected - unique)}, "
          f"unexpected {len(unique - expected)} (a duplicate is a message the sink had accepted when its sender was "
          f"killed, before the worker recorded it: at most one per thread, {options.concurrency}; same Message-ID)")
    polls = [poll for poll in poller.polls if poll.at >= started]
    bad_page = Counter(poll.page for poll in polls if poll.page != 200)
    bad_ready = Counter(poll.ready for poll in polls if poll.ready != 200)
    print(f"  front nginx, {len(polls)} polls every 50 ms: status page non-200 {bad_page.total()} {dict(bad_page)}; "
          f"/readyz (Django on either host) non-200 {bad_ready.total()} {dict(bad_ready)} (0 = no answer in 3 s)")
    for marker, at in changed.items():
        seen = [poll.at for poll in polls if marker in poll.markers]
        after = [poll for poll in polls if seen and poll.at > seen[0]]
        stale = [poll for poll in after if marker not in poll.markers]
        visible = f"{seen[0] - at:.2f} s" if seen else "NEVER"
        window = f", the last {stale[-1].at - seen[0]:.2f} s after it was first shown" if stale else ""
        print(f"  {'opening' if 'open' in marker else 'update'} visible through the front after {visible}; "
              f"answers without it afterwards (a stale host): {len(stale)}{window}")
    for host in ("a", "b"):
        page = work / host / "snapshots" / SLUG / "en" / "index.html"
        text = page.read_text() if page.exists() else ""
        print(f"  host {host}'s snapshot folder shows the opening: {list(changed)[0] in text}, the update: "
              f"{list(changed)[1] in text}")
    print(f"  report PDF v{render.version} ({render.status}, {render.size} bytes, rendered while host a was down; "
          f"host a back after {back - started:.1f} s with an empty media folder):")
    for name, (status, body) in pdfs.items():
        same = hashlib.sha256(body).hexdigest() == render.content_hash
        print(f"    via {name}: {status}, {len(body)} bytes, same SHA-256 as stored: {same}")
    print(f"  beat: beat 1 sent {beat_sent[0]} due tasks, beat 2 (started second, waiting on the lock) "
          f"{beat_sent[1]}; after SIGKILL of beat 1, beat 2 sent its first after "
          + (f"{takeover:.1f} s" if takeover is not None else "NOT within 120 s"))


if __name__ == "__main__":
    main()
