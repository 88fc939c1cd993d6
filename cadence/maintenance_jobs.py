"""The tick's maintenance jobs: reminders before a window, and starting and completing windows on time."""

from datetime import datetime, timedelta
from functools import partial

from cadence.ledger import Due, Job, claimed
from comms.outbox.maintenance import maintenance_remind
from flows import maintenance as maintenance_flow
from incidents.models import Maintenance, MaintenanceStatus

# Before a window, nearest first: when both are due (a late tick), only the nearer goes out.
MAINTENANCE_REMINDERS = (("reminder_1h", timedelta(hours=1)), ("reminder_1d", timedelta(days=1)))


def find_maintenance_reminders(now: datetime) -> list[Due]:
    """The nearest reminder that is due, if the window was scheduled before its moment (else the
    announcement has just said it all)."""
    leads = dict(MAINTENANCE_REMINDERS)
    rows = (Maintenance.objects.filter(status=MaintenanceStatus.SCHEDULED, starts_at__gt=now,
                                       starts_at__lte=now + max(leads.values()))
            .annotate(**{key: claimed("maintenance:", "pk", key, "starts_at") for key in leads})
            .values("pk", "starts_at", "created_at", *leads))
    items = []
    for row in rows:
        moments = [(key, row["starts_at"] - lead) for key, lead in MAINTENANCE_REMINDERS]
        key, moment = next(((k, m) for k, m in moments if m <= now and row["created_at"] < m), (None, None))
        if key and not row[key]:
            items.append(Due("maintenance_reminder", f"maintenance:{row['pk']}", key, row["starts_at"], moment,
                             row["pk"]))
    return items


def handle_maintenance_reminder(due: Due) -> bool:
    maintenance = Maintenance.objects.select_related("customer").filter(
        pk=due.pk, status=MaintenanceStatus.SCHEDULED, starts_at=due.anchor).first()
    if maintenance is None:
        return False
    maintenance_remind(maintenance=maintenance)
    return True


def find_maintenance_edge(now: datetime, *, job: str, moment: str, statuses: tuple[str, ...]) -> list[Due]:
    """Windows whose start (or end) has come: the tick starts (or completes) them."""
    rows = (Maintenance.objects.filter(status__in=statuses, **{f"{moment}__lte": now})
            .exclude(claimed("maintenance:", "pk", job, moment)).values_list("pk", moment))
    return [Due(job, f"maintenance:{pk}", job, at, at, pk) for pk, at in rows]


def handle_maintenance_edge(due: Due) -> bool:
    """flows.maintenance start/complete are idempotent; only the call that moves the window sends the notice.

    A window whose start failed is not completed: the claim rolls back and the next tick tries again.
    """
    maintenance = Maintenance.objects.select_related("customer").get(pk=due.pk)
    service = maintenance_flow.start if due.job == "maintenance_start" else maintenance_flow.complete
    return service(maintenance=maintenance)


MAINTENANCE_JOBS: tuple[Job, ...] = (
    Job("maintenance_reminder", find_maintenance_reminders, handle_maintenance_reminder),
    Job("maintenance_start", partial(find_maintenance_edge, job="maintenance_start", moment="starts_at",
                                     statuses=(MaintenanceStatus.SCHEDULED,)), handle_maintenance_edge),
    # A window the tick never saw start (it was down) is started, then completed, in one tick.
    Job("maintenance_complete", partial(find_maintenance_edge, job="maintenance_complete", moment="ends_at",
                                        statuses=(MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS)),
        handle_maintenance_edge),
)
