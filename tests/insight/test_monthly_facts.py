"""The month's facts against a hand-built November (tests/insight/monthly_month.py has the arithmetic)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from insight.monthly.facts import month_bounds, month_facts, next_month, previous_month
from tests.insight.monthly_month import NOVEMBER, make_customer, make_month

pytestmark = pytest.mark.django_db

AFTER_NOVEMBER = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def test_month_bounds_are_local_midnights():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert month_bounds(NOVEMBER, amsterdam) == (datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
                                                 datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    # October holds the switch from CEST to CET: it starts at 22:00 UTC and ends at 23:00 UTC.
    assert month_bounds(date(2026, 10, 1), amsterdam) == (datetime(2026, 9, 30, 22, 0, tzinfo=UTC),
                                                          datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert previous_month(date(2027, 1, 1)) == date(2026, 12, 1)


def test_availability_per_component_follows_the_status_page_rule_without_drills():
    customer = make_customer()
    month = make_month(customer)
    facts = month_facts(customer, NOVEMBER, now=AFTER_NOVEMBER)
    by_name = {item.component.name: item for item in facts.availability}
    assert by_name["Bestandsserver"].percent == 99.72
    assert by_name["Bestandsserver"].outage == by_name["Bestandsserver"].major == timedelta(hours=2)
    assert by_name["ERP"].percent == 99.93
    assert (by_name["ERP"].outage, by_name["ERP"].major) == (timedelta(hours=1), timedelta(0))
    assert [m.id for m in facts.maintenance] == [month["window"].pk]


def test_incidents_belong_to_the_month_of_their_local_start_and_drills_to_none():
    customer = make_customer()
    make_month(customer)
    november = month_facts(customer, NOVEMBER, now=AFTER_NOVEMBER)
    assert [item.incident.title for item in november.incidents] == ["Early", "Disk", "ERP slow"]
    december = month_facts(customer, date(2026, 12, 1), now=datetime(2026, 12, 2, tzinfo=UTC))
    assert [item.incident.title for item in december.incidents] == ["Late"]
    october = month_facts(customer, date(2026, 10, 1), now=AFTER_NOVEMBER)
    assert october.incidents == []


def test_acknowledgment_and_cadence_against_the_contract():
    customer = make_customer()
    make_month(customer)
    facts = month_facts(customer, NOVEMBER, now=AFTER_NOVEMBER)
    by_title = {item.incident.title: item for item in facts.incidents}
    assert by_title["Disk"].acknowledgment.elapsed == timedelta(minutes=10)
    assert by_title["Disk"].acknowledgment.met is True
    assert by_title["ERP slow"].acknowledgment.met is False
    assert (by_title["Disk"].cadence.on_time, by_title["Disk"].cadence.counted) == (1, 2)
    assert by_title["Disk"].open_time == timedelta(hours=2)
    assert by_title["Disk"].downtime == timedelta(hours=2)
    assert facts.acknowledged_in_time == (2, 3)
    assert facts.median_acknowledgment == timedelta(minutes=10)
    assert facts.updates_on_time == (3, 4)


def test_credits_of_the_month_and_open_actions():
    customer = make_customer()
    make_month(customer)
    facts = month_facts(customer, NOVEMBER, now=AFTER_NOVEMBER)
    assert [(credit.incident.title, credit.amount) for credit in facts.followup.credits] == [("Disk", 250)]
    assert [action.title for action in facts.followup.open_actions] == ["RAID-controller vervangen"]
