"""The pre-warmed render process: same document as a fresh one, same limits, survives its children."""

import io
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports import rendering, zygote
from reports.pdf import RenderOutOfMemory, RenderTimeout, render_isolated

STYLESHEET = str(rendering.STYLESHEET)
# Long enough to lay out that no machine finishes it inside the tests' half-second limit.
SLOW_HTML = "<table>" + "".join(f"<tr><td>row {n}</td><td>{'word ' * 60}</td></tr>" for n in range(30000)) + "</table>"


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def children_of(pid: int) -> str:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().strip()


@pytest.fixture
def running() -> zygote.Zygote:
    """A zygote of this test's own, stopped afterwards."""
    zygote.shutdown()
    zygote.start(STYLESHEET)
    yield zygote.current()
    zygote.shutdown()


def test_renders_the_same_document_as_a_fresh_process(running, reviewed_story, customer):
    html = rendering.build_html(reviewed_story, customer, version=2)
    warm = zygote.render_prewarmed(html, stylesheet=STYLESHEET)
    fresh = render_isolated(html, stylesheet=STYLESHEET)
    assert warm.pdf.startswith(b"%PDF") and warm.pages == fresh.pages
    assert text_of(warm.pdf) == text_of(fresh.pdf)
    assert "Managementsamenvatting" in "\n".join(text_of(warm.pdf))
    assert zygote.current().pid == running.pid  # rendered by the zygote, which is still there


def test_a_slow_render_is_killed_and_the_zygote_serves_the_next_job(running):
    with pytest.raises(RenderTimeout):
        zygote.render_prewarmed(SLOW_HTML, stylesheet=STYLESHEET, timeout=0.5)
    assert zygote.current() is running and running.alive()
    assert children_of(running.pid) == ""  # the child was killed and reaped, not left running
    after = zygote.render_prewarmed("<p>Next job</p>", stylesheet=STYLESHEET)
    assert "Next job" in text_of(after.pdf)[0]
    assert zygote.current().pid == running.pid


def test_the_memory_cap_holds_in_the_forked_child(running):
    with pytest.raises(RenderOutOfMemory, match="more than 64 MB"):
        zygote.render_prewarmed("<p>" + "x" * 20_000_000 + "</p>", stylesheet=STYLESHEET, memory_mb=64)
    assert running.alive()  # the cap is the child's own; the zygote never rendered the job
    assert zygote.render_prewarmed("<p>Fine</p>", stylesheet=STYLESHEET).pages == 1


def test_a_zygote_killed_from_outside_is_replaced_transparently(running):
    os.kill(running.pid, signal.SIGKILL)
    running.process.wait()
    result = zygote.render_prewarmed("<p>Still here</p>", stylesheet=STYLESHEET)
    assert "Still here" in text_of(result.pdf)[0]
    replacement = zygote.current()
    assert replacement is not None and replacement.pid != running.pid


def test_the_zygote_holds_no_secrets_and_no_inherited_connections(running, monkeypatch):
    environment = Path(f"/proc/{running.pid}/environ").read_bytes().split(b"\0")
    names = {entry.split(b"=", 1)[0].decode() for entry in environment if entry}
    assert names, "the environment could not be read"
    assert not names & {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    assert "reports.zygote_process" in Path(f"/proc/{running.pid}/cmdline").read_text()
    # stdin, stdout (now stderr), stderr and the protocol's own copy of stdout: nothing of ours.
    assert sorted(int(fd) for fd in os.listdir(f"/proc/{running.pid}/fd")) == [0, 1, 2, 3]


def test_without_a_zygote_renders_take_the_fresh_path(monkeypatch):
    zygote.shutdown()
    monkeypatch.setattr(zygote.Zygote, "start", lambda self: (_ for _ in ()).throw(OSError("no fork for you")))
    monkeypatch.setattr(zygote, "_fresh_until", 0.0)
    result = zygote.render_prewarmed("<p>Fallback</p>", stylesheet=STYLESHEET)
    assert "Fallback" in text_of(result.pdf)[0]
    assert result.import_seconds > 0  # a fresh interpreter imported WeasyPrint for this render
    assert zygote.current() is None  # monkeypatch restores _fresh_until: the next test may start one again


def test_a_zygote_that_dies_mid_job_leaves_no_child_and_the_job_still_renders(running):
    """The job goes the fresh way with the time left; the zygote's orphaned child is killed, not left rendering."""
    html = "<table>" + "".join(f"<tr><td>row {n}</td><td>{'word ' * 20}</td></tr>" for n in range(1500)) + "</table>"
    orphans = []

    def kill_the_zygote_once_it_forked():
        while not (child := children_of(running.pid)):
            time.sleep(0.01)
        orphans.append(int(child.split()[0]))
        os.kill(running.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_zygote_once_it_forked)
    killer.start()
    result = zygote.render_prewarmed(html, stylesheet=STYLESHEET)
    killer.join()
    assert "row 0 word" in text_of(result.pdf)[0] and result.pages > 1
    assert result.import_seconds > 0  # rendered by a fresh interpreter
    assert not Path(f"/proc/{orphans[0]}").exists() or "Z" in Path(f"/proc/{orphans[0]}/stat").read_text().split()[2]
