"""The published status page under load: nginx + gunicorn as docker-compose runs them, on one machine.

See bench/README.md. Everything runs on private ports and in a temporary directory: its own
PostgreSQL cluster (initdb as the ``postgres`` user), its own redis-server, gunicorn with the
Procfile's workers/threads, a Celery worker as the Procfile runs it, and nginx with deploy/nginx.conf rendered for
local paths (tests/statuspage/nginx.py) plus one location serving the page's bytes as a plain
static file. The machine's own PostgreSQL and Redis are never touched. Prints figures; asserts
nothing about time. Ctrl-C or kill still cleans up.

    .venv/bin/python bench/statuspage.py [--duration 15] [--connections 256] [--publishes 20] [--rounds 3]
"""

import argparse
import os
import re
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

from bench import percentiles, processes_cpu_seconds  # noqa: E402
from tests.comms.processes import CeleryWorker, RedisServer, wait_for  # noqa: E402
from tests.comms.servers import free_port  # noqa: E402
from tests.statuspage.nginx import Nginx, render_site, write_config  # noqa: E402

SLUG = "midsize"
STATIC_COPY = "/bench/page.html"
BIN = ROOT / ".venv" / "bin"


def ensure_tools() -> None:
    """nginx and wrk from Debian when missing (``apt-get update`` once)."""
    missing = [name for name, package in (("nginx", "nginx-light"), ("wrk", "wrk"))
               if not shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin")]
    if missing:
        print(f"installing {', '.join(missing)} from Debian …", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        packages = ["nginx-light" if name == "nginx" else name for name in missing]
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


class Postgres:
    """A throw-away cluster owned by the ``postgres`` OS user, on its own port and socket directory."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port = directory, free_port()
        self.running = False

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> "Postgres":
        self.directory.mkdir()
        shutil.chown(self.directory, "postgres", "postgres")
        self._as_postgres("initdb", "-D", str(self.directory), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres("pg_ctl", "start", "-w", "-D", str(self.directory), "-o", options,
                          "-l", str(self.directory / "server.log"))
        self.running = True
        return self

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.running:
            self._as_postgres("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.directory))
            self.running = False


class Gunicorn:
    """docker-compose's web command (``--workers 2 --threads 4``) on a private port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port, self.env, self.log = free_port(), env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        command = [str(BIN / "gunicorn"), "kalm.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                   "--threads", "4", "--access-logfile", "-",
                   # its own control socket: the default (~/.gunicorn) is shared with any other gunicorn here
                   "--control-socket", str(self.log.with_name("gunicorn.ctl"))]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: _status(f"http://127.0.0.1:{self.port}/healthz") == 200, timeout=30, what="gunicorn")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # the arbiter stops its workers
            self.process.wait(15)


def snapshot_file_cache() -> str:
    """The snapshot location's ``open_file_cache`` lines from deploy/nginx.conf, for the static baseline.

    Without them the baseline paid an open and a stat per request that the page did not, so the
    page "beat" a plain file by 1.15–1.5× (issue 14): the comparison must differ only in what
    the snapshot location adds (try_files, the variant maps, the headers).
    """
    lines = [line.strip() for line in (ROOT / "deploy" / "nginx.conf").read_text().splitlines()
             if line.strip().startswith("open_file_cache")]
    if not lines:
        raise ValueError("deploy/nginx.conf has no open_file_cache lines; update bench/statuspage.py")
    return "".join(f"        {line}\n" for line in lines)


