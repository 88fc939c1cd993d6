"""Escalation triggers on timeline entries → the matrix's roles, one message per stakeholder per entry."""

import pytest

from comms.directory.escalation import DEFAULT_ESCALATION, escalation_matrix, role_kinds_for_update, update_triggers
from comms.models import Communication, EscalationRule, Stakeholder
from flows import incidents as incident_flow
from tests.comms.texts import rendered

ROLES = {
    # name: role, audience
    "Staff": ("affected_users", "end_user"),
    "IT": ("customer_it", "technical"),
    "Ops": ("management", "operational"),
    "CEO": ("executives", "executive"),
    "Legal": ("regulator", "executive"),
    "Desk": ("internal_msp", "technical"),
}


@pytest.fixture
def people(customer):
    return {name: Stakeholder.objects.create(customer=customer, name=name, role=role, audience=audience,
                                             language="nl", email=f"{name.lower()}@midsize.example")
            for name, (role, audience) in ROLES.items()}


def open_incident(customer, author, severity="low", **extra):
    return incident_flow.open_incident(customer=customer, title="Mail down", category="email", severity=severity,
                                  message="We are looking into it.", author=author, **extra)


def kinds_by_person(update, people) -> dict[str, str]:
    """Who got what from this entry; fails if anyone got two messages."""
    names = {person.pk: name for name, person in people.items()}
    received: dict[str, str] = {}
    for communication in Communication.objects.filter(update=update):
        for stakeholder_id in communication.recipient_ids:
            assert names[stakeholder_id] not in received, f"{names[stakeholder_id]} got two messages"
            received[names[stakeholder_id]] = communication.kind
    return received


def post(incident, author, **facts):
    return incident_flow.post_update(incident=incident, author=author, **facts)


def test_the_default_matrix_names_a_role_for_every_trigger():
    assert {trigger: set(roles) for trigger, roles in DEFAULT_ESCALATION.items()} == {
        "severity_raised": {"management", "executives"},
        "time_threshold": {"management", "internal_msp"},
        "business_impact": {"management", "executives"},
        "external_impact": {"management", "executives", "internal_msp"},
        "regulatory": {"regulator", "management"},
        "update_overdue": {"internal_msp"},
    }


def test_severity_raised_reaches_the_matrix_even_where_routing_would_not(customer, people, account_manager):
    incident = open_incident(customer, account_manager, severity="low")
    update = post(incident, account_manager, severity="medium", message="More users are affected.")
    # Routing alone sends executives escalations only from high; the matrix adds them now.
    assert kinds_by_person(update, people) == {
        "Staff": "update", "IT": "escalation", "Ops": "escalation", "CEO": "escalation", "Desk": "escalation",
    }


def test_business_impact_identified_escalates_instead_of_updating(customer, people, account_manager):
    incident = open_incident(customer, account_manager, business_impact="")
    update = post(incident, account_manager, business_impact="Invoices cannot be sent.", message="Update.")
    assert update.facts_changed == ["business_impact"]
    received = kinds_by_person(update, people)
    assert {name: kind for name, kind in received.items() if kind == "escalation"} == {
        "Ops": "escalation", "CEO": "escalation"}
    assert received["IT"] == "update" and "Legal" not in received


def test_business_impact_removed_is_no_escalation(customer, people, account_manager):
    incident = open_incident(customer, account_manager, business_impact="Invoices cannot be sent.")
    update = post(incident, account_manager, business_impact="", message="Invoicing works again.")
    assert "escalation" not in kinds_by_person(update, people).values()


def test_an_internal_note_with_business_impact_escalates_without_leaking_the_note(customer, people,
                                                                                   account_manager):
    incident = open_incident(customer, account_manager, business_impact="")
    update = post(incident, account_manager, is_internal=True, message="CFO called, furious.",
                  business_impact="Invoices cannot be sent.")
    assert kinds_by_person(update, people) == {"Ops": "escalation", "CEO": "escalation"}
    for communication in rendered(Communication.objects.filter(update=update)):
        assert "furious" not in communication.body_text and "Invoices cannot be sent." in communication.body_text


