"""Remediation actions: from the post-incident review into tracked items, reminders through the tick
(before and after due, once each however many ticks), closing with evidence, the lists and their
permissions, and bad input refused naming the field."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import AccountPreferences
from audit.models import AuditEvent
from cadence import tick
from cadence.models import CadenceEvent
from followup import selectors, services
from followup.models import RemediationAction
from reports.services import ActionLine, review_for, review_save
from tests.factories import UserFactory

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def owner(db):
    return UserFactory(username="jan", first_name="Jan", last_name="de Vries", email="jan@msp.example")


@pytest.fixture
def action(customer, incident, owner, account_manager):
    with time_machine.travel(T0, tick=False):
        return services.action_create(customer=customer, incident=incident, title="Replace ageing disks",
                                      owner=owner, due_at=T0 + timedelta(days=5), author=account_manager)


def run_tick(at: datetime, capture) -> tick.TickReport:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tick.tick()


def reminders(smtp_server) -> list[tuple[str, str]]:
    return [(mail.rcpt_tos[0], " ".join(str(mail.message["Subject"]).split())) for mail in smtp_server.messages
            if "Remediation action" in mail.message["Subject"]]


def test_reminders_before_and_after_due_once_each(action, smtp_server, account_manager,
                                                  django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    assert run_tick(T0 + timedelta(days=2), capture).done["action_due_soon"] == 0  # three days to go
    first = run_tick(T0 + timedelta(days=3, hours=1), capture)
    second = run_tick(T0 + timedelta(days=3, hours=2), capture)
    assert (first.done["action_due_soon"], second.done["action_due_soon"]) == (1, 0)
    # Due 15 March 10:00 in Amsterdam (09:00 UTC): the owner is told, in the customer's zone.
    assert reminders(smtp_server) == [("jan@msp.example",
                                       "Remediation action due at 15 Mar 2026 10:00 CET: Replace ageing disks "
                                       "(MidSize Manufacturing BV)")]
    body = smtp_server.messages[-1].message.get_body(("plain",)).get_content()
    assert "/console/followup/actions/?customer=midsize" in body
    # Past due: one overdue reminder to the owner and the account manager, however many ticks.
    assert run_tick(T0 + timedelta(days=5, minutes=1), capture).done["action_overdue"] == 1
    assert run_tick(T0 + timedelta(days=5, minutes=2), capture).done["action_overdue"] == 0
    overdue = reminders(smtp_server)[1:]
    assert sorted(address for address, _subject in overdue) == ["anna@msp.example", "jan@msp.example"]
    assert all(subject.startswith("Remediation action overdue: Replace ageing disks") for _a, subject in overdue)
    assert CadenceEvent.objects.filter(subject=f"action:{action.pk}").count() == 2


def test_each_reminder_is_in_its_readers_console_language(action, smtp_server, owner, account_manager,
                                                          django_capture_on_commit_callbacks):
    AccountPreferences.objects.create(user=owner, language="de")
    AccountPreferences.objects.create(user=account_manager, language="nl")
    run_tick(T0 + timedelta(days=5, minutes=1), django_capture_on_commit_callbacks)

    subjects = {mail.rcpt_tos[0]: " ".join(str(mail.message["Subject"]).split()) for mail in smtp_server.messages}
    assert subjects["jan@msp.example"].startswith("Korrekturmaßnahme überfällig: Replace ageing disks")
    assert subjects["anna@msp.example"].startswith("Verbeteractie over tijd: Replace ageing disks")
    german = next(m for m in smtp_server.messages if m.rcpt_tos == ["jan@msp.example"]).message
    assert "15.03.2026" in german.get_body(("plain",)).get_content() or "15. März" in german.get_body(
        ("plain",)).get_content()


def test_a_closed_action_is_not_reminded(action, smtp_server, owner, django_capture_on_commit_callbacks):
    services.action_close(action=action, evidence="Change CHG-1042: disks replaced.", author=owner)
    run_tick(T0 + timedelta(days=6), django_capture_on_commit_callbacks)
    assert reminders(smtp_server) == []


def test_the_review_actions_become_tracked_actions_without_losing_what_exists(incident, customer, owner,
                                                                              account_manager):
    review = review_for(incident)
    lines = [ActionLine("Replace ageing disks", "jan", date(2026, 7, 1)),
             ActionLine("Monitor RAID status", "Piet (network team)", date(2026, 6, 1))]
    review_save(review=review, actions=lines, author=account_manager)
    disks, raid = RemediationAction.objects.order_by("title").filter(title__in=[
        "Replace ageing disks", "Monitor RAID status"]).order_by("-title")
    assert (disks.customer, disks.incident, disks.owner, disks.owner_name) == (customer, incident, owner, "jan")
    assert disks.due_at == datetime(2026, 7, 2, 0, 0, tzinfo=customer.tzinfo)  # end of the day, Amsterdam
    assert (raid.owner, raid.owner_name, raid.status) == (None, "Piet (network team)", "open")
    services.action_close(action=disks, evidence="CHG-1042", author=owner)
    # Saved again: the closed one keeps its evidence, a changed date follows, a removed line is cancelled.
    review_save(review=review_for(incident), author=account_manager, actions=[
        ActionLine("Replace ageing disks", "jan", date(2026, 8, 1)), ActionLine("Test restores", "jan",
                                                                                date(2026, 9, 1))])
    rows = {row.title: row for row in RemediationAction.objects.all()}
    assert (rows["Replace ageing disks"].status, rows["Replace ageing disks"].evidence) == ("done", "CHG-1042")
    assert rows["Monitor RAID status"].status == "cancelled"
    assert rows["Test restores"].status == "open" and rows["Test restores"].owner == owner
    assert len(rows) == 3


def test_close_needs_evidence(action, account_manager, client):
    client.force_login(account_manager)
    response = client.post(reverse("followup:action_close", args=[action.pk]), {"status": "done", "evidence": " "})
    assert response.status_code == 422 and "evidence" in response.context["form"].errors
    action.refresh_from_db()
    assert action.status == "open"
    response = client.post(reverse("followup:action_close", args=[action.pk]),
                           {"status": "done", "evidence": "CHG-1042: disks replaced and tested."})
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.closed_by) == ("done", account_manager) and action.closed_at is not None
    assert AuditEvent.objects.filter(action="remediation.closed", customer=action.customer).exists()


@pytest.mark.parametrize("due", ["9999-12-31", "2999-01-01", "1999-01-01", "31-02-2026", "2026-06-01\x00"])
def test_absurd_due_dates_are_refused_naming_the_field(incident, customer, account_manager, client, due):
    client.force_login(account_manager)
    response = client.post(reverse("followup:action_create", args=[incident.pk]), {
        "action-customer": customer.pk, "action-title": "Replace disks", "action-due": due})
    assert response.status_code == 422
    assert list(response.context["followup"]["action_form"].errors) == ["due"]
    assert not RemediationAction.objects.exists()


def test_an_action_through_the_console_and_the_lists(incident, customer, account_manager, owner, client):
    client.force_login(account_manager)
    due = (datetime.now(UTC) + timedelta(days=10)).date()
    response = client.post(reverse("followup:action_create", args=[incident.pk]), {
        "action-customer": customer.pk, "action-title": "Replace disks", "action-owner": owner.pk,
        "action-due": due.isoformat()})
    assert response.status_code == 302
    page = client.get(reverse("followup:actions"), {"customer": "midsize"}).content.decode()
    assert "Replace disks" in page and "Jan de Vries" in page
    assert "Replace disks" in client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()


def test_account_managers_act_on_their_customers_only(action, incident, other_account_manager, client):
    client.force_login(other_account_manager)
    assert client.get(reverse("followup:actions"), {"customer": "midsize"}).status_code == 404
    assert "Replace ageing disks" not in client.get(reverse("followup:actions")).content.decode()
    assert client.post(reverse("followup:action_close", args=[action.pk]),
                       {"status": "done", "evidence": "x"}).status_code == 404
    assert client.post(reverse("followup:escalation_create", args=[incident.pk]), {}).status_code == 404
    assert client.get(reverse("followup:credit_policy", args=["midsize"])).status_code == 404
    action.refresh_from_db()
    assert action.status == "open"


def test_anonymous_is_sent_to_sign_in(action, client):
    response = client.get(reverse("followup:actions"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_overdue_actions_fragment_for_the_dashboard(action, account_manager, other_account_manager, owner):
    later = T0 + timedelta(days=6)
    assert list(selectors.overdue_actions_for_user(account_manager, later)) == [action]
    assert list(selectors.overdue_actions_for_user(other_account_manager, later)) == []
    assert list(selectors.overdue_actions_for_user(owner, later)) == [action]  # their own
    html = render_to_string("followup/_overdue_actions.html",
                            {"actions": selectors.overdue_actions_for_user(account_manager, later)})
    assert "Overdue remediation actions" in html and "Replace ageing disks" in html and "MidSize" in html
    assert render_to_string("followup/_overdue_actions.html", {"actions": []}).strip() == ""
