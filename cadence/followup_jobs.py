"""The tick's follow-up jobs: remediation action reminders, two days before the due time and once past it.

One ledger row per (action, reminder, due time): a new due time is a new pair of reminders.
A reminder is not sent for an action created after its moment (or already overdue when
created): the console shows those at once.
"""

from datetime import datetime, timedelta

from django.db.models import F

from cadence.ledger import Due, Job, claimed
from followup.models import ActionStatus, RemediationAction
from followup.notices import action_reminder

LEAD = timedelta(days=2)


def find_actions_due_soon(now: datetime) -> list[Due]:
    rows = (RemediationAction.objects.filter(status=ActionStatus.OPEN, due_at__gt=now, due_at__lte=now + LEAD,
                                             created_at__lt=F("due_at") - LEAD)
            .exclude(claimed("action:", "pk", "action_due_soon", "due_at")).values_list("pk", "due_at", "customer_id"))
    return [Due("action_due_soon", f"action:{pk}", "action_due_soon", due_at, due_at - LEAD, pk, customer_id)
            for pk, due_at, customer_id in rows]


def find_actions_overdue(now: datetime) -> list[Due]:
    rows = (RemediationAction.objects.filter(status=ActionStatus.OPEN, due_at__lte=now, created_at__lt=F("due_at"))
            .exclude(claimed("action:", "pk", "action_overdue", "due_at")).values_list("pk", "due_at", "customer_id"))
    return [Due("action_overdue", f"action:{pk}", "action_overdue", due_at, due_at, pk, customer_id)
            for pk, due_at, customer_id in rows]


def handle_action_reminder(due: Due) -> bool:
    action = (RemediationAction.objects.select_related("customer", "owner")
              .filter(pk=due.pk, status=ActionStatus.OPEN, due_at=due.anchor).first())
    if action is None:
        return False  # closed or moved since: nothing to remind of
    action_reminder(action=action, overdue=due.job == "action_overdue")
    return True


FOLLOWUP_JOBS: tuple[Job, ...] = (
    Job("action_due_soon", find_actions_due_soon, handle_action_reminder),
    Job("action_overdue", find_actions_overdue, handle_action_reminder),
)