def test_external_impact_flagged(customer, people, account_manager):
    incident = open_incident(customer, account_manager)
    update = post(incident, account_manager, external_impact=True, message="Customers of ours see it too.")
    received = kinds_by_person(update, people)
    assert {name for name, kind in received.items() if kind == "escalation"} == {"Ops", "CEO", "Desk"}


def test_personal_data_flagged_sends_the_regulatory_notice(customer, people, account_manager):
    incident = open_incident(customer, account_manager)
    update = post(incident, account_manager, personal_data_involved=True, is_internal=True,
                  message="A mailbox with HR files was reachable.")
    assert kinds_by_person(update, people) == {"Legal": "regulatory", "Ops": "regulatory"}
    assert incident.regulatory_clocks.filter(regime="gdpr").exists()


def test_personal_data_at_opening_goes_with_the_acknowledgment(customer, people, account_manager):
    incident = open_incident(customer, account_manager, severity="critical", personal_data_involved=True)
    received = kinds_by_person(incident.updates.get(kind="opened"), people)
    assert received["Legal"] == received["Ops"] == "regulatory"
    assert received["IT"] == received["CEO"] == "acknowledgment"


def test_one_message_per_stakeholder_when_triggers_meet(customer, people, account_manager):
    incident = open_incident(customer, account_manager, business_impact="")
    update = post(incident, account_manager, severity="high", business_impact="Invoicing is down.",
                  personal_data_involved=True, external_impact=True, message="Worse than we thought.")
    assert set(update_triggers(update)) == {"severity_raised", "business_impact", "external_impact", "regulatory"}
    received = kinds_by_person(update, people)  # asserts nobody got two
    assert received["Ops"] == "regulatory"  # the formal notice carries what the escalation would
    assert received["CEO"] == "escalation" and received["Staff"] == "update"


def test_a_customer_rule_overrides_one_trigger(customer, people, account_manager):
    EscalationRule.objects.create(customer=customer, trigger="business_impact", roles=["customer_it", "bogus"])
    EscalationRule.objects.create(customer=customer, trigger="external_impact", roles=[])
    assert escalation_matrix(customer)["business_impact"] == ["customer_it"]
    assert escalation_matrix(customer)["severity_raised"] == DEFAULT_ESCALATION["severity_raised"]
    incident = open_incident(customer, account_manager, severity="medium", business_impact="")
    update = post(incident, account_manager, business_impact="Invoicing is down.", external_impact=True,
                  message="Update.")
    received = kinds_by_person(update, people)
    assert received["IT"] == "escalation" and received["Ops"] == "update" and "CEO" not in received


def test_resolution_is_no_escalation(customer, people, account_manager):
    incident = open_incident(customer, account_manager, business_impact="")
    update = post(incident, account_manager, status="resolved", business_impact="It was invoicing.",
                  message="Fixed.")
    assert role_kinds_for_update(update, customer) == {}
    assert set(kinds_by_person(update, people).values()) == {"resolution"}


def test_an_escalation_reaches_each_customer_by_its_own_matrix(customer, other_customer, people, account_manager):
    northwind = Stakeholder.objects.create(customer=other_customer, name="NW Ops", role="management",
                                           audience="operational", language="en", email="ops@northwind.example")
    EscalationRule.objects.create(customer=customer, trigger="business_impact", roles=[])
    incident = open_incident(customer, account_manager, business_impact="")
    incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager)
    update = post(incident, account_manager, business_impact="Both offices are down.", message="Update.")
    escalations = Communication.objects.filter(update=update, kind="escalation")
    assert [(c.customer, c.recipient_ids) for c in escalations] == [(other_customer, [northwind.pk])]
