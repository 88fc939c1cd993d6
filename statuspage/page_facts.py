"""What a publish reads, for many pages at once: a fixed number of queries per batch, not per page.

A page read on its own costs some twenty queries, and building and planning them is most of a
publish's time; a full re-publish (after a deploy, or at a midnight many pages share) reads
hundreds of pages (issue 14). ``read(customers, now=…)`` reads the same facts for a batch with
the single-page readers' own bulk forms (``selectors``, ``maintenance``, ``uptime``, ``api``),
so a page published alone and one published in a batch are the same bytes
(tests/statuspage/test_page_facts.py).
"""

from dataclasses import dataclass
from datetime import datetime

from incidents.models import Component, Customer
from incidents.selectors import components_for_customers
from statuspage.api import RECENT_LIMIT, WINDOWS_READ_LIMIT, component_changed_at
from statuspage.maintenance import MaintenanceState, recent_maintenance_states
from statuspage.selectors import last_public_changes, recent_incident_states
from statuspage.states import IncidentState
from statuspage.uptime import Change, load_changes_of, window_start


@dataclass(frozen=True, slots=True)
class PageFacts:
    """One page's share of a batch read: what ``snapshots.render_documents`` renders from."""

    as_of: datetime  # the last public change (``selectors.last_public_change``)
    recent: list[IncidentState]  # the most recent incidents, newest first, with their changes
    windows: list[MaintenanceState]  # the most recent maintenance windows, newest start first
    components: list[Component]  # in page order
    changes: list[Change]  # what the uptime bars are made of (``uptime.load_changes``)
    changed_at: dict[int, datetime]  # component id → its last change

    @property
    def every_window(self) -> list[MaintenanceState] | None:
        """All of the customer's windows when the read holds them all, else None (then the page and
        the calendar read their own)."""
        return self.windows if len(self.windows) < WINDOWS_READ_LIMIT else None


def read(customers: list[Customer], *, now: datetime) -> dict[int, PageFacts]:
    """The facts of each customer's page as of ``now``, in eleven queries however many customers."""
    if not customers:
        return {}
    as_of = last_public_changes([c.pk for c in customers])
    recent = recent_incident_states(customers, limit=RECENT_LIMIT)
    windows = recent_maintenance_states(customers, now=now, limit=WINDOWS_READ_LIMIT)
    components = components_for_customers(customers)
    changes = load_changes_of(customers, since={c.pk: window_start(now, c.tzinfo) for c in customers})
    changed_at = component_changed_at(customers)
    return {
        c.pk: PageFacts(as_of=as_of[c.pk], recent=recent[c.pk], windows=windows[c.pk], components=components[c.pk],
                        changes=changes[c.pk], changed_at=changed_at)
        for c in customers
    }
