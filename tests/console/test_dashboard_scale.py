"""The dashboard with many open incidents (issue 14): one page of the most urgent, counts of the
whole set, and a poll answered 304 while nothing it shows has changed."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from console.views.dashboard import PAGE_SIZE
from incidents.models import Incident
from tests.statuspage.helpers import open_incident

pytestmark = pytest.mark.django_db
HTMX = {"headers": {"HX-Request": "true"}}


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def many_open(customer, account_manager):
    """55 open incidents; three of them have an update overdue."""
    incidents = [open_incident(customer, account_manager, title=f"Outage {n:02d}", severity="low")
                 for n in range(55)]
    overdue = incidents[40:43]
    Incident.objects.filter(pk__in=[i.pk for i in overdue]).update(
        next_update_due_at=timezone.now() - timedelta(minutes=5))
    return incidents, overdue


def rows(page_html: str) -> list[str]:
    return [line.split(">Outage ")[1][:2] for line in page_html.split("\n") if ">Outage " in line and "<td>" in line]


def test_one_page_of_the_most_urgent_with_counts_of_all(as_anna, many_open):
    _incidents, overdue = many_open
    page = as_anna.get(reverse("incidents:dashboard")).text

    shown = rows(page)
    assert len(shown) == PAGE_SIZE
    assert shown[:3] == ["40", "41", "42"], "overdue updates first"
    assert "Open: 55" in page and "update overdue: 3" in page
    assert "Page 1 of 2" in page and "?page=2" in page
    second = rows(as_anna.get(reverse("incidents:dashboard"), {"page": 2}).text)
    assert len(second) == 55 - PAGE_SIZE and not set(second) & set(shown)


def test_the_poll_is_304_until_something_changes(as_anna, many_open, account_manager):
    incidents, _overdue = many_open
    with time_machine.travel(timezone.now().replace(second=5) + timedelta(minutes=1), tick=False):
        first = as_anna.get(reverse("incidents:dashboard"), **HTMX)
        etag = first["ETag"]
        assert first.status_code == 200 and etag
        again = as_anna.get(reverse("incidents:dashboard"), headers={"HX-Request": "true", "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""

        incidents[0].refresh_from_db()
        incidents[0].title = "Outage 00 (renamed)"
        incidents[0].save(update_fields=["title", "updated_at"])
        changed = as_anna.get(reverse("incidents:dashboard"), headers={"HX-Request": "true", "If-None-Match": etag})
        assert changed.status_code == 200 and "Outage 00 (renamed)" in changed.text
    later = as_anna.get(reverse("incidents:dashboard"),
                        headers={"HX-Request": "true", "If-None-Match": changed["ETag"]})
    assert later.status_code == 200, "the countdowns moved on: a new minute renders again"


def test_unfilled_roles_are_marked_in_words(as_anna, customer, account_manager):
    open_incident(customer, account_manager, title="Mail down", severity="critical")
    page = as_anna.get(reverse("incidents:dashboard")).text

    assert "role-unfilled" in page and "unfilled" in page


def test_ages_are_compact_and_in_the_readers_language(as_anna, customer, account_manager):
    opened = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(opened, tick=False):
        open_incident(customer, account_manager, title="Outage ERP", started_at=opened - timedelta(hours=2, minutes=5))
    as_anna.post(reverse("set_language"), {"language": "nl", "next": "/console/"})

    with time_machine.travel(opened + timedelta(minutes=40, seconds=10), tick=False):
        page = as_anna.get(reverse("incidents:dashboard")).text

    row = page.split(">Outage ERP<")[1].split("</tr>")[0]
    assert ">2\xa0u\xa045\xa0min</time>" in row, "started 2 h 45 min ago, in Dutch units, on one line"
    assert "(40\xa0min geleden)" in row, "the last public update (the opening) 40 minutes ago"
