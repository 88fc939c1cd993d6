"""Debian's Prometheus Alertmanager (0.25) on loopback, its webhook receiver pointed at Kalm, and
``amtool`` to fire and expire alerts: the real source, for tests and bench/intake.py."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.comms.processes import wait_for
from tests.comms.servers import LOOPBACK, free_port

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")

CONFIG = """\
route:
  receiver: kalm
  group_by: ['alertname']
  group_wait: {group_wait}
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: kalm
    webhook_configs:
      - url: '{url}'
        send_resolved: true
"""


class Alertmanager:
    def __init__(self, folder: Path, webhook_url: str, *, group_wait: str = "1s") -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        (folder / "alertmanager.yml").write_text(CONFIG.format(url=webhook_url, group_wait=group_wait))
        self.log = folder / "alertmanager.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Alertmanager:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
            [BINARY, f"--config.file={self.folder / 'alertmanager.yml'}", f"--storage.path={self.folder / 'data'}",
             f"--web.listen-address={LOOPBACK}:{self.port}", "--cluster.listen-address=", "--log.level=debug"],
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        wait_for(self._ready, timeout=20, what="Alertmanager ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"Alertmanager exited:\n{self.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:  # noqa: S310 - loopback
                return response.status == 200
        except OSError:
            return False

    def fire(self, name: str, *, end: datetime | None = None, annotations: dict[str, str] | None = None,
             **labels: str) -> None:
        """``amtool alert add``: the alert fires now (until ``end``, default an hour)."""
        end = end or datetime.now(UTC) + timedelta(hours=1)
        arguments = [AMTOOL, "alert", "add", f"alertname={name}", *(f"{k}={v}" for k, v in labels.items()),
                     *(f"--annotation={k}={v}" for k, v in (annotations or {}).items()),
                     f"--end={end.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}", f"--alertmanager.url={self.url}",
                     "--no-version-check"]
        subprocess.run(arguments, check=True, capture_output=True, timeout=30)  # noqa: S603

    def expire(self, name: str, **labels: str) -> None:
        """The alert ends now: Alertmanager sends it as resolved at the group's next flush."""
        self.fire(name, end=datetime.now(UTC) + timedelta(milliseconds=200), **labels)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def available() -> bool:
    return bool(BINARY and AMTOOL)


def settle(seconds: float) -> None:
    time.sleep(seconds)
