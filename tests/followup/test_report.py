"""The post-incident PDF shows the compensation decision and the customer's open remediation actions
(read back with pdftotext)."""

import subprocess
from datetime import date
from decimal import Decimal

import pytest

from flows import followup as followup_flow
from followup import services
from reports import rendering
from reports.services import ActionLine, review_for, review_save
from tests.factories import ComponentFactory
from tests.reports.fixtures import write_story


def pdftotext(pdf: bytes) -> str:
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True,
                          timeout=60).stdout.decode()
    return " ".join(text.split())


@pytest.fixture
def reviewed(other_customer, other_account_manager, manager):
    parts = {"file_server": ComponentFactory(customer=other_customer, name="File server", position=1),
             "erp": ComponentFactory(customer=other_customer, name="ERP", position=2)}
    incident = write_story(other_customer, other_account_manager, parts)
    review_save(review=review_for(incident), author=other_account_manager, actions=[
        ActionLine("Replace ageing disks", "otto", date(2025, 7, 1)),
        ActionLine("Test the restore procedure", "otto", date(2099, 1, 1))])
    services.credit_policy_save(customer=other_customer, author=manager, monthly_fee=Decimal("2400.00"),
                                currency="GBP", percent_per_hour=Decimal("2.50"), allowed_downtime_minutes=30,
                                cap_percent=Decimal("20.00"))
    return incident


def test_the_report_shows_the_decision_and_open_actions(reviewed, other_customer, other_account_manager, manager):
    credit = followup_flow.propose_compensation(incident=reviewed, customer=other_customer,
                                                author=other_account_manager)
    services.compensation_decide(compensation=credit, decision="adjust", author=manager, amount=Decimal("300.00"),
                                 reason="Goodwill after the CFO's escalation.")
    text = pdftotext(rendering.make_pdf(rendering.build_html(reviewed, other_customer, version=1)).pdf)
    assert "Compensation and open actions" in text
    assert "Adjusted" in text and "300.00 GBP" in text and "225.00 GBP" in text
    assert "Goodwill after the CFO's escalation." in text
    assert "Open remediation actions" in text
    assert "Replace ageing disks" in text and "(overdue)" in text  # due 1 July 2025
    assert "Test the restore procedure" in text


def test_an_undecided_credit_is_not_in_the_report(reviewed, other_customer, other_account_manager):
    followup_flow.propose_compensation(incident=reviewed, customer=other_customer, author=other_account_manager)
    html = rendering.build_html(reviewed, other_customer, version=1)
    assert "No service credit has been decided." in html and "225.00" not in html
