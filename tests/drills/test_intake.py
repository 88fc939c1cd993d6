"""A real monitoring alert never joins a drill: the inbox does not offer it, and a crafted merge is a 404."""

import pytest
from django.test import Client

from flows.drills import start_drill
from intake.integrations import integration_get_or_create
from intake.models import Alert, AlertState
from tests.intake.helpers import am_alert, am_payload, post

pytestmark = pytest.mark.django_db


def test_an_alert_in_the_inbox_cannot_be_merged_into_a_drill(client, customer, desk, account_manager,
                                                            django_capture_on_commit_callbacks):
    draft = integration_get_or_create(customer=customer, kind="alertmanager", policy="draft")
    drill = start_drill(customer, "midsize-outage", started_by=account_manager)
    post(Client(), draft, am_payload(am_alert("FileServerDown", summary="File server unreachable")),
         capture=django_capture_on_commit_callbacks)
    alert = Alert.objects.get()
    client.force_login(account_manager)
    inbox = client.get("/console/monitoring/alerts/").content.decode()
    assert "File server unreachable" in inbox and drill.first_link.number not in inbox
    assert client.post(f"/console/monitoring/alerts/{alert.pk}/merge/", {"incident": drill.pk}).status_code == 404
    alert.refresh_from_db()
    assert alert.state == AlertState.INBOX and not drill.alerts.exists()
