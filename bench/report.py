"""Post-incident report rendering: a typical and a huge incident, blocks against tables.

SQLite in a temporary folder (no server needed). The parent writes both incidents once;
every measurement then runs in a fresh child process (multiprocessing, spawn) that reads
its incident, builds the HTML and makes the PDF exactly as the task does: WeasyPrint in
its own capped process (``reports.pdf.render_isolated``). The measuring child reads the
render process's peak memory from ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``
(it has no other children) and its CPU time, so the figures hold on a busy machine too.

    DJANGO_SETTINGS_MODULE=kalm.settings .venv/bin/python bench/report.py [--repeat 3]

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


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    if "reports" not in settings.INSTALLED_APPS:
        sys.exit("Add 'reports' to INSTALLED_APPS first (see reports/__init__.py).")


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


def measure(incident_id: int, layout: str, results) -> None:
    """In a fresh child: build the HTML, render it in the capped render process, report the figures."""
    setup_django()
    from incidents.models import Incident
    from reports import rendering

    incident = Incident.objects.get(pk=incident_id)
    customer = incident.customer_links.get().customer
    started = time.perf_counter()
    html = rendering.build_html(incident, customer, layout=layout)
    built = time.perf_counter()
    result = rendering.make_pdf(html)
    finished = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the render process, our only child
    results.put({
        "html": built - started, "isolated": finished - built, "weasyprint": result.seconds,
        "weasyprint_cpu": result.cpu_seconds, "import": result.import_seconds,
        "child_cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024, "pages": result.pages, "kb": len(result.pdf) / 1024,
        "total": finished - started,
    })


def run(incident_id: int, layout: str) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=measure, args=(incident_id, layout, results))
    child.start()
    figures = results.get(timeout=600)
    child.join()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case and layout (the median is shown)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kalm-bench-report-") as folder:
        os.environ["KALM_VAR_DIR"] = folder  # the SQLite database lives here; the children inherit it
        os.environ.pop("DATABASE_URL", None)
        setup_django()
        print("writing the incidents (SQLite) …", flush=True)
        ids = write_incidents()
        print(LEGEND)
        print(f"{'case':8} {'layout':7} {'pages':>5} {'html':>6} {'render':>7} {'r.cpu':>6} {'import':>6} "
              f"{'child':>6} {'e2e':>6} {'peak MB':>8}")
        for case, incident_id in ids.items():
            for layout in ("blocks", "tables"):
                runs = [run(incident_id, layout) for _ in range(options.repeat)]
                report(case, layout, runs)
        print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


LEGEND = """seconds, median of the runs:
  html    build the HTML (database reads, metrics, template) in the task's process
  render  WeasyPrint in the render process, wall clock;  r.cpu  the same, CPU time (what load cannot inflate)
  import  importing WeasyPrint in the fresh render process, wall clock
  child   CPU of the whole render process: Python start, WeasyPrint import, render
  e2e     html + the render process from start to exit, wall clock (what the requester waits, less the queue)
  peak MB the render process's peak resident memory (getrusage RUSAGE_CHILDREN ru_maxrss)"""


def report(case: str, layout: str, runs: list[dict[str, float]]) -> None:
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    peak = max(run["peak_mb"] for run in runs)
    seconds, megabytes = GOALS[case]
    memory_ok = megabytes is None or peak < megabytes
    verdict = ", ".join(f"{what} {'met' if median[key] < seconds and memory_ok else 'MISSED'}"
                        for what, key in (("wall", "weasyprint"), ("cpu", "weasyprint_cpu"), ("e2e", "total")))
    print(f"{case:8} {layout:7} {median['pages']:5.0f} {median['html']:6.2f} {median['weasyprint']:7.2f} "
          f"{median['weasyprint_cpu']:6.2f} {median['import']:6.2f} {median['child_cpu']:6.2f} {median['total']:6.2f} "
          f"{peak:8.0f}  "
          f"render goal < {seconds} s{f', < {megabytes} MB' if megabytes else ''}: {verdict}", flush=True)


if __name__ == "__main__":
    main()
