"""The console's dashboard: what needs the MSP now, most urgent first, in pages.

With thousands of open incidents the page shows one page of them (overdue updates first, then
due soon, then by severity), with counts of the whole set above it, so it renders in the same
time whether 20 or 2,000 incidents are open (bench/scale_console.py). It refreshes itself every
30 seconds through htmx; that poll is answered 304 Not Modified unless something it shows
changed, or the minute turned (the countdowns count in minutes).
"""

import hashlib
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_GET
from django.views.decorators.vary import vary_on_headers

from console.access import staff_required
from console.views.timers import ClockRow, IncidentRow, cadence_timers
from followup.selectors import overdue_actions_for_user
from incidents import selectors
from incidents.models import Severity
from playbook.selectors import roles_by_incident

PAGE_SIZE = 30  # the most urgent first; 30 rows render in about half the time of 50 (bench/scale_console.py)
WAITING_SHOWN = 10  # incidents awaiting acknowledgment listed above the table; the rest are counted
ACTIONS_SHOWN = 10


def dashboard_etag(request: HttpRequest) -> str:
    """Changes with what the page shows: the user's incidents, windows and clocks, the page asked
    for, the language, and the minute (the countdowns)."""
    now = timezone.now()
    parts = (request.user.pk, translation.get_language(), request.GET.urlencode(), bool(request.htmx),
             now.strftime("%Y%m%d%H%M"), *selectors.dashboard_fingerprint(request.user))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


@require_GET
@staff_required
@vary_on_headers("HX-Request")
@cache_control(private=True, no_cache=True)
@condition(etag_func=dashboard_etag)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render_dashboard(request)


def render_dashboard(request: HttpRequest) -> HttpResponse:
    """The whole page, or only the self-refreshing tables for htmx (polling or a button in them)."""
    template = "incidents/dashboard.html#incident-tables" if request.htmx else "incidents/dashboard.html"
    return render(request, template, dashboard_context(request.user, timezone.now(), page=request.GET.get("page")))


def dashboard_context(user: AbstractBaseUser, now: datetime, *, page: str | None = None) -> dict:
    """A fixed number of queries however many incidents, clocks or windows there are."""
    counts = selectors.open_incident_counts(user, now=now)
    paginator = Paginator(selectors.open_incidents_by_urgency(user, now=now), PAGE_SIZE)
    paginator.count = counts["open"]  # counted with the rest just above: no second COUNT(*)
    open_page = paginator.get_page(page)
    incidents = list(open_page)
    roles = roles_by_incident([incident.pk for incident in incidents])
    rows = [IncidentRow(incident, cadence_timers(incident, now), roles.get(incident.pk, [])) for incident in incidents]
    waiting = selectors.unacknowledged_for_user(user, limit=WAITING_SHOWN)
    return {
        "open_page": open_page,
        "open_rows": rows,
        "counts": counts,
        "severity_counts": [(label, counts[value]) for value, label in Severity.choices],
        "unacknowledged_rows": [IncidentRow(incident, cadence_timers(incident, now)) for incident in waiting],
        "resolved_incidents": selectors.recently_resolved_for_user(user),
        "clock_rows": [ClockRow(clock, now) for clock in selectors.running_clocks_for_user(user)],
        "maintenances": selectors.upcoming_maintenance_for_user(user, now=now),
        "overdue_actions": list(overdue_actions_for_user(user, now)[:ACTIONS_SHOWN]),
        "now": now,
    }
