"""Runs the test IdP (tests/accounts/oidc_idp/settings.py) as a real server on loopback.

``oidc_idp`` (session fixture): a fresh SQLite file and RSA key in a temporary folder, ``migrate``,
then gunicorn on a free port of 127.0.0.1; ``.seed(users=..., clients=...)`` adds accounts and
registered clients; ``kalm_settings(...)`` points Kalm at it through the same environment variables
an operator sets (KALM_OIDC_ISSUER, ...). Import the fixture into a test module to use it.
"""

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.comms.servers import free_port

REPO = Path(__file__).resolve().parents[3]
SETTINGS = "tests.accounts.oidc_idp.settings"


class OidcProvider:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.origin}/o"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file = workdir / "idp-rsa.pem"
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self.env = {
            **{name: value for name, value in os.environ.items() if not name.startswith(("KALM_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "PYTHONPATH": str(REPO),
            "IDP_SECRET_KEY": secrets.token_urlsafe(48),
            "IDP_DATABASE": str(workdir / "idp.sqlite3"),
            "IDP_RSA_KEY_FILE": str(key_file),
            "IDP_ISSUER": self.issuer,
        }
        self.log = workdir / "idp.log"
        self.process: subprocess.Popen | None = None

    def _run(self, *args: str) -> None:
        result = subprocess.run([sys.executable, *args], cwd=REPO, env=self.env, capture_output=True, text=True,
                                timeout=120)
        if result.returncode:
            raise RuntimeError(f"IdP {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self._run("-m", "django", "migrate", "--verbosity", "0")
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "tests.accounts.oidc_idp.wsgi:application",
                 "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4", "--access-logfile", "-"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the IdP stopped:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"the IdP did not answer in 30 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def seed(self, *, users: list[dict] = (), clients: list[dict] = ()) -> None:
        self._run("-m", "tests.accounts.oidc_idp.seed", json.dumps({"users": list(users), "clients": list(clients)}))

    def kalm_settings(self, settings, monkeypatch, *, client_id: str, client_secret: str, name: str = "Test IdP",
                      manager_groups: str = "", customer_groups: dict | None = None, link_by_email: str = "") -> None:
        """Configure Kalm for this IdP the way an operator does: environment variables, read by the settings."""
        from accounts.oidc_settings import oidc_role_mapping, openid_connect_apps

        monkeypatch.setenv("KALM_OIDC_ISSUER", self.issuer)
        monkeypatch.setenv("KALM_OIDC_CLIENT_ID", client_id)
        secret_file = self.workdir / f"{client_id}.secret"
        secret_file.write_text(client_secret + "\n")
        monkeypatch.setenv("KALM_OIDC_CLIENT_SECRET_FILE", str(secret_file))  # as a Docker secret
        monkeypatch.setenv("KALM_OIDC_NAME", name)
        monkeypatch.setenv("KALM_OIDC_MANAGER_GROUPS", manager_groups)
        monkeypatch.setenv("KALM_OIDC_CUSTOMER_GROUPS", json.dumps(customer_groups or {}))
        monkeypatch.setenv("KALM_OIDC_LINK_BY_EMAIL", link_by_email)
        settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": openid_connect_apps()}}
        settings.KALM_OIDC = oidc_role_mapping()


@pytest.fixture(scope="session")
def oidc_idp(tmp_path_factory) -> Iterator[OidcProvider]:
    provider = OidcProvider(tmp_path_factory.mktemp("oidc-idp"))
    provider.start()
    yield provider
    provider.stop()
