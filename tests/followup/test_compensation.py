"""Compensation: Kalm proposes the contract's credit from the measured downtime; a manager approves,
adjusts or declines with a reason; the decision is audited and exported for billing as CSV."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from flows import followup as followup_flow
from followup import services
from followup.models import Compensation, CreditPolicy
from tests.reports.fixtures import write_story


@pytest.fixture
def outage(customer, file_server, erp, account_manager):
    """Seed 000's outage: the file server in major outage 09:30–13:45 (4 h 15 min)."""
    return write_story(customer, account_manager, {"file_server": file_server, "erp": erp})


@pytest.fixture
def policy(customer, manager):
    # 2.5 % of 2,400.00 EUR per hour beyond the first 30 minutes, at most 20 %.
    return services.credit_policy_save(customer=customer, author=manager, monthly_fee=Decimal("2400.00"),
                                       currency="EUR", percent_per_hour=Decimal("2.50"), allowed_downtime_minutes=30,
                                       cap_percent=Decimal("20.00"))


def test_the_proposal_is_the_contract_applied_to_the_measured_downtime(outage, customer, policy, account_manager):
    credit = followup_flow.propose_compensation(incident=outage, customer=customer, author=account_manager)
    # 4 h 15 min down − 30 min allowed = 3.75 h × 2.5 % = 9.375 % of 2,400.00 = 225.00.
    assert credit.downtime_seconds == 4 * 3600 + 15 * 60
    assert (credit.proposed_amount, credit.currency, credit.status) == (Decimal("225.00"), "EUR", "proposed")
    assert credit.proposed_percent == Decimal("9.38")
    assert AuditEvent.objects.get(action="compensation.proposed").after["proposed_amount"] == "225.00"


def test_the_cap_applies(outage, customer, policy, manager):
    services.credit_policy_save(customer=customer, author=manager, percent_per_hour=Decimal("10.00"))
    credit = followup_flow.propose_compensation(incident=outage, customer=customer, author=manager)
    assert credit.proposed_amount == Decimal("480.00")  # 37.5 % capped at 20 % of 2,400.00


def test_no_policy_no_proposal(outage, customer, account_manager):
    with pytest.raises(ValidationError) as raised:
        followup_flow.propose_compensation(incident=outage, customer=customer, author=account_manager)
    assert "customer" in raised.value.message_dict and not Compensation.objects.exists()


@pytest.fixture
def proposed(outage, customer, policy, account_manager):
    return followup_flow.propose_compensation(incident=outage, customer=customer, author=account_manager)


def test_approve_takes_the_proposed_amount_and_is_audited(proposed, manager):
    credit = services.compensation_decide(compensation=proposed, decision="approve", author=manager)
    assert (credit.status, credit.amount, credit.decided_by) == ("approved", Decimal("225.00"), manager)
    event = AuditEvent.objects.get(action="compensation.decided")
    assert event.actor == manager and event.after["status"] == "approved" and event.after["amount"] == "225.00"


def test_adjust_needs_an_amount_and_a_reason(proposed, manager):
    with pytest.raises(ValidationError) as raised:
        services.compensation_decide(compensation=proposed, decision="adjust", author=manager, amount=None)
    assert set(raised.value.message_dict) == {"amount", "reason"}
    credit = services.compensation_decide(compensation=proposed, decision="adjust", author=manager,
                                          amount=Decimal("300.00"), reason="Goodwill: the CFO's escalation.")
    assert (credit.status, credit.amount, credit.reason) == ("adjusted", Decimal("300.00"),
                                                            "Goodwill: the CFO's escalation.")
    with pytest.raises(ValidationError):  # decided once
        services.compensation_decide(compensation=credit, decision="approve", author=manager)


def test_decline_needs_a_reason(proposed, manager):
    with pytest.raises(ValidationError) as raised:
        services.compensation_decide(compensation=proposed, decision="decline", author=manager)
    assert set(raised.value.message_dict) == {"reason"}
    credit = services.compensation_decide(compensation=proposed, decision="decline", author=manager,
                                          reason="Outage caused by the customer's own change.")
    assert credit.status == "declined" and credit.amount is None


def test_an_account_manager_cannot_decide(proposed, account_manager, client):
    with pytest.raises(PermissionDenied):
        services.compensation_decide(compensation=proposed, decision="approve", author=account_manager)
    client.force_login(account_manager)
    response = client.post(reverse("followup:compensation_decide", args=[proposed.pk]), {"decision": "approve"})
    assert response.status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


