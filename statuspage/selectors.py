"""What a customer's public status page shows, as plain typed data.

``page_state`` reads everything the page needs in a fixed number of queries (through the
public reads in ``incidents.selectors``) and copies only public facts into frozen
dataclasses. Templates and, later, the published snapshot and the Statuspage-compatible
JSON render from this one structure, so nothing internal (notes, authors, business
impact, root cause, other customers) can reach them by accident: it is never copied.

``incident_states`` is the one reader of a customer's incidents (page, permalink,
history, feeds, JSON); ``page_state`` adds components with their 90-day uptime bars and
the upcoming and active maintenance. A component inside an active maintenance window
shows ``under_maintenance`` unless an incident makes it worse.
"""

from datetime import datetime, timedelta
from itertools import groupby
from operator import attrgetter

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from core.texts import Localized
from incidents.models import (
    OPEN_STATUSES,
    Component,
    ComponentChange,
    ComponentStatus,
    Customer,
    CustomerIncident,
    IncidentUpdate,
    Maintenance,
    Severity,
    Status,
)
from incidents.selectors import components_for_customer, public_incident_links
from statuspage.maintenance import MaintenanceState, active_at, ending_since, maintenance_states
from statuspage.states import (
    COMPONENT_INDICATOR,
    SEVERITY_INDICATOR,
    ChangeState,
    ComponentGroup,
    ComponentState,
    IncidentState,
    Indicator,
    PageState,
    UpdateState,
)
from statuspage.uptime import Change, UptimeBar, load_changes, uptime_bars, window_start
from statuspage.uptime import Window as UptimeWindow

RECENTLY_RESOLVED_DAYS = 7
RECENT_READ_LIMIT = 50  # the most recent incidents the JSON and the feeds list (api.RECENT_LIMIT, feeds.FEED_ITEMS)


def page_state(customer: Customer, *, now: datetime | None = None, with_uptime: bool = True,
               with_changes: bool = False, as_of: datetime | None = None,
               recent: list[IncidentState] | None = None,
               every_window: list[MaintenanceState] | None = None, components: list[Component] | None = None,
               changes: list[Change] | None = None) -> PageState:
    """Everything the customer's page shows, in a fixed number of queries however many incidents there are.

    ``as_of`` is the last public change (``last_public_change``; read here unless the caller has it).
    ``recent``: the customer's most recent incidents already read (with changes, newest first; the
    publisher has them for the JSON and feeds): the page's are taken from them when they hold them all.
    ``every_window``, ``components``, ``changes`` (``uptime.load_changes``): read by the caller (a
    publish reads many pages' at once, ``statuspage.page_facts``)."""
    now = now or timezone.now()
    since = window_start(now, customer.tzinfo)
    windows = (maintenance_states(customer, now=now, since=since) if every_window is None
               else ending_since(every_window, since))
    maintenances = [m for m in windows if not m.cancelled]
    if components is None:
        components = list(components_for_customer(customer))  # ordered by group, so "" (ungrouped) comes first
    bars = {}
    if with_uptime:
        if changes is None:
            changes = load_changes(customer, since=since)
        windows = [UptimeWindow(c.id, m.window_start, m.window_end(now)) for m in maintenances for c in m.components]
        bars = uptime_bars([c.pk for c in components], changes, windows, now=now, tz=customer.tzinfo)
    maintained = {c.id for m in maintenances if m.is_active for c in m.components}
    states = component_states(customer, now=now, maintained=maintained, bars=bars, components=components)
    recently = now - timedelta(days=RECENTLY_RESOLVED_DAYS)
    shown = (Q(incident__status__in=OPEN_STATUSES)
             | Q(incident__status=Status.RESOLVED, incident__resolved_at__gte=recently))
    incidents = _shown_among(recent, customer, shown, now=now)
    if incidents is None:
        incidents = incident_states(customer, with_changes=with_changes, where=shown)
    active = sorted(
        (i for i in incidents if i.is_open), key=lambda i: (Severity.rank(i.severity), -i.started_at.timestamp())
    )
    resolved = sorted((i for i in incidents if not i.is_open), key=lambda i: i.resolved_at, reverse=True)
    return PageState(
        slug=customer.slug,
        customer_name=customer.name,
        time_zone=customer.time_zone,
        as_of=as_of or last_public_change(customer),
        resolved_window_days=RECENTLY_RESOLVED_DAYS,
        indicator=_indicator([c.status for c in states], [i.severity for i in active]),
        groups=[
            ComponentGroup(name=group, components=list(members))
            for group, members in groupby(states, key=attrgetter("group"))
        ],
        active=active,
        recently_resolved=resolved,
        maintenance_active=sorted((m for m in maintenances if m.is_active), key=lambda m: m.scheduled_until),
        maintenance_upcoming=sorted((m for m in maintenances if m.is_upcoming), key=lambda m: m.scheduled_for),
    )


