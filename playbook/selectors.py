"""Reads of the playbook: roles per incident, the response summary, who is on standby, the checklist.

Per-customer scoping stays where it is (``incidents.selectors``): callers pass incidents and
customers the user may see; the rota and template lists take the user and scope themselves.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from incidents import selectors as incident_selectors
from incidents.models import Customer, Incident
from playbook.models import (
    AFTER_RESOLUTION,
    ChecklistItem,
    ChecklistTemplate,
    Phase,
    RoleAssignment,
    RoleCode,
    RotaShift,
)

MANAGER_PERMISSION = "view_all_customers"  # incidents.view_all_customers (incidents.selectors.VIEW_ALL_PERMISSION)


@dataclass(frozen=True)
class ResponseSummary:
    roles_filled: int
    roles_total: int
    checklist_done: int
    checklist_total: int


@dataclass(frozen=True)
class RoleSlot:
    """One of the five roles on an incident; ``person_name`` None when nobody holds it."""

    role: str
    label: str
    person_name: str | None
    acknowledged: bool
    user_id: int | None = None
    assignment_id: int | None = None

    @property
    def filled(self) -> bool:
        return self.person_name is not None


def person_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _slots(assignments: list[RoleAssignment]) -> list[RoleSlot]:
    held = {assignment.role: assignment for assignment in assignments}
    slots = []
    for code, label in RoleCode.choices:
        assignment = held.get(code)
        if assignment is None:
            slots.append(RoleSlot(code, str(label), None, False))
        else:
            acknowledged = assignment.acknowledged_at is not None
            slots.append(RoleSlot(code, str(label), person_name(assignment.user), acknowledged, assignment.user_id,
                                  assignment.pk))
    return slots


def roles_by_incident(incident_ids: list[int]) -> dict[int, list[RoleSlot]]:
    """Every role of each incident (unfilled ones too), in one query: for the dashboard's list."""
    assignments: dict[int, list[RoleAssignment]] = {pk: [] for pk in incident_ids}
    for assignment in RoleAssignment.objects.filter(incident_id__in=incident_ids).select_related("user"):
        assignments[assignment.incident_id].append(assignment)
    return {pk: _slots(rows) for pk, rows in assignments.items()}


def role_slots(incident: Incident) -> list[RoleSlot]:
    return roles_by_incident([incident.pk])[incident.pk]


def response_summary(incident: Incident) -> ResponseSummary:
    roles_filled = RoleAssignment.objects.filter(incident=incident).count()
    counts = ChecklistItem.objects.filter(incident=incident).aggregate(
        total=Count("id"), done=Count("id", filter=Q(done_at__isnull=False)))
    return ResponseSummary(roles_filled=roles_filled, roles_total=len(RoleCode.choices),
                           checklist_done=counts["done"], checklist_total=counts["total"])


def holder(incident: Incident, role: str) -> AbstractBaseUser | None:
    assignment = RoleAssignment.objects.filter(incident=incident, role=role).select_related("user").first()
    return assignment.user if assignment else None


def held_roles(incident: Incident, user: AbstractBaseUser, *, acknowledged: bool = False) -> set[str]:
    rows = RoleAssignment.objects.filter(incident=incident, user_id=user.pk)
    if acknowledged:
        rows = rows.filter(acknowledged_at__isnull=False)
    return set(rows.values_list("role", flat=True))


def assignable_users(incident: Incident) -> QuerySet:
    """Staff who can see the incident: its customers' account managers and the managers."""
    manager = (Q(is_superuser=True) | Q(user_permissions__codename=MANAGER_PERMISSION)
               | Q(groups__permissions__codename=MANAGER_PERMISSION))
    customers = Q(managed_customers__incident_links__incident=incident)
    return get_user_model().objects.filter(manager | customers, is_active=True).distinct().order_by(
        "first_name", "last_name", "username")


def assignable_users_for_customers(customers) -> QuerySet:
    """Staff who may stand by for these customers: their account managers and the managers."""
    manager = (Q(is_superuser=True) | Q(user_permissions__codename=MANAGER_PERMISSION)
               | Q(groups__permissions__codename=MANAGER_PERMISSION))
    return get_user_model().objects.filter(manager | Q(managed_customers__in=customers), is_active=True).distinct(
    ).order_by("first_name", "last_name", "username")


# --- standby --------------------------------------------------------------------------------


def on_duty(customer: Customer, at: datetime) -> AbstractBaseUser | None:
    """Who stands by for ``customer`` at ``at``: an override first, then the customer's own shift,
    then an all-customers shift; among equals the one that started last."""
    shifts = (RotaShift.objects.filter(Q(customer=customer) | Q(customer__isnull=True), starts_at__lte=at,
                                       ends_at__gt=at, user__is_active=True)
              .select_related("user").order_by("-starts_at", "-id"))
    rows = list(shifts)  # a handful at any moment; the precedence reads more plainly here than in SQL
    for override in (True, False):
        for own in (True, False):
            for shift in rows:
                if shift.is_override == override and (shift.customer_id is not None) == own:
                    return shift.user
    return None


def rota_for_user(user: AbstractBaseUser, *, since: datetime) -> QuerySet[RotaShift]:
    """Shifts not yet over: the user's customers' and the all-customers ones (managers: all)."""
    shifts = RotaShift.objects.filter(ends_at__gt=since).select_related("user", "customer")
    if not incident_selectors.user_is_manager(user):
        shifts = shifts.filter(Q(customer__isnull=True) | Q(customer__in=incident_selectors.customers_for_user(user)))
    return shifts.order_by("starts_at", "id")


def rota_shift_for_user_or_none(user: AbstractBaseUser, pk: int) -> RotaShift | None:
    return rota_for_user(user, since=_EPOCH).filter(pk=pk).first()


# --- checklists -----------------------------------------------------------------------------


def templates_for(*, category: str, severity: str) -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.filter(Q(category="") | Q(category=category),
                                            Q(severity="") | Q(severity=severity), is_active=True)


def all_templates() -> QuerySet[ChecklistTemplate]:
    return ChecklistTemplate.objects.order_by("phase", "position", "id")


def item_due_at(item: ChecklistItem, incident: Incident) -> datetime | None:
    """When the item is due: stored for detection-anchored phases, else the resolution plus its minutes."""
    if item.phase in AFTER_RESOLUTION:
        return incident.resolved_at + timedelta(minutes=item.due_minutes) if incident.resolved_at else None
    return item.due_at


def checklist(incident: Incident) -> list[ChecklistItem]:
    items = list(ChecklistItem.objects.filter(incident=incident).select_related("done_by"))
    order = list(Phase.values)
    return sorted(items, key=lambda item: (order.index(item.phase), item.position, item.pk))


def current_phase(items: list[ChecklistItem]) -> str:
    """The first phase, in working order, with an item not done (the last phase when all are)."""
    for phase in Phase.values:
        if any(item.phase == phase and item.done_at is None for item in items):
            return phase
    return Phase.POST_INCIDENT


def completed_items(incident: Incident) -> list[ChecklistItem]:
    """Done items in the order they were done: for the report."""
    return list(ChecklistItem.objects.filter(incident=incident, done_at__isnull=False).select_related("done_by")
                .order_by("done_at", "id"))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
