"""Shared fixtures. Personas for permission tests: the assigned account manager, another
account manager, a manager who sees everything, and anonymous."""

from collections.abc import Iterator

import pytest

from flows import incidents as incident_flow
from tests.comms.servers import LOOPBACK, HttpSink, SmtpServer
from tests.factories import ComponentFactory, CustomerFactory, ManagerFactory, UserFactory

pytest_plugins = ["tests.browser_fixtures"]  # Chromium, one for every directory's browser tests


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_inline():
    """Tasks run in the caller (after commit) unless a test starts a real worker (tests/comms/test_worker.py)."""
    from kalm.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: cached counts are keyed by primary keys, which the
    rolled-back transactions of earlier tests hand out again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests read static files through the finders; the hashed manifest exists only after collectstatic.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.KALM_STATUS_SNAPSHOTS = False  # computed pages; tests/statuspage/conftest.py's `snapshots` turns it on


@pytest.fixture
def customer(db):
    return CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="nl")


@pytest.fixture
def other_customer(db):
    return CustomerFactory(name="Northwind Ltd", slug="northwind", incident_prefix="NWL", language="en",
                           time_zone="Europe/London")


@pytest.fixture
def file_server(customer):
    return ComponentFactory(customer=customer, name="File server", group="Servers", position=1)


@pytest.fixture
def erp(customer):
    return ComponentFactory(customer=customer, name="ERP", group="Applications", position=2)


@pytest.fixture
def account_manager(customer):
    user = UserFactory(username="anna")
    customer.account_managers.add(user)
    return user


@pytest.fixture
def other_account_manager(other_customer):
    user = UserFactory(username="otto")
    other_customer.account_managers.add(user)
    return user


@pytest.fixture
def manager(db):
    return ManagerFactory(username="maria")


@pytest.fixture
def incident(customer, file_server, erp, account_manager):
    return incident_flow.open_incident(
        customer=customer,
        title="Server outage",
        category="server",
        severity="critical",
        message="We are investigating an outage of the file server.",
        author=account_manager,
        business_impact="Production planning is down.",
        component_statuses={file_server: "major_outage", erp: "partial_outage"},
    )


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1; ``settings.MAILERS["default"]`` points at it.

    Inspect ``.messages`` (envelope + parsed message) and ``.sessions``; script replies with
    ``.reject(address)`` (550) and ``.defer(address)`` (451); ``.stop()``/``.start()`` it.
    """
    server = SmtpServer()
    server.start()
    settings.MAILERS = server.mailer_settings()
    yield server
    server.stop()


@pytest.fixture
def http_sink(settings) -> Iterator[HttpSink]:
    """A running HTTP server on 127.0.0.1: ``.url(path)``, ``.requests``, ``.reply(path, status, ...)``.

    Kalm connects only to public addresses: the sink's loopback address is added to
    ``KALM_OUTBOUND_ALLOW``, as an operator would list an internal host.
    """
    settings.KALM_OUTBOUND_ALLOW = [*settings.KALM_OUTBOUND_ALLOW, LOOPBACK]
    sink = HttpSink()
    sink.start()
    yield sink
    sink.stop()