def _shown_among(recent: list[IncidentState] | None, customer: Customer, shown: Q, *,
                 now: datetime) -> list[IncidentState] | None:
    """The page's incidents out of ``recent`` (newest start first), or None when one it shows may be
    older than the oldest of them (one EXISTS query to tell, when ``recent`` is a full page)."""
    if recent is None:
        return None
    if len(recent) >= RECENT_READ_LIMIT:
        older = public_incident_links([customer]).filter(shown, incident__started_at__lt=recent[-1].started_at)
        if older.exists():
            return None
    since = now - timedelta(days=RECENTLY_RESOLVED_DAYS)
    return [i for i in recent if i.is_open or (i.resolved_at is not None and i.resolved_at >= since)]


def last_public_change(customer: Customer) -> datetime:
    """The last public change to the page: a public update, a component change or a maintenance edit.

    It is the page's "Last updated" and the JSON's ``updated_at``: a moment of the facts, not of the
    publish, so re-publishing an unchanged page writes the same bytes (issue 14)."""
    return last_public_changes([customer.pk])[customer.pk]


def last_public_changes(customer_ids: list[int]) -> dict[int, datetime]:
    """``last_public_change`` of each customer, in one query however many there are."""
    updates = IncidentUpdate.objects.filter(
        incident__customer_links__customer=OuterRef("pk"), is_internal=False, incident__is_drill=False
    ).exclude(message="")
    changes = ComponentChange.objects.filter(component__customer=OuterRef("pk"), update__incident__is_drill=False)
    windows = Maintenance.objects.filter(customer=OuterRef("pk"))
    newest = {
        "update": Subquery(updates.order_by("-created_at").values("created_at")[:1]),
        "change": Subquery(changes.order_by("-update__created_at").values("update__created_at")[:1]),
        "created": Subquery(windows.order_by("-created_at").values("created_at")[:1]),
        "started": Subquery(windows.filter(started_at__isnull=False).order_by("-started_at")
                            .values("started_at")[:1]),
        "completed": Subquery(windows.filter(completed_at__isnull=False).order_by("-completed_at")
                              .values("completed_at")[:1]),
        "component": Subquery(Component.objects.filter(customer=OuterRef("pk")).order_by("-updated_at")
                              .values("updated_at")[:1]),
    }
    rows = (Customer.objects.filter(pk__in=customer_ids).order_by()
            .annotate(**newest).values_list("pk", "created_at", *newest))
    return {pk: max(m for m in moments if m is not None) for pk, *moments in rows}


def component_states(customer: Customer, *, now: datetime, maintained: set[int] | None = None,
                     bars: dict[int, UptimeBar] | None = None,
                     components: list[Component] | None = None) -> list[ComponentState]:
    """The customer's components in page order, with maintenance applied (two queries unless given)."""
    if components is None:
        components = list(components_for_customer(customer))
    if maintained is None:
        active = Maintenance.objects.filter(active_at(now), customer=customer)
        maintained = set(customer.components.filter(maintenances__in=active).values_list("pk", flat=True))
    bars = bars or {}
    return [
        _component_state(c, effective_status(c.status, c.pk in maintained), uptime=bars.get(c.pk),
                         written_in=customer.language)
        for c in components
    ]


def effective_status(status: str, under_maintenance: bool) -> str:
    """A component in an active maintenance window is under maintenance, unless an incident makes it worse."""
    if under_maintenance:
        return max(status, ComponentStatus.UNDER_MAINTENANCE.value, key=ComponentStatus.weight)
    return status


