"""Roles and activation: assigning mails the person in their language with a one-click link that
acknowledges; the tick escalates what nobody acknowledged, once; a critical incident proposes
the person on standby; authority once the team has formed; permissions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AccountPreferences
from cadence import tick
from cadence.models import CadenceEvent
from flows import incidents as incident_flow
from playbook import selectors, services
from playbook.models import RoleAssignment, RotaShift
from tests.factories import UserFactory

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tom(customer):
    """A German-speaking engineer who works on the customer."""
    user = UserFactory(username="tom", first_name="Tom", last_name="Berger")
    customer.account_managers.add(user)
    AccountPreferences.objects.create(user=user, language="de")
    return user


def open_critical(customer, author, **extra):
    return incident_flow.open_incident(customer=customer, title="Fileserver down", category="server",
                                       severity="critical", message="We are investigating.", author=author, **extra)


def mails_to(smtp_server, address):
    return [mail.message for mail in smtp_server.messages if address in mail.rcpt_tos]


def test_assignment_mails_the_person_in_their_language_and_the_link_acknowledges(
        customer, account_manager, tom, smtp_server, client, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://testserver"
    incident = open_critical(customer, account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.role_assign(incident=incident, role="technical_lead", user=tom, assigned_by=account_manager)
    [mail] = mails_to(smtp_server, "tom@msp.example")
    number = incident.customer_links.get().number
    assert number in mail["Subject"]
    body = mail.get_content()
    assert "anna" in body and number in body
    assert "15" in body  # the acknowledgment window, KALM_ROLE_ACK_MINUTES
    # Written in Tom's language: the role name is a catalog string, the incident link is the console's.
    assert f"http://testserver/console/incidents/{incident.pk}/" in body
    link = next(line for line in body.splitlines() if "/console/playbook/acknowledge/" in line).strip()
    assert RoleAssignment.objects.get().acknowledged_at is None

    anonymous = client.get(link.removeprefix("http://testserver"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert RoleAssignment.objects.get().acknowledged_at is None

    client.force_login(tom)
    response = client.get(link.removeprefix("http://testserver"))
    assert response.status_code == 302 and response["Location"] == f"/console/incidents/{incident.pk}/"
    assert RoleAssignment.objects.get().acknowledged_at is not None
    page = client.get(response["Location"])
    assert "Tom Berger" in page.content.decode()


def test_the_mail_is_german_for_a_german_user(customer, account_manager, tom, smtp_server,
                                              django_capture_on_commit_callbacks):
    """The notice is built inside translation.override(tom's language): a German catalog string appears."""
    incident = open_critical(customer, account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.role_assign(incident=incident, role="incident_lead", user=tom, assigned_by=account_manager)
        services.role_assign(incident=incident, role="scribe", user=account_manager, assigned_by=account_manager)
    [german] = mails_to(smtp_server, "tom@msp.example")
    [english] = mails_to(smtp_server, "anna@msp.example")
    assert "(Kritisch)" in german["Subject"]  # the severity from the German catalog
    assert "(Critical)" in english["Subject"]


def test_an_old_link_acknowledges_nothing_after_reassignment(customer, account_manager, tom, manager, client,
                                                             smtp_server, django_capture_on_commit_callbacks):
    incident = open_critical(customer, account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.role_assign(incident=incident, role="scribe", user=tom, assigned_by=account_manager)
    body = mails_to(smtp_server, "tom@msp.example")[0].get_content()
    link = next(line for line in body.splitlines() if "/acknowledge/" in line).strip().split("testserver", 1)[-1]
    link = link[link.index("/console/"):]
    services.role_assign(incident=incident, role="scribe", user=account_manager, assigned_by=account_manager)
    client.force_login(tom)
    assert client.get(link).status_code == 404
    client.force_login(account_manager)
    assert client.get(link).status_code == 404  # the token names Tom's assignment, not Anna's
    assert RoleAssignment.objects.get().acknowledged_at is None
    assert client.get("/console/playbook/acknowledge/garbage/").status_code == 404


def test_unacknowledged_role_escalates_once_to_the_incident_lead(customer, account_manager, tom, clock, smtp_server,
                                                                 django_capture_on_commit_callbacks):
    incident = open_critical(customer, account_manager)
    services.role_assign(incident=incident, role="incident_lead", user=account_manager, assigned_by=account_manager)
    services.role_assign(incident=incident, role="technical_lead", user=tom, assigned_by=account_manager)
    clock.move_to(T0 + timedelta(minutes=14))
    with django_capture_on_commit_callbacks(execute=True):
        assert not tick.tick().done["role_ack"]
    clock.move_to(T0 + timedelta(minutes=16))
    with django_capture_on_commit_callbacks(execute=True):
        first = tick.tick()
    with django_capture_on_commit_callbacks(execute=True):
        second = tick.tick()
    # The lead's own role escalates to the managers and account managers; Tom's to the lead (Anna).
    assert first.done["role_ack"] == 2 and not second.done["role_ack"]
    subjects = [mail["Subject"] for mail in mails_to(smtp_server, "anna@msp.example")]
    assert sum("Technical lead" in subject for subject in subjects) == 1
    assert all("Not acknowledged" in s for s in subjects if "Technical lead" in s)
    assert RoleAssignment.objects.get(role="technical_lead").escalated_at is not None
    assert CadenceEvent.objects.filter(key="role_ack").count() == 2


def test_an_acknowledged_role_does_not_escalate(customer, account_manager, tom, clock, smtp_server):
    incident = open_critical(customer, account_manager)
    assignment = services.role_assign(incident=incident, role="technical_lead", user=tom, assigned_by=account_manager)
    services.role_acknowledge(assignment=assignment, user=tom)
    clock.move_to(T0 + timedelta(minutes=30))
    assert not tick.tick().done["role_ack"]


def test_a_critical_incident_proposes_the_person_on_duty_as_lead(customer, account_manager, tom, manager, clock,
                                                                 smtp_server, django_capture_on_commit_callbacks):
    RotaShift.objects.create(customer=None, user=manager, starts_at=T0 - timedelta(hours=1),
                             ends_at=T0 + timedelta(hours=8))
    RotaShift.objects.create(customer=customer, user=account_manager, starts_at=T0 - timedelta(hours=1),
                             ends_at=T0 + timedelta(hours=8))
    RotaShift.objects.create(customer=customer, user=tom, starts_at=T0 - timedelta(minutes=5),
                             ends_at=T0 + timedelta(hours=1), is_override=True)
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_critical(customer, account_manager)
    assert selectors.holder(incident, "incident_lead") == tom
    [mail] = mails_to(smtp_server, "tom@msp.example")
    assert incident.customer_links.get().number in mail["Subject"]
    # A high incident proposes nobody; nor does a critical one when nobody stands by.
    high = incident_flow.open_incident(customer=customer, title="Slow", category="server", severity="high",
                                       message="Looking.", author=account_manager)
    assert selectors.holder(high, "incident_lead") is None
    RotaShift.objects.all().delete()
    assert selectors.holder(open_critical(customer, account_manager), "incident_lead") is None


def test_override_then_own_customer_then_all_customers(customer, account_manager, tom, manager):
    RotaShift.objects.create(customer=None, user=manager, starts_at=T0, ends_at=T0 + timedelta(hours=8))
    assert selectors.on_duty(customer, T0 + timedelta(hours=1)) == manager
    RotaShift.objects.create(customer=customer, user=account_manager, starts_at=T0, ends_at=T0 + timedelta(hours=2))
    assert selectors.on_duty(customer, T0 + timedelta(hours=1)) == account_manager
    assert selectors.on_duty(customer, T0 + timedelta(hours=3)) == manager
    RotaShift.objects.create(customer=None, user=tom, starts_at=T0, ends_at=T0 + timedelta(hours=1), is_override=True)
    assert selectors.on_duty(customer, T0 + timedelta(minutes=30)) == tom


def test_once_the_team_formed_only_its_leads_publish(customer, account_manager, tom, manager, client):
    incident = open_critical(customer, account_manager, )
    incident_flow.post_update(incident=incident, author=tom, message="Still on it.")  # no team yet: as before
    lead = services.role_assign(incident=incident, role="incident_lead", user=account_manager,
                                assigned_by=account_manager)
    services.role_acknowledge(assignment=lead, user=account_manager)
    client.force_login(tom)
    url = reverse("incidents:post_update", args=[incident.pk])
    response = client.post(url, {"message": "Tom publishes", "status": "investigating", "severity": "critical"})
    assert response.status_code == 422
    assert "only the incident lead" in response.content.decode()
    assert not incident.updates.filter(message="Tom publishes").exists()
    incident_flow.post_update(incident=incident, author=tom, message="A note", is_internal=True)
    incident_flow.post_update(incident=incident, author=account_manager, message="The lead publishes")
    incident_flow.post_update(incident=incident, author=manager, message="A manager publishes")
    assert incident.updates.filter(message__in=["A note", "The lead publishes", "A manager publishes"]).count() == 3


def test_account_managers_act_on_their_customers_incidents_only(customer, account_manager, other_account_manager,
                                                                 tom, client):
    incident = open_critical(customer, account_manager)
    client.force_login(other_account_manager)
    assign = reverse("playbook:role_assign", args=[incident.pk])
    assert client.post(assign, {"role": "scribe", "user": tom.pk}).status_code == 404
    assert not RoleAssignment.objects.exists()
    # Someone who does not work on the incident's customers cannot be given a role.
    client.force_login(account_manager)
    response = client.post(assign, {"role": "scribe", "user": other_account_manager.pk})
    assert response.status_code == 422 and not RoleAssignment.objects.exists()
    assert client.post(assign, {"role": "chief", "user": tom.pk}).status_code == 422
    assert client.post(assign, {"role": "scribe", "user": tom.pk}).status_code == 302
    assignment = RoleAssignment.objects.get()
    # Only the assignee acknowledges.
    assert client.post(reverse("playbook:role_ack", args=[assignment.pk])).status_code == 403
    client.force_login(other_account_manager)
    assert client.post(reverse("playbook:role_ack", args=[assignment.pk])).status_code == 404
    client.logout()
    assert client.post(assign, {"role": "scribe", "user": tom.pk}).status_code == 302  # to the login page
