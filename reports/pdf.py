"""HTML to PDF with WeasyPrint, in a child process with a memory bound and a time limit.

No Django here: the child is a fresh interpreter (``python -m reports.pdf <folder>``) that
reads the HTML and a job description from a private temporary folder, caps its own
address space (``RLIMIT_AS``) before importing WeasyPrint, renders, and writes the PDF
and its statistics back. The parent waits at most ``timeout`` seconds, then kills it.

Why a process of its own: a runaway render (a pathological table, a font bug) hits the
memory cap and dies with ``MemoryError`` inside the child, or is killed at the time
limit; the Celery worker that asked for it only sees a ``RenderFailed`` and records it.

Why ``subprocess`` and not ``multiprocessing``: Celery's prefork pool runs tasks in
processes that the standard library considers daemonic, and ``multiprocessing`` refuses
to start children from those ("daemonic processes are not allowed to have children").
A fresh interpreter is what the ``spawn`` start method would give; it costs about one
second per render to import WeasyPrint (cffi parses pango's declarations), measured in
``bench/report.py``. So renders normally fork from a pre-warmed process instead
(``reports.zygote``), which runs the same ``run_job`` under the same limits; this fresh
interpreter is its fallback, and what ``KALM_REPORT_RENDERER = "fresh"`` selects.

Resources: only the stylesheet, the optional logo and ``data:`` URLs are fetched. The
HTML holds user-written Markdown (sanitised, no images), but even so no render may reach
the network or read other files.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

_ROOT = Path(__file__).resolve().parents[1]  # the folder that holds the ``reports`` package
_ERROR_MAX = 2000
# The render process gets no secrets: no SECRET_KEY, no database or broker URL, only what fonts need.
_ENVIRONMENT = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")
_ENVIRONMENT_PREFIXES = ("LC_", "FONTCONFIG_", "XDG_")


class RenderFailed(Exception):
    """The PDF could not be made; the message says why, for the requester."""


class RenderTimeout(RenderFailed):
    pass


class RenderOutOfMemory(RenderFailed):
    pass


@dataclass(frozen=True)
class PdfResult:
    pdf: bytes
    pages: int
    seconds: float  # WeasyPrint's own time, inside the child (wall clock)
    max_rss_kb: int  # the child's peak resident memory
    cpu_seconds: float = 0.0  # WeasyPrint's CPU time (user + system), inside the child
    import_seconds: float = 0.0  # importing WeasyPrint in the fresh child (wall clock)


def render_isolated(html: str, *, stylesheet: str, allowed_files: Iterable[str] = (), memory_mb: int = 1024,
                    timeout: float = 50.0) -> PdfResult:
    """Render in a fresh interpreter capped at ``memory_mb`` of address space and ``timeout`` seconds.

    The fallback of ``reports.zygote.render_prewarmed``, which forks pre-warmed children instead.
    """
    with tempfile.TemporaryDirectory(prefix="kalm-report-") as folder:
        work = Path(folder)
        write_job(work, html, stylesheet=stylesheet, allowed_files=allowed_files, memory_mb=memory_mb)
        try:
            finished = subprocess.run([sys.executable, "-m", "reports.pdf", str(work)], cwd=_ROOT,  # noqa: S603
                                      env=child_environment(), capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:  # run() has killed and reaped the child
            raise timed_out(timeout) from error
        return read_result(work, finished.returncode, finished.stderr.decode("utf-8", "replace"), memory_mb)


def write_job(work: Path, html: str, *, stylesheet: str, allowed_files: Iterable[str], memory_mb: int) -> None:
    """The job folder a render process reads: the HTML and what it may fetch, and its memory cap."""
    (work / "report.html").write_text(html, encoding="utf-8")
    job = {"stylesheet": stylesheet, "allowed": list(allowed_files), "memory_mb": memory_mb}
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")


def timed_out(timeout: float) -> RenderTimeout:
    return RenderTimeout(f"The render took longer than {timeout:.0f} seconds and was stopped.")


def child_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items()
            if name in _ENVIRONMENT or name.startswith(_ENVIRONMENT_PREFIXES)}


def read_result(work: Path, returncode: int, stderr: str, memory_mb: int) -> PdfResult:
    """What the render process left in ``work``, or the ``RenderFailed`` that says why it left nothing."""
    error_file = work / "error.json"
    if error_file.exists() and error_file.stat().st_size:  # empty: the process died before it could say why
        error = json.loads(error_file.read_text(encoding="utf-8"))
        if error["type"] == "MemoryError":
            raise RenderOutOfMemory(f"The render needed more than {memory_mb} MB of memory and was stopped.")
        raise RenderFailed(f"{error['type']}: {error['message']}"[:_ERROR_MAX])
    if returncode != 0 or not (work / "report.pdf").exists():
        detail = stderr.strip().splitlines()[-1:] or [""]
        how = (f"was killed by signal {-returncode} (out of memory? the limit is {memory_mb} MB)"
               if returncode < 0 else f"stopped with exit code {returncode}")
        raise RenderFailed(f"The render process {how}. {detail[0]}".strip()[:_ERROR_MAX])
    stats = json.loads((work / "stats.json").read_text(encoding="utf-8"))
    return PdfResult(pdf=(work / "report.pdf").read_bytes(), pages=stats["pages"], seconds=stats["seconds"],
                     max_rss_kb=stats["max_rss_kb"], cpu_seconds=stats["cpu_seconds"],
                     import_seconds=stats["import_seconds"])


def html_to_pdf(html: str, *, stylesheet: str, allowed_files: Iterable[str] = ()) -> tuple[bytes, int]:
    """(PDF, page count), rendered in this process: what the child runs (tests call it directly too)."""
    from weasyprint import CSS, HTML  # only in the render process: WeasyPrint's weight stays out of web and worker

    fetcher = _local_fetcher([stylesheet, *allowed_files])
    document = HTML(string=html, base_url=str(Path(stylesheet).parent), url_fetcher=fetcher).render(
        stylesheets=[CSS(filename=stylesheet, url_fetcher=fetcher)])
    return document.write_pdf(), len(document.pages)


def _local_fetcher(allowed: Iterable[str]):
    from weasyprint.urls import URLFetcher  # only in the render process, like html_to_pdf's import

    allowed_paths = {str(Path(path).resolve()) for path in allowed}

    class LocalFiles(URLFetcher):
        """``data:`` URLs and the allowed files; anything else is refused (WeasyPrint logs and skips it)."""

        def fetch(self, url: str, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file" and str(Path(unquote(parts.path)).resolve()) in allowed_paths:
                return super().fetch(url, headers)
            raise ValueError(f"not fetched in a report: {url[:200]}")

    return LocalFiles(allowed_protocols={"file", "data"}, timeout=5)


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_job(work: Path) -> int:
    """The render process's body: cap memory, render the job in ``work``, write the PDF or the error; exit code."""
    job = json.loads((work / "job.json").read_text(encoding="utf-8"))
    # Opened before the cap: near the limit, even a small write can fail to allocate its buffer.
    error_fd = os.open(work / "error.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _limit_memory(job["memory_mb"])
    try:
        importing = time.perf_counter()
        import weasyprint  # noqa: F401 - imported here so the render's own time is measured apart

        started, cpu_started = time.perf_counter(), _cpu_seconds()
        pdf, pages = html_to_pdf((work / "report.html").read_text(encoding="utf-8"), stylesheet=job["stylesheet"],
                                 allowed_files=job["allowed"])
        seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu_started
    except MemoryError:
        failure = _OUT_OF_MEMORY
    except BaseException as error:  # noqa: BLE001 - every failure is reported to the parent, then we exit
        failure = _describe(error)
    else:
        failure = b""
    if failure:  # written out here, not in the except: the half-built document is freed by now
        os.write(error_fd, failure)
        return 1
    os.close(error_fd)
    os.unlink(work / "error.json")
    (work / "report.pdf").write_bytes(pdf)
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats = {"pages": pages, "seconds": seconds, "cpu_seconds": cpu_seconds, "max_rss_kb": usage,
             "import_seconds": started - importing}
    (work / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    return 0


_OUT_OF_MEMORY = b'{"type": "MemoryError", "message": ""}'


def _describe(error: BaseException) -> bytes:
    try:
        return json.dumps({"type": type(error).__name__, "message": str(error)[:_ERROR_MAX]}).encode()
    except MemoryError:
        return _OUT_OF_MEMORY


if __name__ == "__main__":
    sys.exit(run_job(Path(sys.argv[1])))
