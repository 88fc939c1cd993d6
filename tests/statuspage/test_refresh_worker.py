"""The periodic refresh through a real Celery worker (PostgreSQL + Redis): beat's task puts batch
tasks on the publish queue, and the worker, with a snapshot folder of its own, publishes every due
page there (what nginx then serves: each customer's page in its own language) and frees the pages'
coalescing keys for the next change."""

import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from kalm.celery import app
from statuspage import refresh
from statuspage.publish_queue import coalescing_key
from statuspage.snapshot_store import PAGE
from statuspage.tasks import refresh_status_pages
from tests.comms.processes import REPO, CeleryWorker, database_url, wait_for, worker_test_marks
from tests.comms.test_worker import use_broker

pytestmark = worker_test_marks()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """The hashed static files the production storage names in a page (collectstatic, a few seconds)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=REPO,
                   check=True, env={**os.environ, "STATIC_ROOT": str(root)})
    return root


@pytest.fixture
def publish_worker(tmp_path, settings, static_root):
    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    use_broker(app, settings.REDIS_URL)
    folder = tmp_path / "worker-snapshots"
    env = {"DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": settings.REDIS_URL,
           "KALM_VAR_DIR": str(tmp_path / "worker"), "KALM_STATUS_SNAPSHOTS": "1", "KALM_SNAPSHOT_DIR": str(folder),
           "STATIC_ROOT": str(static_root)}
    worker = CeleryWorker(env, tmp_path / "worker.log", concurrency=2, queue="publish").start(timeout=60)
    yield worker, folder
    worker.stop()
    app.conf.task_always_eager = eager
    use_broker(app, broker)


def test_the_worker_publishes_every_due_page_from_batch_tasks(customer, other_customer, snapshots, publish_worker,
                                                              settings):
    """The customers exist before pages are on, so no change of theirs has queued a publish."""
    worker, folder = publish_worker
    settings.KALM_SNAPSHOT_COALESCE = True  # this process's cache is the worker's Redis
    pages = {customer: folder / customer.slug / "default" / PAGE, other_customer: folder / other_customer.slug /
             "default" / PAGE}

    refresh_status_pages()  # never published: both due

    wait_for(lambda: all(page.exists() for page in pages.values()), timeout=60,
             what="both pages in the worker's folder")
    midsize, northwind = (pages[customer].read_text(), pages[other_customer].read_text())
    assert '<html lang="nl"' in midsize and "MidSize Manufacturing BV" in midsize
    assert '<html lang="en"' in northwind and "Northwind Ltd" in northwind
    assert "statuspage.tasks.publish_status_pages" in worker.output()
    assert "statuspage.tasks.publish_status_page[" not in worker.output(), "one batch task, not a task per page"
    wait_for(lambda: cache.get(coalescing_key(customer.pk)) is None, timeout=10, what="the worker's release")
    assert cache.get(coalescing_key(other_customer.pk)) is None
    assert refresh.pages_due(timezone.now()) == [], "rendered as of now: nothing due until the clock moves"
