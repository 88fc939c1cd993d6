"""The real source: Debian's Alertmanager 0.25 posts to Kalm's webhook on loopback.

``amtool alert add`` fires an alert; Alertmanager (``group_wait`` 1 s) notifies Kalm, which
opens the incident and sends the acknowledgment (read at aiosmtpd); expiring the alert
resolves it per the integration's policy. With Kalm's web server stopped while Alertmanager
sends, Alertmanager's own retry delivers it once Kalm is back: exactly one incident.
"""

import pytest
from django.db import connection
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from cadence.tick import tick
from incidents.models import Incident, Status
from intake.integrations import integration_get_or_create
from intake.models import Alert, IntakeRequest
from tests.comms.processes import wait_for
from tests.comms.servers import LOOPBACK, free_port
from tests.intake.alertmanager_process import Alertmanager, available
from tests.intake.helpers import mails_to
from tests.scenarios import people

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): Kalm's web server thread and the test read and "
                              "write at the same time, which SQLite's shared in-memory test database cannot do"),
    pytest.mark.skipif(not available(), reason="Debian's prometheus-alertmanager (with amtool) is not installed"),
]


@pytest.fixture
def kalm_web():
    """Kalm's web server on a fixed port, which a test may stop and start again."""
    port = free_port()
    servers = [LiveServer(f"{LOOPBACK}:{port}")]
    yield port, servers
    for server in servers:
        server.stop()


@pytest.fixture
def scene(account_manager, http_sink):
    return people.cast(account_manager, http_sink.url("/hook"))


@pytest.fixture
def alertmanager_for(tmp_path, request):
    started = []

    def start(url: str) -> Alertmanager:
        process = Alertmanager(tmp_path, url).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            print(process.log_text()[-5000:])


def webhook(port: int, integration) -> str:
    return f"http://{LOOPBACK}:{port}/intake/{integration.token}/"


def test_amtool_alert_opens_the_incident_acknowledges_and_expiry_resolves_it(
        kalm_web, scene, smtp_server, alertmanager_for):
    port, _servers = kalm_web
    integration = integration_get_or_create(customer=scene.midsize, kind="alertmanager")
    integration.resolution, integration.quiet_minutes = "auto", 0
    integration.save()
    alertmanager = alertmanager_for(webhook(port, integration))

    alertmanager.fire("FileServerDown", severity="critical", component="File server",
                      annotations={"summary": "File server unreachable"})

    wait_for(lambda: mails_to(smtp_server, "it@midsize.example"), timeout=30, what="the acknowledgment e-mail")
    incident = Incident.objects.get()
    assert (incident.title, incident.severity) == ("File server unreachable", "critical")
    assert incident.affected.get().component.name == "Bestandsserver"
    mail, = mails_to(smtp_server, "it@midsize.example")
    assert mail.language == "nl" and incident.first_link.number in mail.subject
    assert "Wij zijn op de hoogte van een incident bij MidSize" in mail.text

    alertmanager.expire("FileServerDown", severity="critical", component="File server")
    # The "working again" e-mail goes out after the change commits.
    wait_for(lambda: any("Onze monitoring laat zien dat de dienst weer werkt" in m.text
                         for m in mails_to(smtp_server, "iedereen@midsize.example")),
             timeout=30, what="the monitoring e-mail once the alert resolved")
    assert Incident.objects.get().status == Status.MONITORING
    report = tick(timezone.now())
    assert Incident.objects.get().status == Status.RESOLVED, str(report)
    assert Incident.objects.count() == 1
    wait_for(lambda: any("De storing is opgelost" in m.text for m in mails_to(smtp_server, "iedereen@midsize.example")),
             timeout=30, what="the resolution e-mail to end users")


def test_alertmanager_retries_while_kalm_is_down_and_one_incident_results(
        kalm_web, scene, smtp_server, alertmanager_for):
    port, servers = kalm_web
    integration = integration_get_or_create(customer=scene.midsize, kind="alertmanager")
    alertmanager = alertmanager_for(webhook(port, integration))
    servers.pop().stop()  # Kalm's web server is down

    alertmanager.fire("MailDown", severity="high", annotations={"summary": "Mail server unreachable"})
    wait_for(lambda: "Notify for alerts failed" in alertmanager.log_text()
             or "connection refused" in alertmanager.log_text(), timeout=30,
             what="Alertmanager failing to reach Kalm")
    assert not Incident.objects.exists()

    servers.append(LiveServer(f"{LOOPBACK}:{port}"))  # back on the same address
    wait_for(lambda: IntakeRequest.objects.filter(status_code=202, state="done").exists(), timeout=30,
             what="Alertmanager's retry received")
    wait_for(lambda: mails_to(smtp_server, "it@midsize.example"), timeout=30, what="the acknowledgment")
    incident = Incident.objects.get()
    assert incident.title == "Mail server unreachable" and incident.severity == "high"
    assert Alert.objects.count() == 1
    assert len(mails_to(smtp_server, "it@midsize.example")) == 1
