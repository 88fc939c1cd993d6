"""Status-page publishing at 50, 200 and 1,000 customers (issue 14): full re-publish CPU, the idle
periodic job's CPU per hour, and change → visible through nginx while 1,000 pages exist.

Everything runs on private ports and in a temporary directory, as bench/statuspage.py: its own
PostgreSQL cluster, its own redis-server, a Celery worker consuming the publish queue (as the
Procfile's), nginx with deploy/nginx.conf. Each customer has 8 components, 7 stakeholders and 3
incidents resolved over the last 90 days; 2 % of them also have an incident still open. Prints
figures; asserts nothing about time. Ctrl-C or kill still cleans up.

    .venv/bin/python bench/scale_publish.py [--sizes 50,200,1000] [--changes 20]
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu_calibration, percentiles, processes_cpu_seconds  # noqa: E402
from bench.statuspage import Postgres, ensure_tools, stack_env  # noqa: E402
from tests.comms.processes import CeleryWorker, RedisServer  # noqa: E402
from tests.comms.servers import free_port  # noqa: E402
from tests.statuspage.nginx import Nginx, render_site, write_config  # noqa: E402

REFRESH_SECONDS = 180  # KALM_SNAPSHOT_REFRESH_SECONDS: how often beat runs the periodic job
TARGET_FULL_CPU_S = 60  # 1,000 customers
TARGET_IDLE_SHARE = 0.01  # of one core
TARGET_VISIBLE_P95_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,200,1000", help="customer counts, ascending")
    parser.add_argument("--changes", type=int, default=20, help="updates timed from change to visible")
    args = parser.parse_args()
    ensure_tools()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    work = Path(tempfile.mkdtemp(prefix="kalm-bench-scale-publish-"))
    work.chmod(0o755)
    stoppable: list = []
    try:
        run(work, stoppable, [int(size) for size in args.sizes.split(",")], args.changes)
    finally:
        for service in reversed(stoppable):
            try:
                service.stop()
            except Exception as error:  # keep cleaning up
                print(f"cleanup: {type(service).__name__}: {error}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, stoppable: list, sizes: list[int], changes: int) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f}; machine speed: 10 M additions in "
          f"{cpu_calibration():.2f} s of CPU; starting a private PostgreSQL and Redis …", flush=True)
    postgres = Postgres(work / "pg")
    stoppable.append(postgres.start())
    redis_server = RedisServer()
    stoppable.append(redis_server.start())
    nginx_port = free_port()
    env = stack_env(work, postgres, redis_server, nginx_port)
    os.environ.update(env)
    for command in (["migrate"], ["collectstatic", "--noinput"]):
        subprocess.run([sys.executable, "manage.py", *command, "--verbosity", "0"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from bench.population import add_customers

    author = get_user_model().objects.create_user("bench", password=secrets.token_urlsafe(12), is_staff=True)
    existing = 0
    for size in sizes:
        started = time.monotonic()
        add_customers(existing, size - existing, author=author, open_incidents=0)
        with_open = max(1, (size - existing) // 50)  # 2 %: an incident still open
        _open_some(existing, with_open, author)
        existing = size
        print(f"\n{size} customers ({size * 8} components, {size * 7} stakeholders; built in "
              f"{time.monotonic() - started:.0f} s)", flush=True)
        full_publish(size)
        idle_periodic(size)
    change_to_visible(work, stoppable, env, nginx_port, changes)


def _open_some(first: int, count: int, author) -> None:
    from django.utils import timezone

    from bench.population import _open_incident
    from incidents.models import Customer

    for customer in Customer.objects.filter(slug__in=[f"customer-{first + n * 50}" for n in range(count)]):
        _open_incident(customer, author, customer.components.first(), timezone.now(), severity="high")


def _cpu() -> tuple[float, float]:
    return time.process_time(), processes_cpu_seconds("postgres")


def full_publish(size: int) -> None:
    """Every page rendered and written (as after a deploy: ``publish_many``, the batches of
    ``tasks.publish_all_status_pages`` and of ``manage.py publish_status_pages``), then again with
    nothing changed."""
    from incidents.models import Customer
    from statuspage import snapshots

    customers = list(Customer.objects.filter(status_page_public=True).order_by("pk"))
    for label in ("full re-publish (every document rendered)", "re-publish, nothing changed"):
        python0, pg0 = _cpu()
        wall0 = time.monotonic()
        changed = [name for names in snapshots.publish_many(customers).values() for name in names]
        written = sum(1 for name in changed if not name.startswith("default/"))  # the default variant: a link
        python, pg = time.process_time() - python0, processes_cpu_seconds("postgres") - pg0
        total = python + pg
        verdict = ""
        if size >= 1000 and label.startswith("full"):
            verdict = f" (target ≤ {TARGET_FULL_CPU_S} s: {'met' if total <= TARGET_FULL_CPU_S else 'MISSED'})"
        print(f"  {label}: {total:.1f} s CPU ({python:.1f} Python + {pg:.1f} PostgreSQL), "
              f"{1000 * total / len(customers):.0f} ms per page, {len(changed)} documents changed ({written} files "
              f"written), "
              f"{time.monotonic() - wall0:.1f} s wall{verdict}", flush=True)


def idle_periodic(size: int) -> None:
    """The beat job's decision at an ordinary moment, and the pages it then re-publishes."""
    from django.utils import timezone

    from incidents.models import Customer
    from statuspage import refresh, snapshots

    runs = 10
    python0, pg0 = _cpu()
    for _ in range(runs):
        due = refresh.pages_due(timezone.now())
    decide = (time.process_time() - python0 + processes_cpu_seconds("postgres") - pg0) / runs
    python0, pg0 = _cpu()
    snapshots.publish_many(Customer.objects.filter(pk__in=due).order_by("pk"))  # in batches, as the task's
    publish = time.process_time() - python0 + processes_cpu_seconds("postgres") - pg0
    per_run = decide + publish
    per_hour = per_run * 3600 / REFRESH_SECONDS
    share = per_hour / 3600
    print(f"  periodic job (every {REFRESH_SECONDS} s): decides in {1000 * decide:.1f} ms CPU, {len(due)} pages due "
          f"(an incident under way), {1000 * publish:.0f} ms to publish them; {per_hour:.1f} s CPU per hour = "
          f"{100 * share:.2f} % of a core", flush=True)
    idle_share = decide * 3600 / REFRESH_SECONDS / 3600
    print(f"  with every customer idle: {100 * idle_share:.3f} % of a core (target < {100 * TARGET_IDLE_SHARE:.0f} %: "
          f"{'met' if idle_share < TARGET_IDLE_SHARE else 'MISSED'}); plus each page once at its local midnight",
          flush=True)


