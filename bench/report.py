"""Post-incident report rendering: the fresh-interpreter path against the pre-warmed one, same run.

SQLite in a temporary folder (no server needed). The parent writes a typical and a huge
incident once; then, per renderer (``KALM_REPORT_RENDERER`` = "fresh", "prewarmed"), one new
process (multiprocessing, spawn: cold imports, no zygote yet) runs the Celery task body
``reports.tasks.render_report`` on pending render rows, exactly as a worker does:

- cold: the first render in that process (typical incident). For "prewarmed" it includes
  starting the zygote, which a report worker does at process start (worker_process_init).
- warm: then ``--repeat`` renders per case; the median is shown.

Figures per render: ``e2e`` the task from claim to stored PDF (HTML, PDF, file, row),
``render`` WeasyPrint's own time in the render process (wall and CPU), ``peak MB`` the
render process's peak resident memory (its own ``ru_maxrss``; a forked child counts the
pages it shares with the zygote too, so the figures compare), and for "prewarmed" the
zygote's resident memory (``VmRSS``, a cost per worker process).

    DJANGO_SETTINGS_MODULE=kalm.settings .venv/bin/python bench/report.py [--repeat 3] [--layout blocks]

Goals (issue 5): typical (20 updates, 200 deliveries) under 1.5 s; huge (300 updates,
3,000 deliveries) under 10 s and under 300 MB peak memory.
"""

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository is importable

CASES = {"typical": (20, 200), "huge": (300, 3000)}
GOALS = {"typical": (1.5, None), "huge": (10.0, 300)}  # seconds, MB
RENDERERS = ("fresh", "prewarmed")


