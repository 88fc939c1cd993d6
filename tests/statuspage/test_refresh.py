"""Publishing proportional to change (issue 14): an idle page is never rewritten; the periodic job
publishes only the pages the clock has changed (statuspage.refresh)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Customer
from statuspage import refresh, snapshots
from statuspage.snapshot_store import PAGE, document_path
from tests.factories import CustomerFactory
from tests.statuspage.helpers import maintenance, open_incident, resolve

pytestmark = pytest.mark.django_db

# 10:00 in Amsterdam (CET, UTC+1) on a winter day; Amsterdam's midnight is 23:00 UTC.
MORNING = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)


def publish_at(moment: datetime, customer: Customer) -> list[str]:
    with time_machine.travel(moment, tick=False):
        customer.refresh_from_db()
        return snapshots.publish(customer)


def due_at(moment: datetime) -> list[int]:
    with time_machine.travel(moment, tick=False):
        return refresh.pages_due(moment)


@pytest.fixture
def idle(snapshots, customer, erp):
    """Midsize (Europe/Amsterdam) published in the morning, with nothing going on."""
    customer.created_at = MORNING - timedelta(days=30)
    customer.save(update_fields=["created_at"])
    # Set up a month ago, not in the real present (later than MORNING): a change after the render.
    customer.components.update(created_at=customer.created_at, updated_at=customer.created_at)
    publish_at(MORNING, customer)
    return customer


def test_an_idle_page_published_again_hours_later_writes_nothing(idle):
    page = document_path(idle.slug, "default", PAGE)
    before = page.read_bytes()

    assert publish_at(MORNING + timedelta(hours=5), idle) == [], "no document's bytes change while nothing happens"
    assert page.read_bytes() == before


def test_an_idle_page_is_not_due_during_its_day(idle):
    assert due_at(MORNING + timedelta(hours=13, minutes=59)) == []  # 23:59 in Amsterdam


def test_local_midnight_makes_the_page_due_in_its_own_time_zone(idle):
    with time_machine.travel(MORNING - timedelta(days=30), tick=False):
        london = CustomerFactory(slug="northwind", time_zone="Europe/London", status_page_public=True)
    publish_at(MORNING, london)

    just_after_amsterdam_midnight = datetime(2026, 1, 14, 23, 0, 30, tzinfo=UTC)  # 23:00 in London
    assert due_at(just_after_amsterdam_midnight) == [idle.pk]
    assert due_at(datetime(2026, 1, 15, 0, 0, 30, tzinfo=UTC)) == sorted([idle.pk, london.pk])


def test_the_new_day_moves_the_uptime_bars(idle):
    next_day = datetime(2026, 1, 14, 23, 5, tzinfo=UTC)
    changed = publish_at(next_day, idle)

    assert "default/index.html" in changed
    assert "default/api/v2/components.json" not in changed, "only what the day changes is rewritten"
    assert due_at(next_day + timedelta(minutes=3)) == [], "published for the new day: not due again"


def test_a_maintenance_window_starting_or_ending_makes_the_page_due(idle, erp):
    with time_machine.travel(MORNING, tick=False):
        maintenance(idle, start=timedelta(hours=2), hours=1, components=[erp], now=MORNING)
    publish_at(MORNING, idle)  # the window was announced: published at once

    assert due_at(MORNING + timedelta(hours=1)) == []
    started = MORNING + timedelta(hours=2, minutes=1)
    assert due_at(started) == [idle.pk]
    publish_at(started, idle)
    assert idle.pk in due_at(started + timedelta(minutes=3)), "running: today's bar counts the time under way"


def test_a_resolved_incident_leaving_the_page_makes_it_due(idle, account_manager):
    with time_machine.travel(MORNING - timedelta(days=7, hours=1), tick=False):
        resolve(open_incident(idle, account_manager, title="Mail down"), account_manager)
    publish_at(MORNING - timedelta(minutes=70), idle)

    assert due_at(MORNING - timedelta(minutes=30)) == [idle.pk], "seven days after its resolution it leaves the page"


def test_an_ongoing_outage_is_refreshed_on_every_run(idle, account_manager, erp):
    with time_machine.travel(MORNING, tick=False):
        open_incident(idle, account_manager, title="ERP down", component_statuses={erp: "major_outage"})
    publish_at(MORNING, idle)

    assert due_at(MORNING + timedelta(minutes=3)) == [idle.pk]


def test_a_page_never_published_is_due_and_a_bad_time_zone_does_not_stop_the_run(idle):
    broken = CustomerFactory(slug="broken", status_page_public=True)
    Customer.objects.filter(pk=broken.pk).update(time_zone="Mars/Olympus_Mons")

    assert due_at(MORNING + timedelta(hours=1)) == [broken.pk]


def test_an_old_open_incident_behind_fifty_newer_ones_stays_on_the_page(snapshots, customer, account_manager):
    """The publisher takes the page's incidents from the 50 most recent it reads anyway, and reads
    again when an open one may be older than those (statuspage.selectors._shown_among)."""
    with time_machine.travel(MORNING - timedelta(days=60), tick=False):
        old = open_incident(customer, account_manager, title="Slow VPN since the migration")
    for n in range(50):
        with time_machine.travel(MORNING - timedelta(days=40 - n % 20, hours=n), tick=False):
            resolve(open_incident(customer, account_manager, title=f"Blip {n}"), account_manager)
    publish_at(MORNING, customer)

    page = document_path(customer.slug, "en", PAGE).read_text()
    assert "Slow VPN since the migration" in page and old.customer_links.get().number in page
    assert "Blip 49" not in page  # resolved weeks ago: not on the page, only in the history and feeds


def test_a_change_whose_publish_was_lost_is_published_by_the_next_run(idle, account_manager, settings):
    settings.KALM_STATUS_SNAPSHOTS = False  # the change's own publish is never enqueued (a broker down)
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        open_incident(idle, account_manager, title="Mail queue stuck")
    settings.KALM_STATUS_SNAPSHOTS = True
    assert due_at(MORNING + timedelta(hours=1, minutes=3)) == [idle.pk]
    publish_at(MORNING + timedelta(hours=1, minutes=3), idle)
    assert b"Mail queue stuck" in document_path(idle.slug, "default", PAGE).read_bytes()
    assert idle.pk not in due_at(MORNING + timedelta(hours=1, minutes=6)), "published: not due for the change again"

