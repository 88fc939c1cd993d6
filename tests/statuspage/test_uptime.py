"""The 90-day uptime bar: computed from component changes and maintenance windows (pure), and on the page."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from flows import incidents as incident_flow
from statuspage.uptime import Change, Window, uptime_bars, window_start
from tests.statuspage.dom import find, find_all, text
from tests.statuspage.helpers import maintenance, open_incident, resolve

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)  # 13:00 CET
A, B = 1, 2


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def bar(changes=(), windows=(), *, now=NOW, ids=(A,)):
    with translation.override("en"):
        bars = uptime_bars(ids, changes, windows, now=now, tz=AMSTERDAM)
        return bars[ids[0]], {day.date: (day.status, day.durations, day.text) for day in bars[ids[0]].days}


def test_ninety_local_days_ending_today():
    assert window_start(NOW, AMSTERDAM) == utc(2025, 8, 26, 22, 0)  # 27 Aug, midnight CEST

    result, _days = bar()

    assert [d.date for d in result.days[:1] + result.days[-1:]] == [date(2025, 8, 27), date(2025, 11, 24)]
    assert len(result.days) == 90
    assert {d.status for d in result.days} == {"operational"}
    assert result.percent == 100.0 and result.percent_label == "100.00"


def test_partial_outage_counts_half():
    result, days = bar([Change(1, A, "partial_outage", utc(2025, 11, 23, 8, 0)),
                        Change(1, A, "operational", utc(2025, 11, 23, 10, 10))])

    assert days[date(2025, 11, 23)] == ("partial_outage", (("partial_outage", 7800),),
                                        "23 Nov: Partial outage for 2 h 10 min")
    assert days[date(2025, 11, 22)][0] == days[date(2025, 11, 24)][0] == "operational"
    assert days[date(2025, 11, 22)][2] == "22 Nov: Operational"
    total = (NOW - utc(2025, 8, 26, 22, 0)).total_seconds()
    assert total == 89 * 86400 + 14 * 3600
    assert result.percent == 99.94  # 100 × (1 − 0.5 × 7800 / total) = 99.9496…, truncated


def test_major_outage_counts_fully_and_degraded_and_maintenance_not_at_all():
    outage = [Change(1, A, "major_outage", utc(2025, 11, 20, 0, 0)), Change(1, A, "operational", utc(2025, 11, 20, 1))]
    degraded = [Change(2, A, "degraded_performance", utc(2025, 11, 21, 0)),
                Change(2, A, "operational", utc(2025, 11, 21, 5))]
    windows = [Window(A, utc(2025, 11, 22, 1), utc(2025, 11, 22, 3))]

    result, days = bar(outage + degraded, windows)

    total = 89 * 86400 + 14 * 3600
    assert result.percent == int((1 - 3600 / total) * 10000) / 100
    assert days[date(2025, 11, 21)][:2] == ("degraded_performance", (("degraded_performance", 18000),))
    assert days[date(2025, 11, 22)] == ("under_maintenance", (("under_maintenance", 7200),),
                                        "22 Nov: Under maintenance for 2 h")


def test_overlapping_incidents_show_the_worst_then_what_remains():
    result, days = bar([
        Change(1, A, "major_outage", utc(2025, 11, 22, 10)),
        Change(2, A, "degraded_performance", utc(2025, 11, 22, 11)),
        Change(1, A, "operational", utc(2025, 11, 22, 12)),  # the worse one resolves first
        Change(2, A, "operational", utc(2025, 11, 22, 14)),
    ])

    assert days[date(2025, 11, 22)] == (
        "major_outage", (("major_outage", 7200), ("degraded_performance", 7200)),
        "22 Nov: Major outage for 2 h; Degraded performance for 2 h")


def test_outage_across_local_midnight_is_split():
    _result, days = bar([Change(1, A, "major_outage", utc(2025, 11, 20, 22, 30)),  # 23:30 CET
                         Change(1, A, "operational", utc(2025, 11, 20, 23, 45))])

    assert days[date(2025, 11, 20)][1] == (("major_outage", 1800),)
    assert days[date(2025, 11, 21)][1] == (("major_outage", 2700),)
    assert days[date(2025, 11, 21)][2] == "21 Nov: Major outage for 45 min"


def test_incident_open_since_before_the_window_counts_from_its_start():
    result, days = bar([Change(1, A, "major_outage", utc(2025, 6, 1))])

    assert {status for status, *_ in days.values()} == {"major_outage"}
    assert days[date(2025, 8, 27)][1] == (("major_outage", 86400),)
    assert days[date(2025, 11, 24)][1] == (("major_outage", 13 * 3600),)  # today, up to now
    assert result.percent == 0.0


def test_incident_during_maintenance_wins():
    _result, days = bar([Change(1, A, "partial_outage", utc(2025, 11, 22, 2)),
                         Change(1, A, "operational", utc(2025, 11, 22, 2, 30))],
                        [Window(A, utc(2025, 11, 22, 1), utc(2025, 11, 22, 3))])

    assert days[date(2025, 11, 22)][1] == (("partial_outage", 1800), ("under_maintenance", 5400))


def test_a_short_day_in_spring():
    now = utc(2025, 4, 10, 12)

    _result, days = bar([Change(1, A, "major_outage", utc(2025, 3, 29, 23)),  # 30 Mar 00:00 CET
                         Change(1, A, "operational", utc(2025, 3, 30, 22))],  # 31 Mar 00:00 CEST
                        now=now)

    assert days[date(2025, 3, 30)] == ("major_outage", (("major_outage", 23 * 3600),),
                                       "30 Mar: Major outage for 23 h")
    assert days[date(2025, 3, 29)][0] == days[date(2025, 3, 31)][0] == "operational"


def test_each_component_has_its_own_bar():
    with translation.override("en"):
        bars = uptime_bars([A, B], [Change(1, B, "major_outage", utc(2025, 11, 24, 11)), Change(1, 99, "major_outage",
                                                                                               utc(2025, 11, 24, 11))],
                           [], now=NOW, tz=AMSTERDAM)

    assert set(bars) == {A, B}
    assert bars[A].percent == 100.0
    assert bars[B].days[-1].status == "major_outage"
    assert bars[B].days[-1].durations == (("major_outage", 3600),)


# --- on the page --------------------------------------------------------------------------------


@pytest.fixture
def crafted_history(customer, file_server, erp, account_manager):
    with time_machine.travel(utc(2025, 11, 23, 8, 0), tick=False):
        incident = open_incident(customer, account_manager, component_statuses={file_server: "partial_outage"})
    with time_machine.travel(utc(2025, 11, 23, 9, 0), tick=False):  # an internal note changes nothing
        incident_flow.post_update(incident=incident, author=account_manager, message="note", is_internal=True)
    with time_machine.travel(utc(2025, 11, 23, 10, 10), tick=False):
        resolve(incident, account_manager)
    maintenance(customer, title="Patching", start=timedelta(hours=-26), hours=2, components=[erp], now=NOW,
                status="completed", started_at=NOW - timedelta(hours=26), completed_at=NOW - timedelta(hours=25))
    return incident


def bars_on_page(page) -> dict[str, tuple[list, str]]:
    rows = {}
    for row in find_all(find(page, "section", cls="components-block"), "li", cls="component"):
        days = list(find_all(row, "li", cls="day"))
        rows[text(find(row, "span", cls="component-name"))] = (days, text(find(row, "span", cls="uptime-percent")))
    return rows


@pytest.mark.django_db
def test_bar_on_the_page(get_page, crafted_history):
    with time_machine.travel(NOW, tick=False):
        _response, page = get_page()

    rows = bars_on_page(page)
    days, percent = rows["File server"]
    assert len(days) == 90
    assert percent == "99.94 % uptime"
    outage_day = days[-2]  # 23 Nov
    assert dict(outage_day.attributes)["class"] == "day day-partial_outage"
    assert dict(outage_day.attributes)["title"] == "23 Nov: Partial outage for 2 h 10 min"
    assert text(outage_day) == "23 Nov: Partial outage for 2 h 10 min"  # visually hidden, read by screen readers
    assert text(days[-1]) == "24 Nov: Operational"
    erp_days, erp_percent = rows["ERP"]
    assert erp_percent == "100.00 % uptime"  # maintenance counts as up
    assert text(erp_days[-2]) == "23 Nov: Under maintenance for 1 h"
    assert "major outage counts as down, partial outage as half down" in text(page)


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("nl", "99,94 % beschikbaarheid"),
                                                    ("de", "99,94 % Verfügbarkeit")])
def test_the_uptime_percentage_is_written_as_the_reader_writes_numbers(get_page, crafted_history, language,
                                                                      expected):
    with time_machine.travel(NOW, tick=False):
        _response, page = get_page(lang=language)
    assert expected in [percent for _days, percent in bars_on_page(page).values()]  # the file server's


@pytest.mark.django_db
def test_page_shows_active_and_upcoming_maintenance(get_page, customer, erp, file_server):
    with time_machine.travel(NOW, tick=False):
        running = maintenance(customer, title="Core switch swap", start=timedelta(hours=-1), components=[erp],
                              customer_action="Use the **guest** Wi-Fi.", now=NOW)
        later = maintenance(customer, title="Disk upgrade", start=timedelta(days=3), components=[file_server],
                            expected_impact="The file server restarts twice.", now=NOW)
        maintenance(customer, title="Called off", start=timedelta(days=1), status="cancelled", now=NOW)
        _response, page = get_page()

    active = find(page, "section", cls="maintenance-active")
    article = find(active, "article", id=f"maintenance-{running.pk}")
    assert "Core switch swap" in text(article) and "In progress" in text(article)
    assert text(find(article, "strong")) == "guest"
    assert "24 November 2025, 12:00 – 24 November 2025, 14:00 CET" in text(article)
    upcoming = find(page, "section", cls="maintenance-upcoming")
    assert [text(h) for h in find_all(upcoming, "h3")] == ["Disk upgrade"]
    assert "The file server restarts twice." in text(find(upcoming, "article", id=f"maintenance-{later.pk}"))
    assert "Called off" not in text(page)
    components = {text(find(r, "span", cls="component-name")): text(find(r, "span", cls="status"))
                  for r in find_all(find(page, "section", cls="components-block"), "li", cls="component")}
    assert components == {"ERP": "Under maintenance", "File server": "Operational"}


@pytest.mark.django_db
def test_page_query_count_is_constant_with_history_and_windows(client, customer, file_server, erp, account_manager):
    def add(n):
        with time_machine.travel(NOW - timedelta(days=n * 7), tick=False):
            incident = open_incident(customer, account_manager, title=f"Outage {n}",
                                     component_statuses={file_server: "major_outage", erp: "partial_outage"})
        with time_machine.travel(NOW - timedelta(days=n * 7) + timedelta(hours=2), tick=False):
            resolve(incident, account_manager)
        maintenance(customer, start=timedelta(days=-n * 7 - 1), components=[erp, file_server], now=NOW)

    def count():
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
            assert client.get("/status/midsize/").status_code == 200
        return len(queries)

    add(1)
    one = count()
    for n in range(2, 11):
        add(n)
    ten = count()

    assert one == ten
    assert ten <= 9  # the page's eight plus the maintenance windows' components
