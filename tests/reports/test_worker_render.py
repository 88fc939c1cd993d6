"""A real prefork Celery worker on the "reports" queue renders through its pre-warmed render process.

The case the zygote exists for: prefork pool children are daemonic, so they cannot use
multiprocessing; the zygote is a subprocess started at worker_process_init. Needs
PostgreSQL and Redis, like tests/comms/test_worker.py: ``pytest -m worker``.
"""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from pypdf import PdfReader

from reports import services
from reports.models import RenderStatus, ReportRender
from tests.comms.processes import CeleryWorker, database_url, wait_for, worker_test_marks
from tests.comms.test_worker import use_broker

pytestmark = worker_test_marks()


@pytest.fixture
def publishing():
    """The test process publishes tasks to REDIS_URL instead of running them inline."""
    from kalm.celery import app

    original, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager = False
    use_broker(app, settings.REDIS_URL)
    yield
    app.conf.task_always_eager = eager
    use_broker(app, original)


@pytest.fixture
def report_worker(tmp_path, publishing):
    env = {"DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": settings.REDIS_URL,
           "KALM_VAR_DIR": str(tmp_path)}  # its files land in tmp_path/media
    worker = CeleryWorker(env, tmp_path / "worker.log", pool="prefork", concurrency=1, queue="reports")
    worker.start(timeout=60)
    yield worker
    worker.stop()


def descendants(pid: int) -> list[int]:
    found = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:  # the process exited between being listed and being read
        return found
    for child in children:
        found += [int(child), *descendants(int(child))]
    return found


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def test_prefork_worker_renders_through_its_zygote(report_worker, tmp_path, story, customer,
                                                   django_capture_on_commit_callbacks):
    def zygotes():
        # A zygote's forked render children carry its command line too: count only the zygote itself.
        found = [pid for pid in descendants(report_worker.pid) if "reports.zygote_process" in command_line(pid)]
        return [pid for pid in found if parent_of(pid) not in found]

    wait_for(lambda: len(zygotes()) == 1, timeout=30, what="the pool process's zygote")  # at process start
    [zygote_pid] = zygotes()
    with django_capture_on_commit_callbacks(execute=True):
        render = services.render_request(incident=story, customer=customer)
    wait_for(lambda: ReportRender.objects.get(pk=render.pk).status in (RenderStatus.DONE, RenderStatus.FAILED),
             timeout=120, what="the render")
    render.refresh_from_db()
    assert render.status == RenderStatus.DONE, render.error
    written = tmp_path / "media" / render.file.name  # the worker's MEDIA_ROOT (its KALM_VAR_DIR)
    text = PdfReader(io.BytesIO(written.read_bytes())).pages[0].extract_text()
    assert story.customer_links.get().number in text
    assert zygotes() == [zygote_pid]  # the same zygote served it, and is still there for the next one


def test_thread_pool_worker_launches_its_zygote_when_ready(tmp_path, publishing):
    # The Procfile's worker: the thread pool sends no worker_process_init, so worker_ready does it.
    env = {"DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": settings.REDIS_URL,
           "KALM_VAR_DIR": str(tmp_path)}
    worker = CeleryWorker(env, tmp_path / "worker.log", pool="threads", concurrency=2, queue="celery,reports")
    worker.start(timeout=60)
    try:
        wait_for(lambda: any("reports.zygote_process" in command_line(pid) for pid in descendants(worker.pid)),
                 timeout=30, what="the worker's zygote")
    finally:
        worker.stop()
