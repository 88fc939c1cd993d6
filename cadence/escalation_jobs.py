"""The tick's escalation jobs: late updates and time thresholds reach the escalation matrix (and
the managers); legal clocks and post-incident summaries are deadlines the account managers
and managers are reminded of (comms.messages.staff_notices)."""

from datetime import datetime, timedelta
from functools import partial

from django.db.models import F

from cadence.ledger import Due, Job, claimed, incident_items, shifted, still_open
from comms.messages import staff_notices
from comms.models import EscalationTrigger as T
from comms.outbox.escalation import escalation_send, eta_passed_reason, open_too_long_reason, overdue_reason
from incidents.models import OPEN_STATUSES, Incident, RegulatoryClock, Status

# Late updates and time thresholds reach the matrix (and the managers); legal clocks and
# post-incident summaries are deadlines the account managers and managers are reminded of.

REGULATORY_FRACTIONS = (0.5, 0.75, 0.9)
POST_INCIDENT_REMINDER = timedelta(hours=20)
POST_INCIDENT_DUE = timedelta(hours=24)
POST_INCIDENT_LOOKBACK = timedelta(days=7)  # older resolutions are history: their summaries are not chased


def find_overdue(now: datetime) -> list[Due]:
    return incident_items(now, job="overdue", anchor="next_update_due_at", strictly=True,
                          due=shifted("incident__next_update_due_at", F("customer__overdue_escalation_minutes")))


def handle_overdue(due: Due) -> bool:
    """Still late past the threshold (no holding update moved the promise): managers and the matrix hear."""
    incident = still_open(due, next_update_due_at=due.anchor)
    if incident is None:
        return False
    staff_notices.update_overdue(incident=incident, due_at=due.anchor)
    escalation_send(incident=incident, trigger=T.UPDATE_OVERDUE,
                    reason=partial(overdue_reason, due_at=due.anchor))
    return True


def find_open_too_long(now: datetime) -> list[Due]:
    return incident_items(now, job="open_too_long", anchor="detected_at", customer__escalate_after_hours__gt=0,
                          due=shifted("incident__detected_at", F("customer__escalate_after_hours") * 60))


def handle_open_too_long(due: Due) -> bool:
    incident = still_open(due)
    if incident is None:
        return False
    escalation_send(incident=incident, trigger=T.TIME_THRESHOLD, reason=open_too_long_reason)
    return True


def find_eta_passed(now: datetime) -> list[Due]:
    rows = (Incident.objects.filter(status__in=OPEN_STATUSES, eta__lte=now)
            .exclude(claimed("incident:", "pk", "eta_passed", "eta")).values_list("pk", "eta"))
    return [Due("eta_passed", f"incident:{pk}", "eta_passed", eta, eta, pk) for pk, eta in rows]


def handle_eta_passed(due: Due) -> bool:
    """Once per ETA value: a new ETA that passes again escalates again."""
    incident = still_open(due, eta=due.anchor)
    if incident is None:
        return False
    escalation_send(incident=incident, trigger=T.TIME_THRESHOLD,
                    reason=partial(eta_passed_reason, eta=due.anchor))
    return True


def find_clock_reminders(now: datetime) -> list[Due]:
    """Running clocks past 50%, 75% or 90%: only the highest passed mark (a late tick skips stale ones)."""
    keys = {f"reminder_{round(fraction * 100)}": fraction for fraction in REGULATORY_FRACTIONS}
    clocks = (RegulatoryClock.objects.filter(filed_at__isnull=True, started_at__lte=now)
              .annotate(**{key: claimed("clock:", "pk", key, "deadline_at") for key in keys})
              .values("pk", "started_at", "deadline_at", *keys))
    items = []
    for clock in clocks:
        marks = [(key, clock["started_at"] + (clock["deadline_at"] - clock["started_at"]) * fraction)
                 for key, fraction in keys.items()]
        passed = [(key, moment) for key, moment in marks if moment <= now]
        if passed and not clock[passed[-1][0]]:
            key, moment = passed[-1]
            items.append(Due("regulatory", f"clock:{clock['pk']}", key, clock["deadline_at"], moment, clock["pk"]))
    return items


def handle_clock_reminder(due: Due) -> bool:
    clock = RegulatoryClock.objects.select_related("incident").filter(pk=due.pk, filed_at__isnull=True).first()
    if clock is None:
        return False
    staff_notices.clock_reminder(clock=clock, fraction=int(due.key.removeprefix("reminder_")) / 100)
    return True


def find_post_incident(now: datetime, *, job: str, after: timedelta, until: timedelta) -> list[Due]:
    """Resolved incidents without a summary, resolved between ``until`` and ``after`` ago."""
    rows = (Incident.objects.filter(status=Status.RESOLVED, post_incident_sent_at__isnull=True,
                                    resolved_at__lte=now - after, resolved_at__gt=now - until)
            .exclude(claimed("incident:", "pk", job, "resolved_at")).values_list("pk", "resolved_at"))
    return [Due(job, f"incident:{pk}", job, resolved, resolved + after, pk) for pk, resolved in rows]


def handle_post_incident(due: Due) -> bool:
    incident = Incident.objects.filter(pk=due.pk, status=Status.RESOLVED, post_incident_sent_at__isnull=True,
                                       resolved_at=due.anchor).first()
    if incident is None:
        return False
    notice = staff_notices.post_incident_reminder if due.job == "post_incident_reminder" else (
        staff_notices.post_incident_overdue)
    notice(incident=incident, due_at=due.anchor + POST_INCIDENT_DUE)
    return True


ESCALATION_JOBS: tuple[Job, ...] = (
    Job("overdue", find_overdue, handle_overdue),
    Job("open_too_long", find_open_too_long, handle_open_too_long),
    Job("eta_passed", find_eta_passed, handle_eta_passed),
    Job("regulatory", find_clock_reminders, handle_clock_reminder),
    Job("post_incident_reminder", partial(find_post_incident, job="post_incident_reminder",
                                          after=POST_INCIDENT_REMINDER, until=POST_INCIDENT_DUE),
        handle_post_incident),
    Job("post_incident_overdue", partial(find_post_incident, job="post_incident_overdue",
                                         after=POST_INCIDENT_DUE, until=POST_INCIDENT_LOOKBACK),
        handle_post_incident),
)
