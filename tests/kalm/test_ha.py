"""Two of everything (issue 14): report PDFs readable from every web node, beat running once.

- ``reports.storage.DatabaseStorage`` (``KALM_FILE_STORE=database``): what one instance or
  process wrote, another reads; a file missing from the store is a 404 on every path that
  serves it (signed link, console, API), never a 500.
- With a real worker (PostgreSQL + Redis, ``-m worker``): a worker with its own media folder
  renders the PDF, this process (another "web node" with another media folder) serves it.
- RedBeat's lock: a second ``celery beat`` (the Procfile's command) sends nothing while the
  first lives and takes over when it is killed. Needs only ``redis-server`` (a private one).
"""

import shutil
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from kalm.celery import app
from reports import services
from reports.links import report_token
from reports.models import RenderStatus, ReportRender, StoredFile
from reports.storage import DatabaseStorage
from tests.comms.processes import REPO, CeleryWorker, RedisServer, database_url, wait_for, worker_test_marks
from tests.comms.test_worker import use_broker
from tests.kalm.test_var_dir import fresh_env, procfile
from tests.reports.fixtures import *  # noqa: F403 - the report fixtures (story, fake_pdf, a tmp MEDIA_ROOT)
from tests.reports.fixtures import FAKE_PDF

DATABASE_STORE = "reports.storage.DatabaseStorage"


