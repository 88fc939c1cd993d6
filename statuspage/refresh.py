"""Which published pages time itself has changed: the periodic job publishes only those (issue 14).

A change to the facts publishes its pages at once (``statuspage.publishing``); between changes a
page's bytes depend on the clock in four ways only, and each is a moment this module finds:

* **the day rolls over** at the customer's local midnight: the uptime bars move one day on;
* **a maintenance window starts or ends** on schedule: the page shows it in progress, then done;
* **a resolved incident leaves the page** ``RECENTLY_RESOLVED_DAYS`` after its resolution;
* **something is ongoing** (a component not operational, a window in progress): today's bar counts
  its duration up to now, so such a page is refreshed on every run.

A page whose last public change is later than its render is due too: the change's own publish was
lost (the broker was down) or has not run yet, and the page must not stay behind for good.

Everything else on a page is a moment of the facts ("Last updated" is the last public change,
``selectors.last_public_change``), so an idle page is left alone: with 1,000 idle customers a run
is six queries and a loop over the customers' time zones.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q

from incidents.models import Component, ComponentStatus, Customer, CustomerIncident, Maintenance, MaintenanceStatus
from statuspage.models import PublishedPage
from statuspage.selectors import RECENTLY_RESOLVED_DAYS, last_public_changes

UNFINISHED_WINDOWS = [MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS]


def record_rendered(customer_ids: list[int], rendered_at: datetime) -> None:
    """A publish rendered these pages as of ``rendered_at``: one upsert statement (every publish writes
    it, so no SELECT … FOR UPDATE and transaction per page as ``update_or_create`` would)."""
    PublishedPage.objects.bulk_create([PublishedPage(customer_id=pk, rendered_at=rendered_at) for pk in customer_ids],
                                      update_conflicts=True, unique_fields=["customer"], update_fields=["rendered_at"])


def pages_due(now: datetime) -> list[int]:
    """The public customers whose published page the clock has changed since it was rendered."""
    rendered = {pk: (zone, at) for pk, zone, at in Customer.objects.filter(status_page_public=True)
                .values_list("pk", "time_zone", "published_page__rendered_at")}
    due = {pk for pk, (zone, at) in rendered.items() if at is None or _day(at, zone) != _day(now, zone)}
    since = {pk: at for pk, (_zone, at) in rendered.items() if pk not in due}
    if since:
        earliest = min(since.values())
        due |= _passed(_window_boundaries(earliest, now), since)
        due |= _passed(_resolved_expiries(earliest, now), since)
        due |= _ongoing(now) & since.keys()
        due |= _changed_after(since)
    return sorted(due)


def _changed_after(rendered: dict[int, datetime]) -> set[int]:
    """Pages a public change reached after they were rendered: the change's own publish is still on its
    way, or was lost (the broker was down when it was made); this run publishes it, not never."""
    return {pk for pk, changed in last_public_changes(list(rendered)).items() if changed > rendered[pk]}


def _passed(moments: Iterable[tuple[int, datetime]], since: dict[int, datetime]) -> set[int]:
    """The customers with a moment after their page was rendered (and, by the query, not after now)."""
    return {pk for pk, at in moments if pk in since and at > since[pk]}


def _window_boundaries(earliest: datetime, now: datetime) -> Iterable[tuple[int, datetime]]:
    windows = Maintenance.objects.filter(status__in=UNFINISHED_WINDOWS).filter(
        Q(starts_at__gt=earliest, starts_at__lte=now) | Q(ends_at__gt=earliest, ends_at__lte=now))
    for customer_id, starts_at, ends_at in windows.values_list("customer_id", "starts_at", "ends_at"):
        yield from ((customer_id, at) for at in (starts_at, ends_at) if at <= now)


def _resolved_expiries(earliest: datetime, now: datetime) -> Iterable[tuple[int, datetime]]:
    keep = timedelta(days=RECENTLY_RESOLVED_DAYS)
    links = CustomerIncident.objects.filter(incident__resolved_at__gt=earliest - keep,
                                            incident__resolved_at__lte=now - keep)
    for customer_id, resolved_at in links.values_list("customer_id", "incident__resolved_at"):
        yield customer_id, resolved_at + keep


def _ongoing(now: datetime) -> set[int]:
    """Customers whose today bar grows with the clock: a component not operational, a window running."""
    troubled = Component.objects.exclude(status=ComponentStatus.OPERATIONAL).values_list("customer_id", flat=True)
    running = Maintenance.objects.filter(status__in=UNFINISHED_WINDOWS, starts_at__lte=now).filter(
        Q(ends_at__gt=now) | Q(status=MaintenanceStatus.IN_PROGRESS)).values_list("customer_id", flat=True)
    return set(troubled.distinct()) | set(running.distinct())


def _day(moment: datetime, zone: str):
    return moment.astimezone(_zone(zone)).date()


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # one bad record never stops the run: its page keeps UTC days
        return ZoneInfo("UTC")
