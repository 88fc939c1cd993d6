"""The sign-up rate limit is one count per client, whichever web process answers (issue 11, finding 7).

gunicorn runs two workers (Procfile, docker-compose.yml): a count kept in one process's memory
let a client sign up KALM_SUBSCRIBE_RATE times per worker. Here two real processes count the
same client at the same moment, against the database ``make run`` uses (SQLite in a fresh
KALM_VAR_DIR) and against Redis.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from django.db import connection
from django.utils import timezone

from statuspage import signup_guard
from statuspage.models import SignupCounter
from tests.comms.processes import REPO, RedisServer, database_url

RATE = 5
ATTEMPTS_PER_PROCESS = 5
CLIENT = "203.0.113.7"

# Both processes wait for the go file, then count the same client as fast as they can.
COUNTER = textwrap.dedent(f"""
    import os, sys, time
    from pathlib import Path
    import django
    django.setup()
    from django.test import RequestFactory
    from statuspage.signup_guard import signup_rate_check
    go = Path(sys.argv[1])
    while not go.exists():
        time.sleep(0.005)
    factory = RequestFactory()
    verdicts = [signup_rate_check(factory.post("/", REMOTE_ADDR="{CLIENT}")) for _ in range({ATTEMPTS_PER_PROCESS})]
    print(sum(verdict.allowed for verdict in verdicts))
""")


def child_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    return env | {"DJANGO_SETTINGS_MODULE": "kalm.settings", "KALM_VAR_DIR": str(var_dir),
                  "KALM_SUBSCRIBE_RATE": str(RATE), "KALM_SUBSCRIBE_RATE_WINDOW_SECONDS": "600"} | extra


def allowed_in_two_processes(env: dict[str, str], tmp_path: Path) -> int:
    go = tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", COUNTER, str(go)], cwd=REPO, env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    go.touch()
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    return sum(int(stdout.strip()) for stdout, _stderr in outputs)


@pytest.fixture(scope="module")
def migrated_var_dir(tmp_path_factory) -> Path:
    """A KALM_VAR_DIR of its own with a migrated SQLite database, as `make run` starts with."""
    var_dir = tmp_path_factory.mktemp("kalm")
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO, env=child_env(var_dir),
                   check=True, capture_output=True, timeout=300)
    return var_dir


def test_two_web_processes_share_one_count_without_redis(migrated_var_dir, tmp_path):
    assert allowed_in_two_processes(child_env(migrated_var_dir), tmp_path) == RATE


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_one_count_in_postgresql(tmp_path):
    # Read committed: two processes may both find no row and both insert; one waits, then counts in the other's.
    env = child_env(tmp_path, DATABASE_URL=database_url(connection.settings_dict))
    assert allowed_in_two_processes(env, tmp_path) == RATE
    assert SignupCounter.objects.get().count == 2 * ATTEMPTS_PER_PROCESS


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program")
def test_two_web_processes_share_one_count_in_redis(migrated_var_dir, tmp_path):
    server = RedisServer().start()
    try:
        assert allowed_in_two_processes(child_env(migrated_var_dir, REDIS_URL=server.url()), tmp_path) == RATE
    finally:
        server.stop()


# --- in this process ------------------------------------------------------------------------


@pytest.fixture
def check(rf, settings):
    settings.KALM_SUBSCRIBE_RATE = 2
    settings.KALM_SUBSCRIBE_RATE_WINDOW_SECONDS = 600

    def attempt(address: str = CLIENT) -> signup_guard.RateVerdict:
        return signup_guard.signup_rate_check(rf.post("/", REMOTE_ADDR=address))

    return attempt


@pytest.mark.django_db
def test_the_database_count_starts_a_new_window_when_the_last_one_ends(check, settings):
    settings.REDIS_URL = ""
    assert [check().allowed for _ in range(3)] == [True, True, False]
    refused = check()
    assert 0 < refused.retry_after <= 600
    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        assert check().allowed
        assert SignupCounter.objects.get().count == 1
    assert check("192.0.2.9").allowed  # another client


@pytest.mark.django_db
def test_ipv6_clients_are_counted_per_64_network(check, settings):
    # One IPv6 subscriber line holds a /64 of addresses: counted per address, the limit would not hold.
    settings.REDIS_URL = ""
    assert [check(f"2001:db8:1:2::{n}").allowed for n in range(1, 4)] == [True, True, False]
    assert check("2001:db8:1:3::1").allowed


@pytest.mark.django_db
def test_redis_down_counts_in_the_database(check, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    assert [check().allowed for _ in range(3)] == [True, True, False]
    assert SignupCounter.objects.get().count == 3
    assert "Redis" in caplog.text


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program")
def test_a_redis_count_always_has_an_expiry(check, settings):
    server = RedisServer().start()
    try:
        settings.REDIS_URL = server.url()
        client = redis.Redis.from_url(server.url())
        # A count left without expiry (the old INCR after an expired window created one) would refuse
        # the client for ever; the next attempt gives it the window's expiry.
        client.set(signup_guard.CACHE_PREFIX + CLIENT, 7)
        assert check().allowed is False
        assert 0 < client.ttl(signup_guard.CACHE_PREFIX + CLIENT) <= 600
    finally:
        server.stop()