def incident_states(customer: Customer, *, where: Q | None = None, limit: int | None = None,
                    with_changes: bool = False) -> list[IncidentState]:
    """The customer's incidents (newest start first), public facts only; 3 queries, 4 ``with_changes``."""
    links = _links([customer], with_changes=with_changes).order_by("-incident__started_at", "-pk")
    if where is not None:
        links = links.filter(where)
    if limit is not None:
        links = links[:limit]
    return [_incident_state(link, customer) for link in links]


def recent_incident_states(customers: list[Customer], *, limit: int) -> dict[int, list[IncidentState]]:
    """Each customer's ``incident_states(customer, limit=limit, with_changes=True)``: 4 queries for all of
    them (a window function numbers each customer's incidents; one customer's are simply cut)."""
    if len(customers) == 1:
        return {customers[0].pk: incident_states(customers[0], limit=limit, with_changes=True)}
    newest_first = [F("incident__started_at").desc(), F("pk").desc()]
    links = (_links(customers, with_changes=True)
             .annotate(place=Window(RowNumber(), partition_by=[F("customer_id")], order_by=newest_first))
             .filter(place__lte=limit).order_by("customer_id", *newest_first))
    by_pk = {customer.pk: customer for customer in customers}
    found: dict[int, list[IncidentState]] = {pk: [] for pk in by_pk}
    for link in links:
        found[link.customer_id].append(_incident_state(link, by_pk[link.customer_id]))
    return found


def incident_state(customer: Customer, number: str, *, with_changes: bool = False) -> IncidentState | None:
    """One of the customer's incidents by its own number; None for anyone else's number."""
    found = incident_states(customer, where=Q(number=number), with_changes=with_changes)
    return found[0] if found else None


def _links(customers: list[Customer], *, with_changes: bool) -> QuerySet[CustomerIncident]:
    """The customers' incident links with the public facts prefetched: components and changes of any
    of these customers (``_incident_state`` keeps the link's own customer's)."""
    links = public_incident_links(customers)
    if with_changes:
        links = links.prefetch_related(Prefetch(
            "incident__public_updates__component_changes",
            queryset=ComponentChange.objects.filter(component__customer__in=customers).select_related("component"),
            to_attr="customer_changes",
        ))
    return links


def _incident_state(link: CustomerIncident, customer: Customer) -> IncidentState:
    incident = link.incident
    affected = [a for a in incident.customer_affected if a.component.customer_id == customer.pk]
    return IncidentState(
        id=link.pk,
        number=link.number,
        title=Localized.of(incident, "title", written_in=incident.language),
        severity=incident.severity,
        status=incident.status,
        started_at=incident.started_at,
        created_at=link.added_at,
        monitoring_at=incident.monitoring_at,
        resolved_at=incident.resolved_at,
        workaround=Localized.of(incident, "workaround", written_in=incident.language),
        next_update_due_at=incident.next_update_due_at,
        affected=[
            _component_state(a.component, a.status, written_in=customer.language)
            for a in sorted(affected, key=lambda a: (a.component.position, a.component.name))
        ],
        updates=[
            UpdateState(
                id=u.pk, kind=u.kind, status=u.status, created_at=u.created_at,
                message=Localized.of(u, "message", written_in=incident.language),
                changes=[
                    ChangeState(component_id=c.component_id, old_status=c.previous_status, new_status=c.status,
                                name=Localized.of(c.component, "name", written_in=customer.language))
                    for c in getattr(u, "customer_changes", []) if c.component.customer_id == customer.pk
                ],
            )
            for u in incident.public_updates
        ],
    )


def _component_state(component: Component, status: str, *, written_in: str,
                     uptime: UptimeBar | None = None) -> ComponentState:
    return ComponentState(id=component.pk, status=status, position=component.position, uptime=uptime,
                          name=Localized.of(component, "name", written_in=written_in),
                          description=Localized.of(component, "description", written_in=written_in),
                          group=Localized.of(component, "group", written_in=written_in),
                          created_at=component.created_at, updated_at=component.updated_at)


def _indicator(component_statuses: list[str], open_severities: list[str]) -> Indicator:
    candidates = [COMPONENT_INDICATOR[ComponentStatus(s)] for s in component_statuses]
    candidates += [SEVERITY_INDICATOR[Severity(s)] for s in open_severities]
    return max(candidates, key=lambda indicator: indicator.rank, default=Indicator.NONE)
