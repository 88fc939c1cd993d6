"""A customer escalates: the fact is recorded and audited, and the customer's executives and management
receive a management summary, each in their own language, at the SMTP server; nobody else does."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from comms.models import Communication
from flows import followup as followup_flow
from flows import incidents as incident_flow
from followup.models import CustomerEscalation
from followup.services import escalation_close
from tests.factories import CustomerFactory, UserFactory


def body(mail) -> str:
    return mail.message.get_body(("plain",)).get_content()


def test_escalation_sends_a_management_summary_to_executives_in_their_language(
        customer, people, incident, account_manager, smtp_server, django_capture_on_commit_callbacks):
    # The acknowledgment (written, not sent: no commit in this test) introduced the executives.
    acknowledged = Communication.objects.filter(incident=incident, kind="acknowledgment", audience="executive")
    assert {people["ceo"].pk, people["cfo"].pk} <= {pk for c in acknowledged for pk in c.recipient_ids}
    opened = len(smtp_server.messages)
    with django_capture_on_commit_callbacks(execute=True):
        escalation, sent = followup_flow.record_escalation(
            incident=incident, customer=customer, raised_by="J. Bauer, CEO", channel="phone",
            demand="Wants a call with our director every two hours.", owner=account_manager, author=account_manager)
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp_server.messages[opened:]}
    assert set(received) == {"ceo@midsize.example", "cfo@midsize.example", "ops@midsize.example"}
    assert all(message["Subject"].startswith("[SUMMARY]") for message in received.values())
    mails = {mail.rcpt_tos[0]: mail for mail in smtp_server.messages[opened:]}
    assert received["ceo@midsize.example"]["Content-Language"] == "de"
    assert "Guten Tag" in body(mails["ceo@midsize.example"])
    assert "Geschäftliche Auswirkung" in body(mails["ceo@midsize.example"])
    assert received["cfo@midsize.example"]["Content-Language"] == "nl"
    assert "Impact op de bedrijfsvoering" in body(mails["cfo@midsize.example"])
    assert {c.kind for c in sent} == {"management_summary"}
    stored = CustomerEscalation.objects.get()
    assert (stored.raised_by, stored.channel, stored.owner, stored.status) == (
        "J. Bauer, CEO", "phone", account_manager, "open")
    assert AuditEvent.objects.filter(action="escalation.recorded", incident=incident, customer=customer).exists()


def test_an_executive_not_told_yet_is_introduced_by_an_escalation_notice(customer, people, account_manager):
    low = incident_flow.open_incident(customer=customer, title="Mail slow", category="email", severity="low",
                                      message="Looking into it.", author=account_manager)
    followup_flow.record_escalation(incident=low, customer=customer, raised_by="CFO", channel="email",
                                    demand="Explain.", author=account_manager)
    kinds = {}
    for communication in Communication.objects.filter(incident=low, update=None):
        for pk in communication.recipient_ids:
            kinds[pk] = communication.kind
    # Nobody hears "the summary" of something they never heard of: the executives get the introduction.
    assert kinds == {people["ceo"].pk: "escalation", people["cfo"].pk: "escalation", people["ops"].pk: "escalation"}


def test_other_customers_and_their_people_hear_nothing(customer, people, incident, account_manager):
    other = CustomerFactory(slug="acme")
    with pytest.raises(ValidationError) as raised:
        followup_flow.record_escalation(incident=incident, customer=other, raised_by="X", channel="phone",
                                        demand="Y", author=account_manager)
    assert "customer" in raised.value.message_dict
    assert not CustomerEscalation.objects.exists()
    assert not Communication.objects.filter(update=None).exists()


def test_closing_needs_a_resolution(customer, incident, account_manager):
    escalation, _sent = followup_flow.record_escalation(incident=incident, customer=customer, raised_by="CFO",
                                                        channel="meeting", demand="Credit.", author=account_manager)
    closer = UserFactory(username="closer")
    with pytest.raises(ValidationError) as raised:
        escalation_close(escalation=escalation, resolution="  ", author=closer)
    assert "resolution" in raised.value.message_dict
    escalation_close(escalation=escalation, resolution="Credit agreed; call held.", author=closer)
    escalation.refresh_from_db()
    assert escalation.status == "closed" and escalation.closed_at is not None
