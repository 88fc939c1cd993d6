"""Every source opens and closes an incident through Kalm's endpoint, with payloads built from
its documented format (tests/intake/fixtures), and the customers' people hear of it."""

import json

import pytest

from incidents.models import Incident, Status
from intake.integrations import integration_get_or_create
from tests.intake.helpers import last_outcome, mails_to, post
from tests.intake.test_sources import FIXTURES, GENERIC_PAGERDUTY

pytestmark = pytest.mark.django_db

GROUPED = {"alertmanager", "grafana"}

SOURCES = [  # kind, firing fixture, resolved fixture, mapping
    ("alertmanager", "alertmanager_firing", "alertmanager_resolved", {}),
    ("grafana", "grafana_firing", "grafana_resolved", {}),
    ("uptimekuma", "uptimekuma_down", "uptimekuma_up", {}),
    ("zabbix", "zabbix_problem", "zabbix_recovery", {}),
    ("ninjaone", "ninjaone_triggered", "ninjaone_reset", {}),
    ("dattormm", "dattormm_raised", "dattormm_resolved", {}),
    ("generic", "generic_pagerduty_trigger", "generic_pagerduty_resolve", GENERIC_PAGERDUTY),
]


@pytest.mark.parametrize(("kind", "firing", "resolved", "mapping"), SOURCES, ids=[s[0] for s in SOURCES])
def test_the_source_opens_and_closes_an_incident(kind, firing, resolved, mapping, client, cast, smtp_server,
                                                 django_capture_on_commit_callbacks):
    integration = integration_get_or_create(customer=cast.midsize, kind=kind)
    integration.mapping = mapping
    integration.save()

    opened = post(client, integration, (FIXTURES / f"{firing}.json").read_bytes(),
                  capture=django_capture_on_commit_callbacks)

    assert opened.status_code == 202, opened.content
    assert last_outcome(integration).get("opened") == 1
    incident = Incident.objects.get()
    assert incident.title and incident.status == Status.INVESTIGATING
    mail, = mails_to(smtp_server, "it@midsize.example")
    assert mail.language == "nl" and incident.first_link.number in mail.subject

    closed = post(client, integration, (FIXTURES / f"{resolved}.json").read_bytes(),
                  capture=django_capture_on_commit_callbacks)

    assert closed.status_code == 202, closed.content
    if kind in GROUPED:  # the fixture clears one of the group's two alerts: the other still fires
        assert last_outcome(integration) == {"cleared": 1}
        assert Incident.objects.get().status == Status.INVESTIGATING
        everything = json.loads((FIXTURES / f"{firing}.json").read_text())
        everything["status"] = "resolved"
        for alert in everything["alerts"]:
            alert["status"] = "resolved"
        closed = post(client, integration, everything, capture=django_capture_on_commit_callbacks)
    assert last_outcome(integration).get("recovered") == 1
    incident.refresh_from_db()
    assert incident.status == Status.MONITORING
    assert "Onze monitoring laat zien dat de dienst weer werkt" in mails_to(smtp_server,
                                                                             "iedereen@midsize.example")[-1].text