def setup_django(renderer: str | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    if "reports" not in settings.INSTALLED_APPS:
        sys.exit("Add 'reports' to INSTALLED_APPS first (see reports/__init__.py).")
    if renderer:
        settings.KALM_REPORT_RENDERER = renderer


def write_incidents() -> dict[str, int]:
    """Migrate the temporary database and write both incidents; {case: incident pk}."""
    from django.core.management import call_command

    from reports.models import PostIncidentReview, RemediationAction
    from tests.reports.builders import make_customer, make_incident

    call_command("migrate", verbosity=0)
    ids = {}
    for case, (updates, deliveries) in CASES.items():
        customer = make_customer(slug=case, language="nl")
        incident = make_incident(customer, updates=updates, deliveries=deliveries)
        review = PostIncidentReview.objects.create(incident=incident, management_summary="**Summary.** " * 40,
                                                   root_cause="A failed disk.", data_lost="no",
                                                   sla_credit_percent_per_hour="2.00")
        RemediationAction.objects.bulk_create(
            RemediationAction(review=review, description=f"Action {n}", owner="Jan de Vries", due_date="2025-07-01")
            for n in range(5))
        ids[case] = incident.pk
    return ids


def measure(renderer: str, ids: dict[str, int], repeat: int, layout: str, results) -> None:
    """In a fresh process: the task body on new pending rows, cold first, then ``repeat`` per case."""
    setup_django(renderer)
    from incidents.models import Customer
    from reports import rendering, zygote
    from reports.models import RenderStatus, ReportRender
    from reports.tasks import render_report

    seen = []
    make_pdf, build_html = rendering.make_pdf, rendering.build_html

    def recording(html):  # the task's own call, with the render process's figures kept for the table
        seen.append(make_pdf(html))
        return seen[-1]

    rendering.make_pdf = recording
    if layout != "blocks":
        rendering.build_html = lambda *args, **kwargs: build_html(*args, **{**kwargs, "layout": layout})

    def one(case: str, run: str) -> dict:
        incident_id = ids[case]
        customer = Customer.objects.get(slug=case)
        version = ReportRender.objects.filter(incident_id=incident_id).count() + 1
        row = ReportRender.objects.create(incident_id=incident_id, customer=customer, version=version)
        started, cpu_started = time.perf_counter(), _cpu()
        render_report(row.pk)  # the task body, in this process, as a worker runs it
        e2e, e2e_cpu = time.perf_counter() - started, _cpu() - cpu_started
        row.refresh_from_db()
        assert row.status == RenderStatus.DONE, row.error
        result = seen[-1]
        running = zygote.current()
        if renderer == "prewarmed":  # the forked child is the zygote's, not ours: its own figure
            e2e_cpu += result.cpu_seconds
        return {"renderer": renderer, "case": case, "run": run, "e2e": e2e, "e2e_cpu": e2e_cpu,
                "render": result.seconds,
                "render_cpu": result.cpu_seconds, "import": result.import_seconds, "pages": result.pages,
                "peak_mb": result.max_rss_kb / 1024,
                "zygote_mb": _rss_mb(running.pid) if running else 0.0}

    figures = [one("typical", "cold")]
    for case in CASES:
        figures += [one(case, "warm") for _ in range(repeat)]
    results.put(figures)


def _cpu() -> float:
    """CPU seconds of this process and of the children it has reaped (the fresh render processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(renderer: str, ids: dict[str, int], repeat: int, layout: str) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=measure, args=(renderer, ids, repeat, layout, results))
    child.start()
    figures = results.get(timeout=1800)
    child.join()
    return figures


LEGEND = """seconds; warm rows: median of the runs, peak MB: the highest
  e2e     the task body: claim, build the HTML, render the PDF, store file and row (the wait, less the queue)
  e.cpu   the same in CPU time: the task's process and its render process (what load cannot inflate)
  render  WeasyPrint in the render process, wall clock;  r.cpu  the same, CPU time (what load cannot inflate)
  import  importing WeasyPrint in the render process (fresh: every render; prewarmed: once, in the zygote)
  peak MB the render process's peak resident memory;  zygote MB  the pre-warmed process's resident memory"""


def report(rows: list[dict]) -> None:
    median = {key: statistics.median(row[key] for row in rows) for key in ("e2e", "e2e_cpu", "render", "render_cpu",
                                                                           "import", "pages", "zygote_mb")}
    first = rows[0]
    peak = max(row["peak_mb"] for row in rows)
    seconds, megabytes = GOALS[first["case"]]
    memory_ok = megabytes is None or peak < megabytes
    verdict = ", ".join(f"{what} {'met' if median[key] < seconds and memory_ok else 'MISSED'}"
                        for what, key in (("wall", "e2e"), ("cpu", "e2e_cpu")))
    goal = f"e2e < {seconds} s{f', < {megabytes} MB' if megabytes else ''}: {verdict}"
    print(f"{first['renderer']:10} {first['case']:8} {first['run']:5} {median['pages']:5.0f} {median['e2e']:6.2f} "
          f"{median['e2e_cpu']:6.2f} "
          f"{median['render']:7.2f} {median['render_cpu']:6.2f} {median['import']:6.2f} {peak:8.0f} "
          f"{median['zygote_mb']:10.0f}  {goal if first['run'] == 'warm' else ''}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per case (the median is shown)")
    parser.add_argument("--layout", choices=("blocks", "tables"), default="blocks",
                        help="the report's layout (the task renders blocks)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kalm-bench-report-") as folder:
        os.environ["KALM_VAR_DIR"] = folder  # the SQLite database and the PDFs live here; the children inherit it
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)  # status page publishes the builders trigger stay in this folder's queue
        for queue in ("queue", "processed"):
            Path(folder, "celery", queue).mkdir(parents=True)
        setup_django()
        print("writing the incidents (SQLite) …", flush=True)
        ids = write_incidents()
        print(LEGEND)
        print(f"{'renderer':10} {'case':8} {'run':5} {'pages':>5} {'e2e':>6} {'e.cpu':>6} {'render':>7} "
              f"{'r.cpu':>6} {'import':>6} {'peak MB':>8} {'zygote MB':>10}")
        for renderer in RENDERERS:
            figures = run(renderer, ids, options.repeat, options.layout)
            report([figures[0]])
            for case in CASES:
                report([row for row in figures[1:] if row["case"] == case])
        print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