@pytest.mark.parametrize(("amount", "status"), [("-5.00", 422), ("12\x0034", 422), ("1e400", 422),
                                                  ("12.345", 422)])
def test_bad_amounts_are_refused_naming_the_field(proposed, manager, client, amount, status):
    client.force_login(manager)
    response = client.post(reverse("followup:compensation_decide", args=[proposed.pk]),
                           {"decision": "adjust", "amount": amount, "reason": "Goodwill"})
    assert response.status_code == status
    assert list(response.context["followup"]["decision_form"].errors) == ["amount"]
    proposed.refresh_from_db()
    assert (proposed.status, proposed.amount) == ("proposed", None)
    assert not AuditEvent.objects.filter(action="compensation.decided").exists()


def test_the_decision_through_the_console(proposed, manager, client):
    client.force_login(manager)
    response = client.post(reverse("followup:compensation_decide", args=[proposed.pk]),
                           {"decision": "adjust", "amount": "199.99", "reason": "Agreed with the customer."})
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert (proposed.status, proposed.amount) == ("adjusted", Decimal("199.99"))
    page = client.get(reverse("incidents:detail", args=[proposed.incident.pk]))
    assert "199.99" in page.content.decode() and "Agreed with the customer." in page.content.decode()


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_credits_csv_for_billing(proposed, manager, client, customer):
    services.compensation_decide(compensation=proposed, decision="adjust", author=manager,
                                 amount=Decimal("250.50"), reason="=HYPERLINK(\"http://evil\")")
    proposed.refresh_from_db()
    client.force_login(manager)
    day = proposed.decided_at.date().isoformat()
    response = client.get(reverse("followup:credits_csv"), {"start": day, "end": day})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    [row] = read_csv(response)
    number = proposed.incident.customer_links.get().number
    assert row == {"customer": customer.name, "incident_number": number, "amount": "250.50", "currency": "EUR",
                   "decided_at": proposed.decided_at.isoformat(), "decided_by": manager.username,
                   "reason": "'=HYPERLINK(\"http://evil\")"}
    assert row["decided_at"].endswith("+00:00")
    # Another period: nothing. A bad period: 400 naming the field.
    assert read_csv(client.get(reverse("followup:credits_csv"), {"start": "2001-01-01", "end": "2001-01-31"})) == []
    bad = client.get(reverse("followup:credits_csv"), {"start": day, "end": "not a date"})
    assert bad.status_code == 400 and "end" in bad.content.decode()


def test_credits_csv_shows_only_the_users_customers(proposed, manager, other_account_manager, client):
    services.compensation_decide(compensation=proposed, decision="approve", author=manager)
    client.force_login(other_account_manager)
    day = Compensation.objects.get().decided_at.date().isoformat()
    assert read_csv(client.get(reverse("followup:credits_csv"), {"start": day, "end": day})) == []


@pytest.mark.parametrize(("field", "value"), [("monthly_fee", "-1"), ("currency", "E\x00R"), ("currency", "EURO"),
                                              ("percent_per_hour", "101"), ("cap_percent", "abc")])
def test_credit_policy_bad_input_is_refused_naming_the_field(customer, manager, client, field, value):
    client.force_login(manager)
    data = {"monthly_fee": "2400.00", "currency": "EUR", "percent_per_hour": "2.5", "allowed_downtime_minutes": "30",
            "cap_percent": "20"} | {field: value}
    response = client.post(reverse("followup:credit_policy", args=[customer.slug]), data)
    assert response.status_code == 422 and list(response.context["form"].errors) == [field]
    assert not CreditPolicy.objects.exists()


def test_credit_policy_is_edited_in_the_console_and_audited(customer, account_manager, client):
    client.force_login(account_manager)
    response = client.post(reverse("followup:credit_policy", args=[customer.slug]), {
        "monthly_fee": "1200.00", "currency": "eur", "percent_per_hour": "5", "allowed_downtime_minutes": "0",
        "cap_percent": "50"})
    assert response.status_code == 302
    policy = customer.credit_policy
    assert (policy.monthly_fee, policy.currency, policy.cap_percent) == (Decimal("1200.00"), "EUR", Decimal("50"))
    assert AuditEvent.objects.filter(action="credit_policy.changed", customer=customer).exists()