def _status(url: str, *, timeout: float = 2, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def cache_status(url: str, **headers: str) -> str:
    """"<status> <X-Cache-Status>" of one GET through nginx."""
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    return f"{response.status} {response.headers.get('X-Cache-Status', '-')}"


def wrk(url: str, *, connections: int, duration: int, server: str = "nginx") -> dict[str, float]:
    """requests/s, p50/p99 latency (ms), non-2xx/3xx responses, socket errors of one wrk run, and the
    CPU time ``server``'s processes spent per request (µs): the figure other load on a shared machine
    disturbs least."""
    cpu_before = processes_cpu_seconds(server)
    output = subprocess.run(["wrk", f"-c{connections}", "-t2", f"-d{duration}s", "--latency", url],
                            capture_output=True, text=True, check=True).stdout

    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0

    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    requests = number(r"(\d+) requests in")
    cpu = (processes_cpu_seconds(server) - cpu_before) / requests * 1e6 if requests else float("nan")
    return {"rps": number(r"Requests/sec:\s+([\d.]+)"), "p50": latency("50"), "p99": latency("99"),
            "non2xx": number(r"Non-2xx or 3xx responses: (\d+)"), "errors": errors, "requests": requests,
            "cpu_us": cpu}


def report(name: str, result: dict[str, float]) -> None:
    print(f"  {name:<34} {result['rps']:>9.0f} req/s   p50 {result['p50']:7.2f} ms   p99 {result['p99']:7.2f} ms"
          f"   non-2xx {result['non2xx']:.0f}   socket errors {result['errors']:.0f}"
          f"   server CPU {result['cpu_us']:6.1f} µs/request", flush=True)


def queries_per_hit(paths: list[str]) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    total = 0
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200 and response.has_header("ETag"), (path, response.status_code)
        total += len(queries)
    return total


def stack_env(work: Path, postgres: "Postgres", redis_server: RedisServer, nginx_port: int) -> dict[str, str]:
    """The production settings on the private PostgreSQL and Redis, with every folder under ``work``
    (also bench/scale_publish.py's)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kalm.settings_production", "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": postgres.url(), "REDIS_URL": redis_server.url(0), "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "SITE_URL": f"http://127.0.0.1:{nginx_port}",
        "KALM_TRUSTED_PROXY_COUNT": "1", "KALM_VAR_DIR": str(work / "var"), "STATIC_ROOT": str(work / "static"),
        "KALM_SNAPSHOT_DIR": str(work / "snapshots"), "LOG_LEVEL": "WARNING",
    }


def publish_to_visible(base: str, publishes: int) -> list[float]:
    """Seconds from the console's service call until nginx serves the new text (polled every 50 ms)."""
    from flows import incidents as incident_flow
    from incidents.models import Incident

    incident = Incident.objects.filter(customer_links__customer__slug=SLUG).order_by("-pk").first()
    author = incident.updates.order_by("pk").first().author
    samples = []
    for n in range(publishes):
        marker = f"bench-{n}-{uuid.uuid4().hex[:10]}"
        started = time.monotonic()
        incident_flow.post_update(incident=incident, author=author, status="identified",
                                      message=f"Still working on it ({marker}).")
        while marker not in urllib.request.urlopen(f"{base}/status/{SLUG}/?lang=en", timeout=5).read().decode():
            if time.monotonic() - started > 60:
                raise TimeoutError(f"update {n} not visible after 60 s")
            time.sleep(0.05)
        samples.append(time.monotonic() - started)
        time.sleep(0.5)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="static/page pairs measured alternately")
    args = parser.parse_args()
    ensure_tools()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    work = Path(tempfile.mkdtemp(prefix="kalm-bench-statuspage-"))
    work.chmod(0o755)  # nginx's workers (www-data) read the store and the static files
    stoppable: list = []
    try:
        run(work, stoppable, args)
    finally:
        for service in reversed(stoppable):
            try:
                service.stop()
            except Exception as error:  # keep cleaning up
                print(f"cleanup: {type(service).__name__}: {error}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, stoppable: list, args: argparse.Namespace) -> None:
    print("starting a private PostgreSQL, Redis, gunicorn, Celery worker and nginx …", flush=True)
    postgres = Postgres(work / "pg")
    stoppable.append(postgres.start())
    redis_server = RedisServer()
    stoppable.append(redis_server.start())
    nginx_port = free_port()
    env = stack_env(work, postgres, redis_server, nginx_port)
    os.environ.update(env)
    for command in (["migrate"], ["collectstatic", "--noinput"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command, "--verbosity", "0"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    import django

    django.setup()
    from incidents.models import Customer
    from statuspage import snapshots

    snapshots.publish(Customer.objects.get(slug=SLUG))
    web = Gunicorn(env, work / "gunicorn.log")
    stoppable.append(web.start())
    worker = CeleryWorker(env, work / "worker.log", pool="threads", concurrency=16,
                          queue="celery,reports,publish")  # the Procfile's worker
    stoppable.append(worker.start(timeout=60))

    plain = work / "plain"
    plain.mkdir(mode=0o755)
    extra = f"    location = {STATIC_COPY} {{\n        alias {plain}/page.html;\n{snapshot_file_cache()}    }}\n"
    site = render_site(snapshots=work / "snapshots", static=work / "static", cache=work / "nginx-cache",
                       upstream=f"127.0.0.1:{web.port}", port=nginx_port, extra=extra)
    (work / "nginx").mkdir()
    nginx = Nginx(write_config(work / "nginx", site), nginx_port)
    stoppable.append(nginx.start())
    base = f"http://127.0.0.1:{nginx_port}"
    page, summary = f"{base}/status/{SLUG}/", f"{base}/status/{SLUG}/api/v2/summary.json"
    direct = f"http://127.0.0.1:{web.port}/status/{SLUG}/"
    time.sleep(3)  # the worker publishes every page when it starts; let that land before copying
    shutil.copyfile(work / "snapshots" / SLUG / "default" / "index.html", plain / "page.html")
    (plain / "page.html").chmod(0o644)
    for url in (page, summary, direct, base + STATIC_COPY):
        if _status(url, timeout=30) != 200:
            sys.exit(f"{url} answers {_status(url)}; nginx log:\n{(work / 'nginx' / 'error.log').read_text()[-2000:]}"
                     f"\ngunicorn log:\n{(work / 'gunicorn.log').read_text()[-2000:]}")
    same = urllib.request.urlopen(page).read() == urllib.request.urlopen(base + STATIC_COPY).read()
    print(f"page via nginx and the static copy are the same bytes: {same}")

    history = f"{base}/status/{SLUG}/history/"
    cache_states = [cache_status(history) for _ in range(2)]
    print(f"micro-cache on a computed page (history/): {' then '.join(cache_states)}; with a cookie: "
          f"{cache_status(history, Cookie='sessionid=x')}", flush=True)
    queries = queries_per_hit([f"/status/{SLUG}/", f"/status/{SLUG}/api/v2/summary.json",
                               f"/status/{SLUG}/?lang=de"])
    load = {"connections": args.connections, "duration": args.duration}
    for url in (base + STATIC_COPY, page, summary, direct):  # warm up: caches, keep-alive, gunicorn threads
        wrk(url, connections=args.connections, duration=2)
    print(f"\nwrk -c{args.connections} -t2 -d{args.duration}s, everything up (static and page alternate "
          f"{args.rounds} times, so other load on the machine hits both alike):", flush=True)
    results: dict[str, list[dict[str, float]]] = {"static": [], "page": []}
    for _round in range(args.rounds):
        for name, label, url in (("static", "static file (nginx)", base + STATIC_COPY),
                                 ("page", "status page (nginx, snapshot)", page)):
            results[name].append(wrk(url, **load))
            report(label, results[name][-1])
    results["json"] = [wrk(summary, **load)]
    report("summary.json (nginx, snapshot)", results["json"][0])
    django_alone = wrk(direct, **load, server="gunicorn")
    report("status page (gunicorn, snapshot hit)", django_alone)

    print(f"\npublish → visible through nginx, {args.publishes} updates (worker running):", flush=True)
    latencies = percentiles(publish_to_visible(base, args.publishes))

    from django.db import connections

    connections.close_all()
    print("\nstopping gunicorn, the worker, PostgreSQL and Redis …", flush=True)
    for service in (web, worker, postgres, redis_server):
        service.stop()
    assert _status(direct) == 0 and _status(page) == 200
    print(f"computed page from the micro-cache while Django is down: {cache_status(history)}")
    print(f"wrk -c{args.connections} -t2 -d{args.duration}s, only nginx left:", flush=True)
    down: dict[str, list[dict[str, float]]] = {"static": [], "page": []}
    for _round in range(args.rounds):
        for name, label, url in (("static", "static file", base + STATIC_COPY), ("page", "status page", page)):
            down[name].append(wrk(url, **load))
            report(f"{label} (nginx, services down)", down[name][-1])
    down["json"] = [wrk(summary, **load)]
    report("summary.json (nginx, services down)", down["json"][0])

    print("\nsummary")
    print(f"  {'':44} {'page/static req/s':>18} {'nginx CPU/request static, page':>32}")
    for label, runs in (("via nginx, everything up", results), ("via nginx, gunicorn/worker/PG/Redis down", down)):
        rps = {name: mean(r["rps"] for r in runs[name]) for name in ("static", "page")}
        cpu = {name: mean(r["cpu_us"] for r in runs[name]) for name in ("static", "page")}
        errors = sum(r["errors"] + r["non2xx"] for group in runs.values() for r in group)
        print(f"  {label:<44} {rps['page'] / rps['static']:>10.2f} ({rps['page']:.0f}/{rps['static']:.0f})"
              f" {cpu['static']:>14.1f} µs, {cpu['page']:.1f} µs   errors {errors:.0f}")
    print("  goal: page/static ≥ 0.80 and 0 errors, both times")
    print(f"  Django alone (gunicorn 2×4, snapshot hit):  {django_alone['rps']:.0f} req/s, "
          f"{django_alone['errors'] + django_alone['non2xx']:.0f} errors at {args.connections} connections, "
          f"{django_alone['cpu_us'] / 1000:.2f} ms gunicorn CPU/request")
    print(f"  SQL queries per snapshot hit (in-process, CaptureQueriesContext): {queries / 3:.0f} (goal 0)")
    print(f"  publish → visible through nginx:            p50 {latencies['p50']:.2f} s, p95 {latencies['p95']:.2f} s, "
          f"max {latencies['max']:.2f} s (goal p95 ≤ 5 s)")


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


if __name__ == "__main__":
    main()
