"""The tick's playbook jobs: an incident role nobody acknowledged is escalated, and a checklist
item past due reminds its owner, then (as long again later) the incident lead.

Each item is claimed once in the ledger like every tick job: ("role:<pk>", "role_ack",
assigned_at), so a reassignment is a new item; ("checklist:<pk>", "checklist_due" or
"checklist_late", the item's due time). The wait is ``KALM_ROLE_ACK_MINUTES`` for both.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, When
from django.utils import timezone

from cadence.ledger import Due, Job, claimed, shifted
from incidents.models import OPEN_STATUSES, Status
from playbook import notices, selectors
from playbook.models import AFTER_RESOLUTION, ChecklistItem, RoleAssignment, RoleCode

LOOKBACK = timedelta(days=7)  # older items are history: a new deployment does not chase them


def _wait() -> timedelta:
    return timedelta(minutes=settings.KALM_ROLE_ACK_MINUTES)


def find_role_ack(now: datetime) -> list[Due]:
    rows = (RoleAssignment.objects.filter(acknowledged_at__isnull=True, incident__status__in=OPEN_STATUSES,
                                          assigned_at__lte=now - _wait(), assigned_at__gt=now - LOOKBACK)
            .exclude(claimed("role:", "pk", "role_ack", "assigned_at")).values_list("pk", "assigned_at"))
    return [Due("role_ack", f"role:{pk}", "role_ack", assigned, assigned + _wait(), pk) for pk, assigned in rows]


def handle_role_ack(due: Due) -> bool:
    """Still the same assignment, still not acknowledged: the incident lead hears (or, when the role
    is the lead's own or nobody else leads, the managers and the customers' account managers)."""
    assignment = (RoleAssignment.objects.select_related("incident", "user")
                  .filter(pk=due.pk, assigned_at=due.anchor, acknowledged_at__isnull=True,
                          incident__status__in=OPEN_STATUSES).first())
    if assignment is None:
        return False
    lead = selectors.holder(assignment.incident, RoleCode.INCIDENT_LEAD)
    if lead is not None and lead.pk != assignment.user_id:
        recipients = [lead]
    else:
        recipients = notices.managers_and_account_managers(assignment.incident)
    notices.role_unacknowledged(assignment, recipients)
    RoleAssignment.objects.filter(pk=assignment.pk).update(escalated_at=timezone.now())
    return True


def _item_due() -> Case:
    """An item's due time in SQL (``playbook.selectors.item_due_at``)."""
    return Case(When(phase__in=AFTER_RESOLUTION, then=shifted("incident__resolved_at", F("due_minutes"))),
                default=F("due_at"), output_field=DateTimeField())


def find_checklist(now: datetime, *, job: str, after: timedelta) -> list[Due]:
    """Items not done whose due time (plus ``after``) has come: detection-anchored ones while the
    incident is open, resolution-anchored ones once it is resolved. Only where someone holds the
    item's role or leads: without a team the checklist is guidance, and nobody is chased."""
    live = Q(incident__status__in=OPEN_STATUSES) | Q(phase__in=AFTER_RESOLUTION, incident__status=Status.RESOLVED)
    someone = Exists(RoleAssignment.objects.filter(incident_id=OuterRef("incident_id")).filter(
        Q(role=OuterRef("owner_role")) | Q(role=RoleCode.INCIDENT_LEAD)))
    rows = (ChecklistItem.objects.filter(live, someone, done_at__isnull=True).annotate(due=_item_due())
            .filter(due__lte=now - after, due__gt=now - LOOKBACK)
            .exclude(claimed("checklist:", "pk", job, "due")).values_list("pk", "due"))
    return [Due(job, f"checklist:{pk}", job, due_at, due_at + after, pk) for pk, due_at in rows]


def find_checklist_due(now: datetime) -> list[Due]:
    return find_checklist(now, job="checklist_due", after=timedelta(0))


def find_checklist_late(now: datetime) -> list[Due]:
    return find_checklist(now, job="checklist_late", after=_wait())


def handle_checklist(due: Due) -> bool:
    """Due: its owner (the role's holder, else the incident lead). Late: the incident lead (else the owner)."""
    item = ChecklistItem.objects.select_related("incident").filter(pk=due.pk, done_at__isnull=True).first()
    if item is None or selectors.item_due_at(item, item.incident) != due.anchor:
        return False
    incident = item.incident
    lead = selectors.holder(incident, RoleCode.INCIDENT_LEAD)
    owner = selectors.holder(incident, item.owner_role)
    person = (owner or lead) if due.job == "checklist_due" else (lead or owner)
    if person is None:  # the team was dissolved since the item was found
        return False
    notices.checklist_due(item, [person], due_at=due.anchor, escalated=due.job == "checklist_late")
    return True


ROLE_JOBS: tuple[Job, ...] = (
    Job("role_ack", find_role_ack, handle_role_ack),
    Job("checklist_due", find_checklist_due, handle_checklist),
    Job("checklist_late", find_checklist_late, handle_checklist),
)
