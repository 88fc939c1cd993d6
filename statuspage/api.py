"""Statuspage v2-compatible JSON (``/status/<slug>/api/v2/…``), as plain dictionaries.

Field names and enum values follow Atlassian Statuspage's public API so its widgets,
aggregators and monitoring integrations read Kalm's pages unchanged:

* ids are strings: components by their id, incidents by this customer's CustomerIncident
  id (never another customer's), maintenance windows as ``m<id>``;
* component groups are emulated from ``Component.group``: a component with
  ``group: true`` listing its children's ids, and ``group_id`` on each child;
* incident ``impact`` comes from the severity (critical→critical, high→major,
  medium/low→minor); scheduled maintenances have impact ``maintenance``;
* timestamps are ISO 8601 with milliseconds and the offset of the customer's time zone;
* only public updates, only this customer's components, and its own incident number
  (in the ``shortlink``).

Every document is built from one lazily loaded ``ApiData``; ``ENDPOINTS`` maps the path
under ``api/v2/`` to its builder, so a snapshot publisher can render all of them from a
single read.
"""

import copy
import hashlib
from collections.abc import Callable
from datetime import datetime
from itertools import groupby
from operator import attrgetter
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext as _

from incidents.models import ComponentChange, ComponentStatus, Customer
from statuspage.links import incident_url, page_url
from statuspage.maintenance import MaintenanceState, PublicMaintenanceStatus, maintenance_states
from statuspage.selectors import (
    RECENT_READ_LIMIT,
    component_states,
    incident_states,
    last_public_change,
    page_state,
)
from statuspage.states import ComponentState, IncidentState, PageState

Json = dict[str, Any]
RECENT_LIMIT = RECENT_READ_LIMIT  # Statuspage lists the 50 most recent incidents and maintenances
WINDOWS_READ_LIMIT = RECENT_LIMIT * 2  # cancelled windows are read, then left out


def component_changed_at(customers: list[Customer]) -> dict[int, datetime]:
    """When each component of these customers last changed (by an incident that is not a drill)."""
    rows = (ComponentChange.objects.filter(component__customer__in=customers, update__incident__is_drill=False)
            .values("component_id")
            .annotate(last=Max("update__created_at")).values_list("component_id", "last"))
    return dict(rows)


def _shared[T](load: Callable[["ApiData"], T]) -> property:
    """A value loaded on first use and shared with every ``linking`` twin (a publish renders 8
    documents in 2 variants from one read, not one read per document), and, when it holds no text in
    the active language, with ``for_another_language`` too (one read for every language; issue 14)."""
    name = load.__name__

    def get(self: "ApiData") -> T:
        loaded = self._facts if name in ApiData.LANGUAGE_FREE else self._texts
        if name not in loaded:
            loaded[name] = load(self)
        return loaded[name]

    return property(get, doc=load.__doc__)


class ApiData:
    """What the documents read, loaded on first use and shared between them (and their twins)."""

    # Loads that hold no text in the active language (times, ids, ``Localized`` texts).
    LANGUAGE_FREE = frozenset({"updated_at", "state", "recent_incidents", "maintenance_windows", "recent_maintenances",
                               "component_changed_at"})

    def __init__(self, customer: Customer, *, now: datetime, query: str = "", updated_at: datetime | None = None,
                 state: PageState | None = None, recent: list[IncidentState] | None = None,
                 windows: list[MaintenanceState] | None = None, changed_at: dict[int, datetime] | None = None) -> None:
        self.customer = customer
        self.now = now
        self.query = query  # "?lang=…" for the links, when the document was asked for in a chosen language
        seeds = {"updated_at": updated_at, "state": state, "recent_incidents": recent, "maintenance_windows": windows,
                 "component_changed_at": changed_at}
        self._facts: dict[str, Any] = {name: value for name, value in seeds.items() if value is not None}
        self._texts: dict[str, Any] = {}

    def for_another_language(self) -> "ApiData":
        """The same facts (what is loaded, and what either loads later), none of this language's texts."""
        other = copy.copy(self)
        other._texts = {}
        return other

    def linking(self, query: str) -> "ApiData":
        """The same data (sharing what it loaded and will load) with links that carry ``query``."""
        if query == self.query:
            return self
        twin = copy.copy(self)  # shallow: the loaded facts and texts are the same dicts
        twin.query = query
        return twin

    @_shared
    def state(self) -> PageState:
        return page_state(self.customer, now=self.now, with_uptime=False, with_changes=True, as_of=self.updated_at)

    @_shared
    def recent_incidents(self) -> list[IncidentState]:
        return incident_states(self.customer, limit=RECENT_LIMIT, with_changes=True)

    @_shared
    def maintenance_windows(self) -> list[MaintenanceState]:
        """The customer's most recent windows (newest start first), cancelled ones included."""
        return maintenance_states(self.customer, now=self.now, limit=WINDOWS_READ_LIMIT)

    @_shared
    def recent_maintenances(self) -> list[MaintenanceState]:
        return [m for m in self.maintenance_windows if not m.cancelled][:RECENT_LIMIT]

    @_shared
    def component_changed_at(self) -> dict[int, datetime]:
        return component_changed_at([self.customer])

    @_shared
    def updated_at(self) -> datetime:
        """The last public change to the page (``selectors.last_public_change``)."""
        return last_public_change(self.customer)

    @_shared
    def components(self) -> list[Json]:
        # Reuse the page state when a document already read it; otherwise two queries instead of seven.
        loaded = self._facts.get("state")
        states = loaded.components if loaded else component_states(self.customer, now=self.now)
        return _components(self, states)

    @_shared
    def component_by_id(self) -> dict[str, Json]:
        return {c["id"]: c for c in self.components if not c["group"]}

    def iso(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.customer.tzinfo).isoformat(timespec="milliseconds") if moment else None