@pytest.fixture
def database_store(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": DATABASE_STORE}}


@pytest.mark.django_db
def test_a_file_written_through_one_storage_instance_is_read_through_another():
    writer, reader = DatabaseStorage(), DatabaseStorage()

    name = writer.save("reports/7/MSM-2025-0001-v1.pdf", ContentFile(FAKE_PDF))
    again = writer.save("reports/7/MSM-2025-0001-v1.pdf", ContentFile(b"%PDF second"))

    assert name == "reports/7/MSM-2025-0001-v1.pdf" and again != name and again.startswith("reports/7/MSM-")
    with reader.open(name) as stored:
        assert stored.read() == FAKE_PDF
    assert reader.size(name) == len(FAKE_PDF) and reader.exists(again)
    assert reader.listdir("reports") == (["7"], []) and sorted(reader.listdir("reports/7")[1]) == sorted(
        [Path(name).name, Path(again).name])
    reader.delete(again)
    assert not writer.exists(again)
    with pytest.raises(FileNotFoundError):
        writer.open(again)


@pytest.mark.django_db
def test_report_pdf_from_the_database_store_and_404_once_it_is_missing(database_store, client, story, customer,
                                                                       account_manager, fake_pdf,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        render = services.render_request(incident=story, customer=customer)
    render.refresh_from_db()
    assert render.status == RenderStatus.DONE
    assert StoredFile.objects.get(name=render.file.name).content == FAKE_PDF  # in the table, not on disk
    number = story.first_link.number
    link = reverse("reports:public", args=[report_token(story.pk, customer.pk)])
    console = reverse("reports:download", args=[story.pk])
    api = f"/api/v1/incidents/{number}/report.pdf"
    token = ApiToken.issue(user=account_manager)[1]
    client.force_login(account_manager)

    served = Client().get(link)
    assert served.status_code == 200 and b"".join(served.streaming_content) == FAKE_PDF
    assert served["Content-Type"] == "application/pdf" and served["Content-Length"] == str(len(FAKE_PDF))
    assert client.get(console).status_code == 200
    assert Client().get(api, headers={"Authorization": f"Bearer {token}"}).content == FAKE_PDF

    StoredFile.objects.all().delete()  # the store lost it

    assert Client().get(link).status_code == 404
    assert client.get(console).status_code == 404
    missing = Client().get(api, headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404 and "detail" in missing.json()


class TestAnotherWebNode:
    """A worker with its own media folder renders; this process, with another, serves the PDF."""

    pytestmark = worker_test_marks()

    def test_the_worker_s_pdf_is_served_here(self, tmp_path, settings, database_store, story, customer,
                                             django_capture_on_commit_callbacks):
        eager, broker = app.conf.task_always_eager, app.conf.broker_url
        app.conf.task_always_eager = False
        use_broker(app, settings.REDIS_URL)
        settings.MEDIA_ROOT = tmp_path / "web" / "media"
        env = {"DATABASE_URL": database_url(connection.settings_dict),
               "REDIS_URL": settings.REDIS_URL, "KALM_VAR_DIR": str(tmp_path / "worker"),
               "KALM_FILE_STORE": "database"}
        worker = CeleryWorker(env, tmp_path / "worker.log", pool="threads", concurrency=2, queue="reports")
        worker.start(timeout=60)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                render = services.render_request(incident=story, customer=customer)
            wait_for(lambda: ReportRender.objects.get(pk=render.pk).status in (RenderStatus.DONE, RenderStatus.FAILED),
                     timeout=120, what="the render")
        finally:
            worker.stop()
            app.conf.task_always_eager = eager
            use_broker(app, broker)
        render.refresh_from_db()
        assert render.status == RenderStatus.DONE, render.error
        assert not list((tmp_path / "worker").rglob("*.pdf")) and not list((tmp_path / "web").rglob("*.pdf"))

        response = Client().get(reverse("reports:public", args=[report_token(story.pk, customer.pk)]))

        assert response.status_code == 200
        pdf = tmp_path / "served.pdf"
        pdf.write_bytes(b"".join(response.streaming_content))
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert story.first_link.number in text and "Storing bestandsserver" in text


def _beat(env: dict[str, str], log: Path) -> subprocess.Popen:
    command = procfile()["beat"].replace(".venv/bin/", f"{Path(sys.executable).parent}/")
    with log.open("wb") as out:
        return subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _sent(log: Path) -> int:
    return log.read_text(errors="replace").count("Sending due task cadence-tick")


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (Debian's redis-server)")
def test_a_second_beat_waits_for_the_lock_and_takes_over_when_the_first_dies(tmp_path):
    server = RedisServer().start()
    env = fresh_env(tmp_path / "var", REDIS_URL=server.url(0), KALM_BEAT_LOCK_SECONDS="3", KALM_TICK_SECONDS="1")
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    beats: list[subprocess.Popen] = []
    try:
        beats.append(_beat(env, logs[0]))
        wait_for(lambda: "Acquired lock" in logs[0].read_text(), timeout=60, what="the first beat's lock")
        beats.append(_beat(env, logs[1]))
        wait_for(lambda: "beat: Starting" in logs[1].read_text(), timeout=60, what="the second beat started")
        time.sleep(5)

        assert _sent(logs[0]) >= 3 and _sent(logs[1]) == 0 and "Acquired lock" not in logs[1].read_text()
        ticks = redis.Redis.from_url(server.url(0)).llen("celery")
        assert ticks >= _sent(logs[0])  # one queue, fed by one beat

        beats[0].kill()  # SIGKILL: the lock is not released, it expires
        killed = time.monotonic()
        wait_for(lambda: _sent(logs[1]) >= 1, timeout=20, what="the second beat taking over")
        assert time.monotonic() - killed < 3 + 1 + 6  # lock time-out + retry interval + slack for a loaded machine
        assert "Acquired lock" in logs[1].read_text()
    finally:
        for beat in beats:
            beat.kill()
            beat.wait(10)
        server.stop()


@pytest.mark.django_db
def test_pdfs_kept_on_disk_are_imported_into_the_database_store(settings, tmp_path, story, customer, fake_pdf,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # rendered while the store was the file system
        render = services.render_request(incident=story, customer=customer)
    render.refresh_from_db()
    assert (tmp_path / "media" / render.file.name).read_bytes() == FAKE_PDF
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": DATABASE_STORE}}
    link = reverse("reports:public", args=[report_token(story.pk, customer.pk)])
    assert Client().get(link).status_code == 404  # switched, not yet imported

    out = StringIO()
    call_command("import_report_files", stdout=out)
    call_command("import_report_files", stdout=out)  # again: nothing to do

    assert out.getvalue().splitlines() == ["copied 1, already stored 0, missing 0",
                                           "copied 0, already stored 1, missing 0"]
    served = Client().get(link)
    assert served.status_code == 200 and b"".join(served.streaming_content) == FAKE_PDF
