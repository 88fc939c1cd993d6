"""incidents.cadence (postpone, holding update, acknowledgment) and incidents.contracts, on a fixed clock."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from comms.models import Communication
from comms.outbox.planning import SendOptions
from flows import incidents as incident_flow
from incidents import cadence
from incidents.contracts import customer_contract_update
from incidents.models import Customer, IncidentUpdate

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def announced(monkeypatch):
    """Every timeline entry flows.incidents tells the people and the page about, as (kind, options)."""
    seen: list[tuple[str, SendOptions | None]] = []
    tell = incident_flow._tell

    def recording(update, **kwargs):
        seen.append((update.kind, kwargs.get("options")))
        return tell(update, **kwargs)

    monkeypatch.setattr(incident_flow, "_tell", recording)
    return seen


def open_incident(customer, author, **overrides):
    arguments = {"customer": customer, "title": "Mail down", "category": "email", "severity": "critical",
                 "message": "We are looking into it.", "author": author} | overrides
    return incident_flow.open_incident(**arguments)


@pytest.fixture
def stakeholder(customer):
    from comms.models import Stakeholder

    return Stakeholder.objects.create(customer=customer, name="IT", role="customer_it", audience="technical",
                                      language="nl", email="it@midsize.example")


@pytest.fixture
def critical(clock, customer, account_manager):
    """Opened at T0 with the default critical cadence: the next update is due at T0 + 30 min."""
    return open_incident(customer, account_manager)


class TestExtendDue:
    def test_postpones_and_logs_the_reason_internally(self, critical, account_manager):
        update = cadence.incident_extend_due(incident=critical, author=account_manager, until=T0 + 45 * MINUTE,
                                             reason="  Vendor calls back at 09:45.  ")
        critical.refresh_from_db()
        assert critical.next_update_due_at == T0 + 45 * MINUTE
        assert (update.kind, update.is_internal, update.author) == ("due_extended", True, account_manager)
        assert update.message == "Vendor calls back at 09:45." and not update.is_public
        assert critical.last_public_update_at == T0  # postponing is not an update stakeholders see

    @pytest.mark.parametrize("until,reason,field", [
        (T0 - MINUTE, "Waiting for the vendor.", "until"),           # in the past
        (T0 + 30 * MINUTE, "Waiting for the vendor.", "until"),      # the current due time itself
        (T0 + 20 * MINUTE, "Waiting for the vendor.", "until"),      # future, but before the current due time
        (T0 + 45 * MINUTE, "   ", "reason"),                         # no reason
    ])
    def test_refused_input_changes_nothing(self, critical, account_manager, until, reason, field):
        with pytest.raises(ValidationError) as error:
            cadence.incident_extend_due(incident=critical, author=account_manager, until=until, reason=reason)
        assert field in error.value.message_dict
        critical.refresh_from_db()
        assert critical.next_update_due_at == T0 + 30 * MINUTE
        assert critical.updates.count() == 1

    def test_a_resolved_incident_has_nothing_to_postpone(self, critical, account_manager):
        incident_flow.post_update(incident=critical, author=account_manager, status="resolved", message="Fixed.")
        with pytest.raises(ValidationError) as error:
            cadence.incident_extend_due(incident=critical, author=account_manager, until=T0 + 45 * MINUTE,
                                        reason="Too late.")
        assert "until" in error.value.message_dict
        assert not critical.updates.filter(kind="due_extended").exists()

    def test_postponing_is_not_announced(self, critical, account_manager, announced):
        incident_flow.extend_due(incident=critical, author=account_manager, until=T0 + 45 * MINUTE,
                                    reason="Vendor calls back.")
        assert announced == []


class TestHolding:
    def test_nothing_is_held_before_the_due_time(self, critical, clock):
        clock.move_to(T0 + 29 * MINUTE)
        assert cadence.incident_post_holding(incident=critical, message="Still on it.") is None
        assert critical.updates.count() == 1

    def test_overdue_posts_an_automatic_public_update_and_a_new_promise(self, critical, clock, announced):
        clock.move_to(T0 + 31 * MINUTE)
        update = incident_flow.post_holding(incident=critical, message=" We are still working on it. ")
        critical.refresh_from_db()
        assert (update.kind, update.author, update.is_internal) == ("holding", None, False)
        assert update.message == "We are still working on it."
        assert critical.last_public_update_at == T0 + 31 * MINUTE
        assert critical.next_update_due_at == T0 + 61 * MINUTE
        assert announced == [("holding", SendOptions(automatic=True))]

    def test_a_second_holding_at_the_same_moment_is_refused(self, critical, clock):
        clock.move_to(T0 + 31 * MINUTE)
        assert cadence.incident_post_holding(incident=critical, message="Still on it.") is not None
        assert cadence.incident_post_holding(incident=critical, message="Still on it.") is None
        assert critical.updates.filter(kind="holding").count() == 1

    @pytest.mark.parametrize("severity,monitoring,expected", [
        ("critical", 120, 120),  # the monitoring cadence is longer than critical's 30 min
        ("low", 120, 240),       # low's own 240 min is longer than the monitoring cadence
    ])
    def test_while_monitoring_the_longer_cadence_applies(self, clock, customer, account_manager, severity,
                                                         monitoring, expected):
        Customer.objects.filter(pk=customer.pk).update(cadence_monitoring_minutes=monitoring)
        customer.refresh_from_db()
        incident = open_incident(customer, account_manager, severity=severity, status="monitoring")
        assert incident.next_update_due_at == T0 + expected * MINUTE
        clock.move_to(T0 + (expected + 1) * MINUTE)
        cadence.incident_post_holding(incident=incident, message="Still watching.")
        incident.refresh_from_db()
        assert incident.next_update_due_at == T0 + (2 * expected + 1) * MINUTE

    def test_a_resolved_incident_gets_no_holding_update(self, critical, clock, account_manager):
        incident_flow.post_update(incident=critical, author=account_manager, status="resolved", message="Fixed.")
        clock.move_to(T0 + 31 * MINUTE)
        assert cadence.incident_post_holding(incident=critical, message="Still on it.") is None


class TestAcknowledgment:
    def test_without_approval_the_acknowledgment_goes_out_at_opening(self, critical):
        assert critical.acknowledged_at == T0

    def test_with_approval_an_opened_incident_starts_unacknowledged(self, clock, customer, account_manager):
        Customer.objects.filter(pk=customer.pk).update(ack_requires_approval=True)
        customer.refresh_from_db()
        incident = open_incident(customer, account_manager)
        assert incident.acknowledged_at is None

    def test_release_records_the_time_and_the_approver(self, clock, customer, account_manager, stakeholder):
        Customer.objects.filter(pk=customer.pk).update(ack_requires_approval=True)
        customer.refresh_from_db()
        incident = open_incident(customer, account_manager)
        held = Communication.objects.get(incident=incident, kind="acknowledgment")
        assert held.send_at == T0 + 15 * MINUTE  # held until the contract's target
        clock.move_to(T0 + 6 * MINUTE)
        update = incident_flow.release_acknowledgment(incident=incident, author=account_manager)
        incident.refresh_from_db()
        assert incident.acknowledged_at == T0 + 6 * MINUTE
        assert (update.kind, update.author, update.is_internal) == ("acknowledged", account_manager, True)
        held.refresh_from_db()
        assert held.send_at == T0 + 6 * MINUTE  # the held acknowledgment goes now

    def test_release_is_idempotent(self, clock, customer, account_manager):
        Customer.objects.filter(pk=customer.pk).update(ack_requires_approval=True)
        customer.refresh_from_db()
        incident = open_incident(customer, account_manager)
        clock.move_to(T0 + 6 * MINUTE)
        assert cadence.incident_release_acknowledgment(incident=incident, author=None) is not None
        clock.move_to(T0 + 9 * MINUTE)
        assert cadence.incident_release_acknowledgment(incident=incident, author=account_manager) is None
        incident.refresh_from_db()
        assert incident.acknowledged_at == T0 + 6 * MINUTE
        assert IncidentUpdate.objects.filter(incident=incident, kind="acknowledged").count() == 1

    def test_an_already_acknowledged_incident_is_left_alone(self, critical, account_manager):
        assert cadence.incident_release_acknowledgment(incident=critical, author=account_manager) is None
        assert not critical.updates.filter(kind="acknowledged").exists()


def test_the_post_incident_summary_is_recorded_once(critical):
    assert cadence.incident_mark_post_incident_sent(incident=critical, at=T0 + MINUTE) is True
    assert cadence.incident_mark_post_incident_sent(incident=critical, at=T0 + 2 * MINUTE) is False
    critical.refresh_from_db()
    assert critical.post_incident_sent_at == T0 + MINUTE


class TestContractUpdate:
    def test_valid_terms_are_saved_and_drive_the_cadence(self, clock, customer, manager):
        customer_contract_update(customer=customer, author=manager, cadence_critical_minutes=20,
                                 reminder_minutes_before=5, nis2_applies=True)
        customer.refresh_from_db()
        assert (customer.cadence_critical_minutes, customer.reminder_minutes_before) == (20, 5)
        assert customer.nis2_applies is True
        assert open_incident(customer, manager).next_update_due_at == T0 + 20 * MINUTE

    @pytest.mark.parametrize("fields,field", [
        ({"cadence_critical_minutes": 4}, "cadence_critical_minutes"),         # model minimum 5
        ({"ack_target_minutes": 0}, "ack_target_minutes"),                     # model minimum 1
        ({"escalate_after_hours": 0}, "escalate_after_hours"),                 # contract minimum 1
        ({"overdue_escalation_minutes": 0}, "overdue_escalation_minutes"),     # contract minimum 1
        ({"reminder_minutes_before": 30}, "reminder_minutes_before"),          # not before critical's 30 min
    ])
    def test_invalid_terms_save_nothing(self, customer, manager, fields, field):
        with pytest.raises(ValidationError) as error:
            customer_contract_update(customer=customer, author=manager, holding_updates=False, **fields)
        assert field in error.value.message_dict
        customer.refresh_from_db()
        assert customer.holding_updates is True  # the valid field given alongside was not saved either

    def test_only_contract_fields_can_be_changed(self, customer, manager):
        with pytest.raises(TypeError):
            customer_contract_update(customer=customer, author=manager, slug="hijacked")
        customer.refresh_from_db()
        assert customer.slug == "midsize"