def summary(data: ApiData) -> Json:
    state = data.state
    return {
        "page": _page(data),
        "components": data.components,
        "incidents": [_incident(data, i) for i in state.active],
        "scheduled_maintenances": [
            _maintenance(data, m) for m in [*state.maintenance_active, *state.maintenance_upcoming]
        ],
        "status": _status(data),
    }


def status(data: ApiData) -> Json:
    return {"page": _page(data), "status": _status(data)}


def components(data: ApiData) -> Json:
    return {"page": _page(data), "components": data.components}


def incidents(data: ApiData) -> Json:
    return {"page": _page(data), "incidents": [_incident(data, i) for i in data.recent_incidents]}


def unresolved_incidents(data: ApiData) -> Json:
    return {"page": _page(data), "incidents": [_incident(data, i) for i in data.state.active]}


def scheduled_maintenances(data: ApiData) -> Json:
    return {"page": _page(data), "scheduled_maintenances": [_maintenance(data, m) for m in data.recent_maintenances]}


def upcoming_maintenances(data: ApiData) -> Json:
    return {"page": _page(data),
            "scheduled_maintenances": [_maintenance(data, m) for m in data.state.maintenance_upcoming]}


def active_maintenances(data: ApiData) -> Json:
    return {"page": _page(data),
            "scheduled_maintenances": [_maintenance(data, m) for m in data.state.maintenance_active]}


ENDPOINTS: dict[str, Callable[[ApiData], Json]] = {
    "summary.json": summary,
    "status.json": status,
    "components.json": components,
    "incidents.json": incidents,
    "incidents/unresolved.json": unresolved_incidents,
    "scheduled-maintenances.json": scheduled_maintenances,
    "scheduled-maintenances/upcoming.json": upcoming_maintenances,
    "scheduled-maintenances/active.json": active_maintenances,
}


def _page(data: ApiData) -> Json:
    customer = data.customer
    return {"id": customer.slug, "name": customer.name, "url": page_url(customer.slug, query=data.query),
            "time_zone": customer.time_zone, "updated_at": data.iso(data.updated_at)}


def _status(data: ApiData) -> Json:
    indicator = data.state.indicator
    return {"indicator": indicator.value, "description": str(indicator.label)}


def _components(data: ApiData, states: list[ComponentState]) -> list[Json]:
    """Ungrouped components first, then each group followed by its members, numbered in that order."""
    created = data.customer.created_at
    rows: list[Json] = []
    for name, grouped in groupby(states, key=attrgetter("group")):
        group = list(grouped)
        group_id = _group_id(data.customer, name.written) if name else None
        members = [_component(data, component, group_id=group_id) for component in group]
        if group_id:
            changed = [data.component_changed_at.get(c.id) for c in group] + [c.updated_at for c in group]
            worst = max((c.status for c in group), key=ComponentStatus.weight)
            rows.append({
                "id": group_id, "name": str(name), "status": worst, "created_at": data.iso(created),
                "updated_at": data.iso(max([created, *(m for m in changed if m)])), "position": 0,
                "description": None, "showcase": False, "start_date": None, "group_id": None,
                "page_id": data.customer.slug, "group": True, "only_show_if_degraded": False,
                "components": [m["id"] for m in members],
            })
        rows.extend(members)
    for position, row in enumerate(rows, start=1):
        row["position"] = position
    return rows


