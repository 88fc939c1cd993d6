"""Nobody hears of an incident first from a later phase (comms.directory.lifecycle, comms.directory.routing)."""

import pytest

from comms.directory.routing import routing_table
from comms.models import Communication, RoutingRule, Stakeholder
from flows import incidents as incident_flow

pytestmark = pytest.mark.django_db


def person(customer, role, audience, email, language="nl"):
    return Stakeholder.objects.create(customer=customer, name=email, role=role, audience=audience,
                                      language=language, email=email)


def kinds_for(stakeholder, update) -> list[str]:
    return [c.kind for c in Communication.objects.filter(update=update) if stakeholder.pk in c.recipient_ids]


def open_incident(customer, author, severity="high"):
    return incident_flow.open_incident(customer=customer, title="Storing", category="server", severity=severity,
                                  message="Wij onderzoeken het.", author=author)


def test_someone_added_mid_incident_is_acknowledged_before_any_update(customer, account_manager):
    incident = open_incident(customer, account_manager)
    newcomer = person(customer, "customer_it", "technical", "new@midsize.example")
    update = incident_flow.post_update(incident=incident, author=account_manager, status="identified",
                                           message="Oorzaak gevonden.")
    assert kinds_for(newcomer, update) == ["acknowledgment"]
    later = incident_flow.post_update(incident=incident, author=account_manager, status="monitoring",
                                          message="Het werkt weer.")
    assert kinds_for(newcomer, later) == ["update"]


def test_someone_never_told_does_not_first_hear_that_it_is_over(customer, account_manager):
    incident = open_incident(customer, account_manager)
    newcomer = person(customer, "contract_contact", "operational", "late@midsize.example")
    resolved = incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                             message="Opgelost.")
    assert kinds_for(newcomer, resolved) == []


def test_everyone_told_hears_how_it_ended_whatever_the_severity_now(customer, account_manager):
    director = person(customer, "executives", "executive", "directie@midsize.example")
    incident = open_incident(customer, account_manager, severity="critical")
    incident_flow.post_update(incident=incident, author=account_manager, severity="medium",
                                  message="Minder ernstig dan gedacht.")
    resolved = incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                             message="Opgelost.")
    # Executives get resolutions from High only, but this one was told at Critical.
    assert kinds_for(director, resolved) == ["resolution"]


def test_a_role_is_acknowledged_wherever_a_later_message_reaches_it(customer):
    RoutingRule.objects.create(customer=customer, role="executives", kind="resolution", min_severity="low")
    table = routing_table(customer)
    assert table["executives"]["acknowledgment"] == "low"
    assert table["affected_users"]["acknowledgment"] == "low"
    assert routing_table(customer)["media"] == {}  # nothing later, nothing widened
