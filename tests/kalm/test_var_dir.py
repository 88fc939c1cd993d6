"""KALM_VAR_DIR may point anywhere: Kalm creates the folders it needs there (issue 11, finding 8).

`make run` with KALM_VAR_DIR elsewhere used to fail (FileNotFoundError: …/celery/queue): the
Makefile created ./var/celery/… itself. Here the Procfile's own commands start in a fresh,
nested KALM_VAR_DIR with nothing but `manage.py migrate` run before them, as `make run` does;
and docker-compose.yml is held to running the same commands.
"""

import os
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import yaml

from tests.comms.processes import REPO, wait_for
from tests.comms.servers import LOOPBACK, free_port

BIN = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    lines = (REPO / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def fresh_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without a database or Redis: SQLite and the file broker under ``var_dir``."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "KALM_VAR_DIR"}}
    return env | {"DJANGO_SETTINGS_MODULE": "kalm.settings", "KALM_VAR_DIR": str(var_dir)} | extra


def migrate(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_migrate_creates_every_folder_the_settings_name(tmp_path):
    var_dir = tmp_path / "elsewhere" / "kalm-var"  # neither exists yet

    result = migrate(fresh_env(var_dir))

    assert result.returncode == 0, result.stderr
    assert (var_dir / "kalm.sqlite3").is_file()
    for folder in ("celery/queue", "celery/processed", "celery/control", "mail", "media", "snapshots"):
        assert (var_dir / folder).is_dir(), folder


def test_a_folder_that_cannot_be_created_names_its_setting(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = migrate(fresh_env(blocker / "var"))

    assert result.returncode != 0 and "KALM_VAR_DIR: cannot create the folder" in result.stderr


def test_the_snapshot_folder_follows_its_own_setting(tmp_path):
    snapshots = tmp_path / "published" / "pages"
    result = migrate(fresh_env(tmp_path / "var", KALM_SNAPSHOT_DIR=str(snapshots)))
    assert result.returncode == 0, result.stderr
    assert snapshots.is_dir() and not (tmp_path / "var" / "snapshots").exists()


def test_the_procfiles_processes_start_and_work_in_a_fresh_var_dir(tmp_path):
    var_dir = tmp_path / "run" / "var"
    port = free_port()
    env = fresh_env(var_dir, HOST=LOOPBACK, PORT=str(port), KALM_STATUS_SNAPSHOTS="0")
    assert migrate(env).returncode == 0
    logs = {name: tmp_path / f"{name}.log" for name in procfile()}
    processes = {}
    try:
        for name, command in procfile().items():
            with logs[name].open("wb") as log:
                # As honcho runs them: through a shell, from the project folder (.venv/bin is this interpreter's).
                processes[name] = subprocess.Popen(["bash", "-c", command.replace(".venv/bin/", f"{BIN}/")],
                                                   cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)

        def output(name: str) -> str:
            if processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {processes[name].returncode}:\n{logs[name].read_text()}")
            return logs[name].read_text(errors="replace")

        wait_for(lambda: " ready." in output("worker"), timeout=60, what="the worker ready")
        wait_for(lambda: any(var_dir.glob("celerybeat-schedule*")) and "beat: Starting" in output("beat"),
                 timeout=60, what="beat's schedule in KALM_VAR_DIR")
        wait_for(lambda: _answers(f"http://{LOOPBACK}:{port}/readyz"), timeout=60, what="web answering")
        # A task through the file broker under KALM_VAR_DIR, as a web request would send one.
        send = "import django; django.setup(); from comms.tasks import sweep; sweep.delay()"
        subprocess.run([sys.executable, "-c", send], cwd=REPO, env=env, check=True, timeout=60)
        wait_for(lambda: "comms.tasks.sweep" in output("worker") and "succeeded" in output("worker"),
                 timeout=60, what="the worker running the task")
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert not [line for log in logs.values() for line in log.read_text().splitlines() if "FileNotFoundError" in line]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - the test's own server
            return response.status == 200
    except OSError:
        return False


def test_docker_compose_runs_the_procfiles_commands_with_the_var_dir_on_a_volume():
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for name, command in procfile().items():
        expected = shlex.split(command.replace("${HOST:-127.0.0.1}:${PORT:-8000}", "0.0.0.0:8000"))
        assert services[name]["command"] == expected, name
        assert services[name]["environment"]["KALM_VAR_DIR"] == "/app/var"
        assert "kalm-var:/app/var" in services[name]["volumes"]


def test_the_makefile_leaves_the_folders_to_kalm():
    assert "mkdir" not in (REPO / "Makefile").read_text(), "Kalm creates the folders its settings name (kalm.folders)"
