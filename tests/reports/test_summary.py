"""Sending the post-incident summary: a public entry, POST_INCIDENT messages with the report link."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from comms.models import Communication, Stakeholder
from flows import incidents as incident_flow
from flows.incidents import send_post_incident_summary as incident_send_post_incident_summary
from tests.comms.texts import rendered


@pytest.fixture
def resolved(incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                  message="Disk replaced; all systems are back.")
    incident.refresh_from_db()
    return incident


def test_summary_needs_a_resolved_incident(incident, account_manager):
    with pytest.raises(ValidationError):
        incident_send_post_incident_summary(incident=incident, author=account_manager, message="Summary.")
    incident.refresh_from_db()
    assert incident.post_incident_sent_at is None


@pytest.fixture
def it_contact(customer):
    """A contact from before the incident: told of it from the start, so told how it ended."""
    return Stakeholder.objects.create(customer=customer, name="IT", role="customer_it", audience="technical",
                                      language="en", email="it@midsize.example")


def test_summary_reaches_routed_stakeholders_and_stops_the_clock(it_contact, resolved, customer, account_manager,
                                                               monkeypatch):
    from flows import incidents as flows

    monkeypatch.setattr(flows, "summary_facts", lambda incident, customer: {"report_url": "https://kalm.example/r/abc/"})
    update = incident_send_post_incident_summary(incident=resolved, author=account_manager,
                                                 message="A disk failed; we replaced it and added monitoring.")
    [communication] = rendered(Communication.objects.filter(update=update))
    assert communication.kind == "post_incident" and "https://kalm.example/r/abc/" in communication.body_text
    assert "A disk failed; we replaced it and added monitoring." in communication.body_text  # the summary's own words
    resolved.refresh_from_db()
    assert resolved.post_incident_sent_at == update.created_at


def test_the_summary_links_the_finished_report_with_a_signed_link(it_contact, resolved, customer, account_manager):
    """flows.incidents asks reports for each customer's link: none before a report is finished."""
    from reports.links import summary_facts

    assert summary_facts(resolved, customer) == {"report_url": ""}


def test_console_button_sends_the_summary(client, it_contact, resolved, account_manager):
    client.force_login(account_manager)
    # The English-reading IT contact makes the form ask for English beside the incident's Dutch.
    response = client.post(reverse("reports:send_summary", args=[resolved.pk]), {"message": "Wat er gebeurde."})
    assert response.status_code == 422 and "No English version" in response.text
    assert resolved.updates.filter(kind="post_incident").count() == 0
    response = client.post(reverse("reports:send_summary", args=[resolved.pk]),
                           {"message": "Wat er gebeurde.", "message__en": "What happened and what changes now."})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.post_incident_sent_at is not None
    [sent] = [c for c in rendered(Communication.objects.filter(update__kind="post_incident"))
              if it_contact.pk in c.recipient_ids]
    assert "What happened and what changes now." in sent.body_text and "Wat er gebeurde" not in sent.body_text


def test_other_account_manager_cannot_send(client, resolved, other_account_manager):
    client.force_login(other_account_manager)
    response = client.post(reverse("reports:send_summary", args=[resolved.pk]), {"message": "x"})
    assert response.status_code == 404
    resolved.refresh_from_db()
    assert resolved.post_incident_sent_at is None
