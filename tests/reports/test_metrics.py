"""The metrics on crafted timelines: pure functions first, then the same facts written through
the services at fixed moments (time-machine) and read back by ``reports.facts``."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from flows import incidents as incident_flow
from incidents.models import RegulatoryClock
from reports import facts, metrics
from reports.metrics import Change, Point
from tests.reports.fixtures import AMS, at

T0 = datetime(2025, 5, 31, 9, 30, tzinfo=AMS)
CADENCE = {"critical": 30, "high": 60, "medium": 120, "low": 240}


def minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def t(offset: int) -> datetime:
    return T0 + minutes(offset)


def cadence(severity: str, status: str) -> timedelta:
    """The default contract: per severity, and at least two hours while monitoring."""
    per_severity = CADENCE[severity]
    return minutes(max(per_severity, 120) if status == "monitoring" else per_severity)


def p(offset: int, status: str = "investigating", severity: str = "critical", public: bool = True) -> Point:
    return Point(at=t(offset), status=status, severity=severity, public=public)


class TestAcknowledgment:
    def test_within_target_is_met(self):
        result = metrics.acknowledgment(detected_at=t(0), acknowledged_at=t(12), target=minutes(15))
        assert result.elapsed == minutes(12) and result.met is True

    def test_past_target_is_missed(self):
        assert metrics.acknowledgment(detected_at=t(0), acknowledged_at=t(16), target=minutes(15)).met is False

    def test_never_acknowledged(self):
        result = metrics.acknowledgment(detected_at=t(0), acknowledged_at=None, target=minutes(15))
        assert result.elapsed is None and result.met is None


class TestUpdateIntervals:
    def test_every_gap_on_time(self):
        result = metrics.update_intervals([p(0), p(30), p(55), p(80, "resolved")], cadence, now=t(500))
        assert [gap.length for gap in result.gaps] == [minutes(30), minutes(25), minutes(25)]
        assert result.on_time_percent == 100.0 and result.longest.length == minutes(30)

    def test_late_gap_counts_against_the_cadence_in_force(self):
        result = metrics.update_intervals([p(0), p(45), p(60, "resolved")], cadence, now=t(500))
        assert [gap.late for gap in result.gaps] == [True, False]
        assert (result.on_time, result.counted, result.on_time_percent) == (1, 2, 50.0)

    def test_silent_severity_raise_tightens_the_promise(self):
        # High (60 min) until a silent raise to critical at +40: due at +30, already past, so late.
        timeline = [p(0, severity="high"), p(40, severity="critical", public=False), p(55, severity="critical")]
        assert metrics.update_intervals(timeline, cadence, now=t(500)).gaps[0].late is True

    def test_promise_broken_before_the_cadence_loosened_stays_broken(self):
        # Critical (30 min); at +50 a silent change to monitoring (120 min); update at +60.
        timeline = [p(0), p(50, "monitoring", public=False), p(60, "monitoring")]
        gap = metrics.update_intervals(timeline, cadence, now=t(500)).gaps[0]
        assert gap.late is True and gap.allowed == minutes(120)

    def test_loosened_in_time_is_on_time(self):
        timeline = [p(0), p(20, "monitoring", public=False), p(100, "monitoring")]
        assert metrics.update_intervals(timeline, cadence, now=t(500)).gaps[0].late is False

    def test_time_between_resolution_and_reopening_is_not_a_gap(self):
        timeline = [p(0), p(20, "resolved"), p(300, "investigating"), p(320, "resolved")]
        result = metrics.update_intervals(timeline, cadence, now=t(900))
        assert [(gap.start, gap.end) for gap in result.gaps] == [(t(0), t(20)), (t(300), t(320))]
        assert result.on_time_percent == 100.0

    def test_running_gap_counts_only_once_late(self):
        assert metrics.update_intervals([p(0)], cadence, now=t(20)).counted == 0
        late = metrics.update_intervals([p(0)], cadence, now=t(95))
        assert late.counted == 1 and late.gaps[0].ongoing and late.longest.length == minutes(95)

    def test_no_updates_no_percentage(self):
        assert metrics.update_intervals([], cadence, now=t(0)).on_time_percent is None


class TestResolution:
    def test_reopened_incident(self):
        timeline = [p(0), p(60, "resolved"), p(180, "investigating"), p(240, "resolved")]
        result = metrics.resolution(started_at=t(-10), detected_at=t(0), resolved_at=t(240), points=timeline,
                                    now=t(1000))
        assert result.reopen_count == 1
        assert result.time_to_detect == minutes(10)
        assert result.time_to_resolve == minutes(250)
        assert result.open_time == minutes(250 - 120)

    def test_still_open(self):
        result = metrics.resolution(started_at=t(0), detected_at=t(0), resolved_at=None, points=[p(0)], now=t(90))
        assert result.time_to_resolve is None and result.open_time == minutes(90)


class TestDowntime:
    def test_partial_then_major_then_operational(self):
        changes = [Change(t(0), "File server", "partial_outage"), Change(t(30), "File server", "major_outage"),
                   Change(t(90), "File server", "operational")]
        [item] = metrics.component_downtime(changes, end=t(200))
        assert (item.outage, item.major, item.worst) == (minutes(90), minutes(60), "major_outage")

    def test_degraded_is_not_downtime_and_open_outage_runs_to_the_end(self):
        changes = [Change(t(0), "ERP", "degraded_performance"), Change(t(40), "ERP", "partial_outage")]
        [item] = metrics.component_downtime(changes, end=t(100))
        assert item.outage == minutes(60) and item.major == timedelta(0)

    def test_total_is_the_union_of_overlapping_outages(self):
        changes = [Change(t(0), "A", "major_outage"), Change(t(60), "A", "operational"),
                   Change(t(30), "B", "partial_outage"), Change(t(90), "B", "operational"),
                   Change(t(200), "C", "major_outage"), Change(t(210), "C", "operational")]
        downtime = metrics.component_downtime(changes, end=t(300))
        assert [item.component for item in downtime] == ["A", "B", "C"]
        assert metrics.total_downtime(downtime) == minutes(90 + 10)


class TestRegulatoryAndCredit:
    @pytest.mark.parametrize(("filed", "now", "outcome", "met"), [
        (t(60), t(100), "met", True), (t(4400), t(5000), "late", False),
        (None, t(5000), "overdue", False), (None, t(100), "running", None),
    ])
    def test_notification_outcomes(self, filed, now, outcome, met):
        result = metrics.notification(regime="gdpr", started_at=t(0), deadline_at=t(72 * 60), filed_at=filed, now=now)
        assert (result.outcome, result.met) == (outcome, met)

    def test_credit(self):
        assert metrics.sla_credit(minutes(255), None) is None
        assert metrics.sla_credit(minutes(255), Decimal("2")) == Decimal("8.50")
        assert metrics.sla_credit(timedelta(days=3), Decimal("5")) == Decimal("100.00")


class TestFromTheDatabase:
    """The seed's story (tests/reports/fixtures.py) read back through reports.facts."""

    def compute(self, incident, customer, credit_rate=None):
        scope = facts.scope_for(incident, customer, now=at(18, 0))
        updates = facts.timeline_updates(scope)
        return facts.compute_metrics(scope, timeline=facts.points(scope, updates),
                                     changes=facts.component_changes(scope), clocks=facts.regulatory_clocks(scope),
                                     credit_rate=credit_rate)

    def test_story(self, story, customer):
        result = self.compute(story, customer, credit_rate=Decimal("2.00"))
        assert result.acknowledgment.met is True
        assert [(gap.length, gap.late) for gap in result.cadence.gaps] == [
            (minutes(30), False), (minutes(75), True), (minutes(150), True)]
        assert {item.component: item.outage for item in result.downtime} == {
            "File server": minutes(255), "ERP": minutes(105)}
        assert result.total_downtime == minutes(255)
        assert result.resolution.time_to_resolve == minutes(255)
        assert result.credit == Decimal("8.50")

    def test_reopening_and_regulatory_clock(self, customer, file_server, account_manager):
        with time_machine.travel(at(9, 0), tick=False) as traveller:
            incident = incident_flow.open_incident(customer=customer, title="Mail", category="email", severity="high",
                                              message="Looking into it.", author=account_manager,
                                              component_statuses={file_server: "major_outage"},
                                              personal_data_involved=True)
            traveller.move_to(at(9, 40))
            incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                          message="Fixed.")
            traveller.move_to(at(11, 0))
            incident_flow.reopen(incident=incident, author=account_manager, message="It is back.")
            traveller.move_to(at(11, 30))
            incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                          message="Fixed for good.")
        RegulatoryClock.objects.filter(incident=incident).update(filed_at=at(12, 0))
        incident.refresh_from_db()
        result = self.compute(incident, customer)
        assert result.resolution.reopen_count == 1
        assert result.total_downtime == minutes(40 + 30)  # the reopening restored the outage
        assert [item.outcome for item in result.notifications] == ["met"]
        assert result.credit is None