def _component(data: ApiData, component: ComponentState, *, group_id: str | None) -> Json:
    created = component.created_at or data.customer.created_at
    # Its own edits (name, status) and the timeline's status changes, whichever came last.
    changes = [created, component.updated_at, data.component_changed_at.get(component.id)]
    return {
        "id": str(component.id), "name": str(component.name), "status": component.status,
        "created_at": data.iso(created), "updated_at": data.iso(max(m for m in changes if m)),
        "position": component.position, "description": str(component.description) or None, "showcase": True,
        "start_date": None, "group_id": group_id, "page_id": data.customer.slug, "group": False,
        "only_show_if_degraded": False,
    }


def _group_id(customer: Customer, name: str) -> str:
    return "g" + hashlib.blake2s(f"{customer.pk}:{name}".encode(), digest_size=6).hexdigest()


def _incident(data: ApiData, incident: IncidentState) -> Json:
    incident_id = str(incident.id)
    return {
        "id": incident_id, "name": str(incident.title), "status": incident.status,
        "created_at": data.iso(incident.created_at), "updated_at": data.iso(incident.updated_at),
        "monitoring_at": data.iso(incident.monitoring_at), "resolved_at": data.iso(incident.resolved_at),
        "impact": incident.impact.value,
        "shortlink": incident_url(data.customer.slug, incident.number, query=data.query),
        "started_at": data.iso(incident.started_at), "page_id": data.customer.slug,
        "incident_updates": [
            _update(data, incident_id, str(u.id), u.status, str(u.message), u.created_at, [
                {"code": str(c.component_id), "name": str(c.name),
                 "old_status": c.old_status or ComponentStatus.OPERATIONAL.value, "new_status": c.new_status}
                for c in u.changes
            ])
            for u in incident.updates
        ],
        "components": _component_list(data, [c.id for c in incident.affected]),
    }


def _maintenance(data: ApiData, window: MaintenanceState) -> Json:
    window_id = f"m{window.id}"
    return {
        "id": window_id, "name": str(window.title), "status": window.status.value,
        "created_at": data.iso(window.created_at), "updated_at": data.iso(window.updated_at),
        "monitoring_at": None, "resolved_at": data.iso(window.completed_at), "impact": "maintenance",
        "shortlink": page_url(data.customer.slug, query=f"{data.query}#maintenance-{window.id}"),
        "started_at": data.iso(window.started_at or window.scheduled_for), "page_id": data.customer.slug,
        "incident_updates": [
            _update(data, window_id, f"{window_id}-{status}", status, body, at, [])
            for status, body, at in reversed(_maintenance_steps(window))
        ],
        "components": _component_list(data, [c.id for c in window.components]),
        "scheduled_for": data.iso(window.scheduled_for), "scheduled_until": data.iso(window.scheduled_until),
    }


def _maintenance_steps(window: MaintenanceState) -> list[tuple[str, str, datetime]]:
    """Maintenance has no timeline of its own: announce, start and completion, oldest first."""
    announcement = "\n\n".join(str(text) for text in (window.expected_impact, window.customer_action) if text)
    steps = [(PublicMaintenanceStatus.SCHEDULED.value, announcement or str(window.title), window.created_at)]
    if window.started_at:
        steps.append((PublicMaintenanceStatus.IN_PROGRESS.value, _("The maintenance has started."),
                      window.started_at))
    if window.completed_at:
        steps.append((PublicMaintenanceStatus.COMPLETED.value, _("The maintenance is complete."),
                      window.completed_at))
    return steps


def _update(data: ApiData, parent_id: str, update_id: str, status: str, body: str, at: datetime,
            affected: list[Json]) -> Json:
    return {
        "id": update_id, "status": status, "body": body, "incident_id": parent_id,
        "created_at": data.iso(at), "updated_at": data.iso(at), "display_at": data.iso(at),
        "affected_components": affected or None, "deliver_notifications": True, "custom_tweet": None,
        "tweet_id": None,
    }


def _component_list(data: ApiData, ids: list[int]) -> list[Json]:
    return [data.component_by_id[str(pk)] for pk in ids if str(pk) in data.component_by_id]

