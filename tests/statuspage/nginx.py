"""deploy/nginx.conf on this machine: rendered for local paths and ports inside a minimal main
configuration (the same shape as the nginx image's), for the tests and bench/statuspage.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "deploy" / "nginx.conf"
EXTRA_MARKER = "    # (bench/statuspage.py adds its static comparison location here.)\n"


def render_site(*, snapshots: Path, static: Path, cache: Path, upstream: str, port: int, extra: str = "") -> str:
    """The server block with docker-compose's names (web:8000, /srv/kalm/…) swapped for local ones."""
    text = SITE.read_text()
    replacements = {
        "server web:8000;": f"server {upstream};",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "/srv/kalm/snapshots": str(snapshots),
        "/srv/kalm/static/": f"{static}/",
        "/var/cache/nginx/kalm": str(cache),
        EXTRA_MARKER: EXTRA_MARKER + extra,
    }
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"deploy/nginx.conf no longer contains {old!r}; update tests/statuspage/nginx.py")
        text = text.replace(old, new)
    return text


def write_config(directory: Path, site: str, *, workers_as_root: bool = False) -> Path:
    """nginx.conf for a foreground nginx whose pid, logs and temp files stay in ``directory``.

    ``workers_as_root`` for trees an unprivileged worker cannot traverse (pytest's 0700 tmp).
    """
    (directory / "kalm.conf").write_text(site)
    config = directory / "nginx.conf"
    user = "user root;" if workers_as_root and os.geteuid() == 0 else ""
    config.write_text(f"""{user}
worker_processes auto;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/kalm.conf;
}}
""")
    return config


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def check(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([nginx_binary(), "-t", "-q", "-c", str(config)], capture_output=True, text=True)


class Nginx:
    """A foreground nginx on ``config``; ``stop()`` ends it (and only it) by its pid."""

    def __init__(self, config: Path, port: int) -> None:
        self.config, self.port = config, port
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 10) -> Nginx:
        self.process = subprocess.Popen([nginx_binary(), "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/static/", timeout=1)
                return self
            except urllib.error.HTTPError:
                return self  # any HTTP answer means it listens
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {self.process.stderr.read().decode()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # the master stops its workers
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