def change_to_visible(work: Path, stoppable: list, env: dict, nginx_port: int, changes: int) -> None:
    from incidents.models import Customer, Incident

    worker = CeleryWorker({**env, "KALM_STATUS_SNAPSHOTS": "1"}, work / "worker.log", pool="threads",
                          concurrency=16, queue="celery,reports,publish")  # the Procfile's worker
    stoppable.append(worker.start(timeout=60))
    site = render_site(snapshots=work / "snapshots", static=work / "static", cache=work / "nginx-cache",
                       upstream="127.0.0.1:9", port=nginx_port)  # no web process needed: pages come from the store
    (work / "nginx").mkdir()
    stoppable.append(Nginx(write_config(work / "nginx", site), nginx_port).start())
    pages = Customer.objects.filter(status_page_public=True).count()
    incidents = list(Incident.objects.filter(resolved_at__isnull=True).select_related())
    print(f"\nchange → visible through nginx ({pages} pages published, {changes} updates, worker running):",
          flush=True)
    samples = [_visible_after_update(f"http://127.0.0.1:{nginx_port}", incidents[n % len(incidents)])
               for n in range(changes)]
    figures = percentiles(samples)
    verdict = "met" if figures["p95"] <= TARGET_VISIBLE_P95_S else "MISSED"
    print(f"  p50 {figures['p50']:.2f} s, p95 {figures['p95']:.2f} s, max {figures['max']:.2f} s "
          f"(target p95 ≤ {TARGET_VISIBLE_P95_S:.0f} s: {verdict}); "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)


def _visible_after_update(base: str, incident) -> float:
    from flows import incidents as incident_flow

    slug = incident.customer_links.get().customer.slug
    author = incident.updates.order_by("pk").first().author
    marker = f"bench-{uuid.uuid4().hex[:10]}"
    started = time.monotonic()
    incident_flow.post_update(incident=incident, author=author, status="identified",
                              message=f"Still working on it ({marker}).")
    while marker not in urllib.request.urlopen(f"{base}/status/{slug}/?lang=en", timeout=5).read().decode():
        if time.monotonic() - started > 60:
            raise TimeoutError(f"update on {slug} not visible after 60 s")
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    time.sleep(0.3)
    return elapsed


if __name__ == "__main__":
    main()
