"""Lifecycle rules of incidents.services."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from flows import incidents as incident_flow
from incidents.models import Component, CustomerIncident, Incident, IncidentUpdate
from tests.factories import ComponentFactory

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")


def open_incident(customer, author, **overrides):
    arguments = {"customer": customer, "title": "Mail down", "category": "email", "severity": "high",
                 "message": "We are looking into it.", "author": author} | overrides
    return incident_flow.open_incident(**arguments)


class TestOpen:
    def test_opening_sets_number_timestamps_and_component_statuses(self, incident, file_server, erp):
        link = incident.customer_links.get()
        today = timezone.localtime(timezone.now(), AMS).date()
        assert link.number == f"MSM-{today:%Y-%m%d}-001"
        assert incident.acknowledged_at is not None and incident.detected_at is not None
        file_server.refresh_from_db()
        erp.refresh_from_db()
        assert (file_server.status, erp.status) == ("major_outage", "partial_outage")
        opened = incident.updates.get()
        assert opened.kind == "opened" and opened.message.startswith("We are investigating")

    def test_numbers_count_up_per_customer_per_local_day(self, customer, other_customer, account_manager):
        first = open_incident(customer, account_manager).first_link.number
        second = open_incident(customer, account_manager).first_link.number
        elsewhere = open_incident(other_customer, account_manager).first_link.number
        assert first.endswith("-001") and second.endswith("-002")
        assert elsewhere.startswith("NWL-") and elsewhere.endswith("-001")

    def test_number_uses_the_customers_local_date(self, customer, account_manager):
        # 23:30 UTC on 31 March is already 1 April in Amsterdam (UTC+2 in summer).
        with time_machine.travel(datetime(2026, 3, 31, 23, 30, tzinfo=zoneinfo.ZoneInfo("UTC")), tick=False):
            number = open_incident(customer, account_manager).first_link.number
        assert number == "MSM-2026-0401-001"

    def test_first_message_is_required_and_nothing_is_written(self, customer, account_manager):
        with pytest.raises(ValidationError) as error:
            open_incident(customer, account_manager, message="   ")
        assert "message" in error.value.message_dict
        assert Incident.objects.count() == 0 and CustomerIncident.objects.count() == 0

    def test_components_of_another_customer_are_refused(self, customer, other_customer, account_manager):
        foreign = ComponentFactory(customer=other_customer, name="VPN")
        with pytest.raises(ValidationError) as error:
            open_incident(customer, account_manager, component_statuses={foreign: "major_outage"})
        assert "components" in error.value.message_dict
        assert Incident.objects.count() == 0

    def test_cannot_open_as_resolved(self, customer, account_manager):
        with pytest.raises(ValidationError) as error:
            open_incident(customer, account_manager, status="resolved")
        assert "status" in error.value.message_dict

    def test_next_update_follows_the_contract_cadence(self, customer, account_manager):
        customer.cadence_high_minutes = 45
        customer.save()
        incident = open_incident(customer, account_manager, severity="high")
        assert incident.next_update_due_at - incident.last_public_update_at == timedelta(minutes=45)


class TestUpdates:
    def test_status_change_stamps_milestones_in_order(self, incident, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, status="monitoring",
                                      message="Fix applied, watching.")
        incident.refresh_from_db()
        assert incident.identified_at is not None and incident.monitoring_at is not None
        assert incident.identified_at <= incident.monitoring_at
        update = incident.updates.first()
        assert (update.previous_status, update.status) == ("investigating", "monitoring")

    def test_resolve_needs_a_public_message(self, incident, account_manager):
        with pytest.raises(ValidationError) as error:
            incident_flow.post_update(incident=incident, author=account_manager, status="resolved")
        assert "message" in error.value.message_dict
        incident.refresh_from_db()
        assert incident.status == "investigating" and incident.resolved_at is None

    def test_resolve_restores_components_and_stops_the_update_clock(self, incident, file_server, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                      message="All systems are back.")
        incident.refresh_from_db()
        file_server.refresh_from_db()
        assert incident.resolved_at is not None and incident.next_update_due_at is None
        assert file_server.status == "operational"
        assert incident.updates.first().kind == "resolved"

    def test_component_keeps_worst_status_of_other_open_incidents(self, incident, customer, file_server,
                                                                  account_manager):
        second = open_incident(customer, account_manager, component_statuses={file_server: "degraded_performance"})
        incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
        file_server.refresh_from_db()
        assert file_server.status == "degraded_performance"
        incident_flow.post_update(incident=second, author=account_manager, status="resolved", message="Fixed.")
        file_server.refresh_from_db()
        assert file_server.status == "operational"

    def test_internal_note_cannot_change_public_facts(self, incident, account_manager):
        with pytest.raises(ValidationError) as error:
            incident_flow.post_update(incident=incident, author=account_manager, message="psst",
                                          is_internal=True, status="identified")
        assert "is_internal" in error.value.message_dict
        assert incident.updates.count() == 1

    def test_internal_note_does_not_count_as_public_update(self, incident, account_manager):
        before = Incident.objects.get(pk=incident.pk).last_public_update_at
        incident_flow.post_update(incident=incident, author=account_manager, message="vendor called",
                                      is_internal=True)
        incident.refresh_from_db()
        assert incident.last_public_update_at == before
        assert incident.updates.first().kind == "note"

    def test_an_update_that_says_nothing_is_refused(self, incident, account_manager):
        with pytest.raises(ValidationError) as error:
            incident_flow.post_update(incident=incident, author=account_manager)
        assert "message" in error.value.message_dict

    def test_severity_change_is_recorded_and_tightens_the_cadence(self, incident, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, severity="high")
        incident_flow.post_update(incident=incident, author=account_manager, severity="critical",
                                      message="Now affecting everyone.")
        update = incident.updates.first()
        incident.refresh_from_db()
        assert (update.previous_severity, update.severity) == ("high", "critical")
        assert incident.next_update_due_at - incident.last_public_update_at == timedelta(minutes=30)

    def test_updates_on_a_resolved_incident_are_refused(self, incident, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Done.")
        with pytest.raises(ValidationError) as error:
            incident_flow.post_update(incident=incident, author=account_manager, message="more")
        assert "status" in error.value.message_dict

    def test_a_new_eta_is_a_changed_fact_and_the_same_one_is_not(self, incident, account_manager):
        eta = timezone.now() + timedelta(hours=2)
        first = incident_flow.post_update(incident=incident, author=account_manager, message="By noon.", eta=eta)
        again = incident_flow.post_update(incident=incident, author=account_manager, message="Still noon.",
                                              eta=eta)
        incident.refresh_from_db()
        assert (first.facts_changed, again.facts_changed, incident.eta) == (["eta"], [], eta)

    def test_component_changes_are_on_the_timeline(self, incident, erp, account_manager):
        update = incident_flow.post_update(incident=incident, author=account_manager,
                                               component_statuses={erp: "operational"})
        change = update.component_changes.get()
        assert (change.previous_status, change.status) == ("partial_outage", "operational")


class TestReopen:
    def test_reopen_is_counted_and_recorded(self, incident, file_server, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Done.")
        incident_flow.reopen(incident=incident, author=account_manager, message="It failed again.")
        incident.refresh_from_db()
        assert incident.status == "investigating" and incident.reopen_count == 1
        assert incident.resolved_at is None and incident.next_update_due_at is not None
        assert incident.updates.first().kind == "reopened"

    def test_only_resolved_incidents_reopen(self, incident, account_manager):
        with pytest.raises(ValidationError):
            incident_flow.reopen(incident=incident, author=account_manager, message="?")
        assert IncidentUpdate.objects.filter(kind="reopened").count() == 0


class TestSharedIncident:
    def test_second_customer_gets_its_own_number_and_components(self, incident, other_customer, account_manager):
        vpn = ComponentFactory(customer=other_customer, name="VPN")
        link = incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                                              component_statuses={vpn: "major_outage"})
        assert link.number.startswith("NWL-") and link.number.endswith("-001")
        vpn.refresh_from_db()
        assert vpn.status == "major_outage"
        assert set(incident.customers.values_list("slug", flat=True)) == {"midsize", "northwind"}

    def test_a_customer_is_added_once(self, incident, customer, account_manager):
        with pytest.raises(ValidationError):
            incident_flow.add_customer(incident=incident, customer=customer, author=account_manager)
        assert incident.customer_links.count() == 1

    def test_one_update_changes_components_of_both_customers(self, incident, other_customer, file_server,
                                                            account_manager):
        vpn = ComponentFactory(customer=other_customer, name="VPN")
        incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                                       component_statuses={vpn: "major_outage"})
        incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                      message="Upstream provider restored service.")
        statuses = set(Component.objects.filter(pk__in=[vpn.pk, file_server.pk]).values_list("status", flat=True))
        assert statuses == {"operational"}


def test_reopen_restores_the_components_the_resolution_cleared(incident, file_server, erp, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Done.")
    update = incident_flow.reopen(incident=incident, author=account_manager, message="It failed again.")
    file_server.refresh_from_db()
    erp.refresh_from_db()
    assert (file_server.status, erp.status) == ("major_outage", "partial_outage")
    assert {c.status for c in update.component_changes.all()} == {"major_outage", "partial_outage"}


def test_system_can_open_an_incident_without_an_author(customer):
    incident = open_incident(customer, None)
    assert incident.created_by is None and incident.updates.get().author is None


def test_resolving_cannot_leave_a_component_down(incident, file_server, account_manager):
    with pytest.raises(ValidationError) as error:
        incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                      message="Done.", component_statuses={file_server: "major_outage"})
    assert "components" in error.value.message_dict


def test_inactive_account_manager_sees_no_customers(account_manager):
    from incidents.selectors import customers_for_user

    account_manager.is_active = False
    assert not customers_for_user(account_manager).exists()
