"""Escalation: which stakeholder roles hear about a trigger, and what they are sent.

Seed 004's triggers each reach a set of roles: ``DEFAULT_ESCALATION``, overridden per
customer (a whole trigger at a time) by ``EscalationRule`` rows. There are two callers:

- the outbox, for triggers a timeline entry carries (severity raised, business impact,
  external impact, personal data): ``role_kinds_for_update`` names the roles that get an
  ESCALATION (or REGULATORY) message from that entry *instead of* what routing would give
  them, so nobody receives two messages about one entry;
- the tick, for triggers that are about time (open too long, ETA passed, update overdue):
  the jobs at the end of this module find them, and ``escalation_send`` writes ESCALATION
  Communications to the trigger's roles. The legal clocks and late post-incident
  summaries are jobs here too: deadlines the MSP's staff are reminded of by e-mail.

The matrix decides *who* is told even where the routing table would not send them
updates: that is the point of an escalation.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comms import outbox, staff_notices
from comms.cadence import Due, Job, claimed, incident_items, shifted, still_open
from comms.models import Communication, EscalationRule, MessageKind, Role
from comms.models import EscalationTrigger as T
from core.formatting import Clock
from incidents.models import (
    OPEN_STATUSES,
    Customer,
    Incident,
    IncidentUpdate,
    RegulatoryClock,
    Severity,
    Status,
    UpdateKind,
)

DEFAULT_ESCALATION: dict[str, list[str]] = {
    # "Severity raised → additional stakeholder roles (e.g. executives)".
    T.SEVERITY_RAISED: [Role.MANAGEMENT, Role.EXECUTIVES],
    # "Time threshold passed → management"; the MSP's own people follow it too.
    T.TIME_THRESHOLD: [Role.MANAGEMENT, Role.INTERNAL_MSP],
    # "Business impact found → the affected business units".
    T.BUSINESS_IMPACT: [Role.MANAGEMENT, Role.EXECUTIVES],
    # "External impact → external comms": the console prompts for the external message itself.
    T.EXTERNAL_IMPACT: [Role.MANAGEMENT, Role.EXECUTIVES, Role.INTERNAL_MSP],
    # "Regulatory threshold (personal data) → compliance/legal".
    T.REGULATORY: [Role.REGULATOR, Role.MANAGEMENT],
    # A late update is the MSP's failure to fix, not the customer's: by default only the
    # MSP's own people hear it (the managers also get a staff e-mail, comms.staff_notices).
    T.UPDATE_OVERDUE: [Role.INTERNAL_MSP],
}

# A fact named in IncidentUpdate.facts_changed, the incident field that must now be set, its trigger.
_FACT_TRIGGERS = (
    ("business_impact", T.BUSINESS_IMPACT),
    ("external_impact", T.EXTERNAL_IMPACT),
    ("personal_data_involved", T.REGULATORY),
)


def escalation_matrix(customer: Customer) -> dict[str, list[str]]:
    """The customer's effective matrix: the defaults with its EscalationRule rows applied."""
    matrix = {trigger: list(roles) for trigger, roles in DEFAULT_ESCALATION.items()}
    for trigger, roles in EscalationRule.objects.filter(customer=customer).values_list("trigger", "roles"):
        matrix[trigger] = [role for role in roles or [] if role in Role.values]
    return matrix


def update_triggers(update: IncidentUpdate) -> list[str]:
    """The triggers a timeline entry carries, whether it is public or an internal note.

    An internal note may record business impact, external impact or personal data; the
    escalation goes out all the same, rendered from the facts (never the note's text).
    The opening entry only carries personal data (its clock starts there); a resolution
    only carries personal data too: escalating an incident that is over helps nobody.
    """
    incident = update.incident
    if update.kind in (UpdateKind.OPENED, UpdateKind.RESOLVED):
        flagged = update.kind == UpdateKind.OPENED or "personal_data_involved" in (update.facts_changed or [])
        return [T.REGULATORY] if flagged and incident.personal_data_involved else []
    triggers = []
    if update.severity_changed and Severity.rank(update.severity) < Severity.rank(update.previous_severity):
        triggers.append(T.SEVERITY_RAISED)
    changed = set(update.facts_changed or [])
    triggers += [trigger for fact, trigger in _FACT_TRIGGERS if fact in changed and getattr(incident, fact)]
    return triggers


def role_kinds_for_update(update: IncidentUpdate, customer: Customer) -> dict[str, str]:
    """Role → the kind it must receive for this entry (ESCALATION, or REGULATORY for personal data).

    REGULATORY wins when a role is in both: the formal notification carries the facts an
    escalation would, and one entry gives each stakeholder one message.
    """
    triggers = update_triggers(update)
    if not triggers:
        return {}
    matrix = escalation_matrix(customer)
    kinds: dict[str, str] = {}
    for trigger in triggers:
        kind = MessageKind.REGULATORY if trigger == T.REGULATORY else MessageKind.ESCALATION
        for role in matrix.get(trigger, []):
            if kinds.get(role) != MessageKind.REGULATORY:
                kinds[role] = kind
    return kinds


def escalation_send(*, incident: Incident, trigger: str, reason: Callable[[Customer], str]) -> list[Communication]:
    """ESCALATION messages to the trigger's roles at every affected customer (the tick's escalations).

    ``reason(customer)`` is called inside ``translation.override(<message language>)`` and
    becomes the message's ``{{ message }}``: why we escalate, in each reader's language.
    Runs inside the caller's transaction; the messages are enqueued on commit.
    """
    communications: list[Communication] = []
    for link in incident.customer_links.select_related("customer"):
        customer = link.customer
        roles = escalation_matrix(customer).get(trigger, [])
        if not roles:
            continue
        plans = outbox.plan_messages(incident=incident, customer=customer, kinds=[],
                                     forced=dict.fromkeys(roles, MessageKind.ESCALATION),
                                     message=partial(_translated, reason, customer))
        communications += outbox.communications_write(plans, incident=incident, update=None, automatic=True)
    return communications


def _translated(reason: Callable[[Customer], str], customer: Customer, language: str) -> str:
    with translation.override(language):
        return str(reason(customer))


# Why the tick escalates, for ``{{ message }}`` (called in the reader's language).


def open_too_long_reason(customer: Customer) -> str:
    hours = customer.escalate_after_hours
    return ngettext("This incident has been open for more than %(hours)d hour.",
                    "This incident has been open for more than %(hours)d hours.", hours) % {"hours": hours}


def eta_passed_reason(customer: Customer, *, eta: datetime) -> str:
    return _("The expected resolution time (%(time)s) has passed. We are still working on it.") % {
        "time": _moment(customer, eta)}


def overdue_reason(customer: Customer, *, due_at: datetime) -> str:
    return _("The update promised for %(time)s has not been sent yet.") % {"time": _moment(customer, due_at)}


def _moment(customer: Customer, value: datetime) -> str:
    return Clock(tz=customer.tzinfo, now=timezone.now(), language=translation.get_language() or "en").moment(value)


# --- the tick's escalation jobs (run by comms.cadence) ------------------------------------
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
