"""The tick's monitoring-intake jobs: an alert that has now fired long enough counts (flap
damping), a draft nobody acted on goes out at the acknowledgment target, a recovered
incident is resolved after its quiet period (per policy)."""

from datetime import datetime, timedelta

from django.db.models import F, Max

from cadence.ledger import Due, Job, claimed, shifted
from incidents.models import Incident, Status
from intake import inbox, ingest
from intake.actions import resolve_quietly_recovered
from intake.models import Alert, AlertState, Integration, Resolution


def find_counting(now: datetime) -> list[Due]:
    """Waiting alerts still firing whose flap time is over (few rows: only alerts in their first seconds)."""
    rows = (Alert.objects.filter(state=AlertState.PENDING, firing=True)
            .exclude(claimed("alert:", "pk", "alert_counts", "started_at"))
            .values_list("pk", "started_at", "flap_seconds"))
    items = []
    for pk, started_at, seconds in rows:
        due_at = started_at + timedelta(seconds=seconds)
        if due_at <= now:
            items.append(Due("alert_counts", f"alert:{pk}", "alert_counts", started_at, due_at, pk))
    return items


def handle_counting(due: Due) -> bool:
    integration_id = Alert.objects.filter(pk=due.pk).values_list("integration_id", flat=True).first()
    if integration_id is None:
        return False
    Integration.objects.select_for_update().get(pk=integration_id)  # the lock order of a request (intake.ingest)
    alert = Alert.objects.select_for_update().filter(pk=due.pk, state=AlertState.PENDING, firing=True).first()
    if alert is None:
        return False
    ingest.promote(alert)
    return True


def find_unattended(now: datetime) -> list[Due]:
    rows = (Alert.objects.filter(state=AlertState.INBOX, firing=True)
            .annotate(due=shifted("first_seen_at", F("integration__customer__ack_target_minutes")))
            .filter(due__lte=now).exclude(claimed("alert:", "pk", "alert_release", "first_seen_at"))
            .values_list("pk", "first_seen_at", "due"))
    return [Due("alert_release", f"alert:{pk}", "alert_release", seen, due_at, pk) for pk, seen, due_at in rows]


def handle_unattended(due: Due) -> bool:
    alert = Alert.objects.select_related("integration__customer").filter(pk=due.pk).first()
    return alert is not None and inbox.release_at_target(alert) is not None


def find_quiet(now: datetime) -> list[Due]:
    """Monitoring incidents of auto-resolving integrations, no alert firing, quiet long enough."""
    rows = (Incident.objects.filter(status=Status.MONITORING, alerts__integration__resolution=Resolution.AUTO)
            .exclude(alerts__firing=True)
            .annotate(cleared=Max("alerts__resolved_at"), quiet=Max("alerts__integration__quiet_minutes"))
            .exclude(cleared=None)
            .values_list("pk", "cleared", "quiet"))
    items = []
    for pk, cleared, quiet in rows:
        due_at = cleared + timedelta(minutes=quiet)
        if due_at <= now:
            items.append(Due("alert_resolve", f"incident:{pk}", "alert_resolve", cleared, due_at, pk))
    return items


def handle_quiet(due: Due) -> bool:
    incident = Incident.objects.filter(pk=due.pk).first()
    return incident is not None and resolve_quietly_recovered(incident)


INTAKE_JOBS: tuple[Job, ...] = (
    Job("alert_counts", find_counting, handle_counting),
    Job("alert_release", find_unattended, handle_unattended),
    Job("alert_resolve", find_quiet, handle_quiet),
)
