"""Changes to the playbook, one transaction each, checked first (``ValidationError`` keyed by field).

Assigning mails the person (after commit, ``playbook.notices``); a checklist item done is
written to the incident's timeline as an internal entry, in every console language, so it
stays on the console and in the report but never reaches a message or a page.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit import services as audit
from incidents.models import Customer, Incident, UpdateKind
from incidents.services import timeline_entry_add
from playbook import notices, selectors
from playbook.models import AFTER_RESOLUTION, ChecklistItem, ChecklistTemplate, RoleAssignment, RoleCode, RotaShift

ROTA_MAX_DAYS = 62  # a shift longer than two months is a typo, not a rota


@transaction.atomic
def role_assign(*, incident: Incident, role: str, user: AbstractBaseUser, assigned_by: AbstractBaseUser | None,
                proposed: bool = False) -> RoleAssignment:
    """Give ``role`` to ``user`` (replacing whoever held it) and mail them; a repeat changes nothing."""
    if role not in RoleCode.values:
        raise ValidationError({"role": _("Choose one of the roles.")})
    if not selectors.assignable_users(incident).filter(pk=user.pk).exists():
        raise ValidationError({"user": _("Choose someone who works on this incident's customers.")})
    assignment = RoleAssignment.objects.select_for_update().filter(incident=incident, role=role).first()
    if assignment is not None and assignment.user_id == user.pk:
        return assignment
    now = timezone.now()
    if assignment is None:
        assignment = RoleAssignment(incident=incident, role=role)
    assignment.user, assignment.assigned_by, assignment.assigned_at = user, assigned_by, now
    assignment.acknowledged_at = assignment.escalated_at = None
    assignment.save()
    audit.record(action=audit.Action.ROLE_ASSIGNED, actor=assigned_by, incident=incident, target=assignment,
                 detail=f"{role}: {user.get_username()}" + (" (proposed from the standby rota)" if proposed else ""))
    notices.role_assigned(assignment, proposed=proposed)
    return assignment


@transaction.atomic
def role_clear(*, incident: Incident, role: str, actor: AbstractBaseUser | None = None) -> bool:
    cleared = RoleAssignment.objects.filter(incident=incident, role=role).delete()[0] > 0
    if cleared:
        audit.record(action=audit.Action.ROLE_CLEARED, actor=actor, incident=incident, detail=role)
    return cleared


@transaction.atomic
def role_acknowledge(*, assignment: RoleAssignment, user: AbstractBaseUser) -> RoleAssignment:
    """The assignee takes the role up (once; a second click changes nothing)."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.user_id != user.pk:
        raise PermissionDenied("Only the person given the role can acknowledge it.")
    if assignment.acknowledged_at is None:
        assignment.acknowledged_at = timezone.now()
        assignment.save(update_fields=["acknowledged_at"])
        audit.record(action=audit.Action.ROLE_ACKNOWLEDGED, actor=user, incident=assignment.incident,
                     target=assignment, detail=assignment.role)
    return assignment


# --- checklists -----------------------------------------------------------------------------


@transaction.atomic
def checklist_start(incident: Incident) -> int:
    """Copy the templates that fit the incident's category and severity; once per incident."""
    Incident.objects.select_for_update().filter(pk=incident.pk).first()  # two first views: one checklist
    if ChecklistItem.objects.filter(incident=incident).exists():
        return 0
    items = [
        ChecklistItem(incident=incident, template=template, phase=template.phase, position=template.position,
                      texts={"en": template.text_en, "nl": template.text_nl, "de": template.text_de},
                      owner_role=template.owner_role, due_minutes=template.due_minutes,
                      due_at=None if template.phase in AFTER_RESOLUTION
                      else incident.detected_at + timedelta(minutes=template.due_minutes))
        for template in selectors.templates_for(category=incident.category, severity=incident.severity)
    ]
    ChecklistItem.objects.bulk_create(items)
    return len(items)


@transaction.atomic
def checklist_item_set_done(*, item: ChecklistItem, user: AbstractBaseUser, done: bool) -> ChecklistItem:
    """Tick an item off (or undo it); either is written to the timeline as an internal entry."""
    item = ChecklistItem.objects.select_for_update().select_related("incident").get(pk=item.pk)
    if (item.done_at is not None) == done:
        return item
    now = timezone.now()
    item.done_at, item.done_by = (now, user) if done else (None, None)
    item.save(update_fields=["done_at", "done_by"])
    incident = item.incident
    audit.record(action=audit.Action.CHECKLIST_ITEM_DONE if done else audit.Action.CHECKLIST_ITEM_REOPENED,
                 actor=user, incident=incident, target=item, detail=item.text(incident.language))
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            texts[language] = (_("Checklist item done: %(item)s") if done
                               else _("Checklist item reopened: %(item)s")) % {"item": item.text(language)}
    timeline_entry_add(incident=incident, kind=UpdateKind.NOTE, author=user, message=texts[incident.language],
                       translations={lang: {"message": text} for lang, text in texts.items()
                                     if lang != incident.language},
                       is_internal=True, at=now)
    return item


# --- the standby rota and the templates (managers) -------------------------------------------


@transaction.atomic
def rota_shift_add(*, customer: Customer | None, user: AbstractBaseUser, starts_at: datetime, ends_at: datetime,
                   is_override: bool, author: AbstractBaseUser) -> RotaShift:
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("The shift must end after it starts.")
    elif ends_at - starts_at > timedelta(days=ROTA_MAX_DAYS):
        errors["ends_at"] = _("A shift can last at most %(days)s days.") % {"days": ROTA_MAX_DAYS}
    candidates = selectors.assignable_users_for_customers([customer] if customer else [])
    if not candidates.filter(pk=user.pk).exists():
        errors["user"] = _("Choose a manager or one of the customer's account managers.")
    if errors:
        raise ValidationError(errors)
    shift = RotaShift.objects.create(customer=customer, user=user, starts_at=starts_at, ends_at=ends_at,
                                     is_override=is_override, created_by=author)
    audit.record(action=audit.Action.ROTA_SHIFT_ADDED, actor=author, customer=customer, target=shift,
                 detail=f"{user.get_username()} {starts_at.isoformat()} – {ends_at.isoformat()}")
    return shift


@transaction.atomic
def rota_shift_delete(*, shift: RotaShift, actor: AbstractBaseUser | None = None) -> None:
    audit.record(action=audit.Action.ROTA_SHIFT_DELETED, actor=actor, customer=shift.customer, target=shift,
                 detail=f"{shift.user.get_username()} {shift.starts_at.isoformat()} – {shift.ends_at.isoformat()}")
    shift.delete()


@transaction.atomic
def checklist_template_save(*, template: ChecklistTemplate, actor: AbstractBaseUser | None = None,
                            **fields) -> ChecklistTemplate:
    for name, value in fields.items():
        setattr(template, name, value)
    if not template.key:
        template.key = f"custom-{timezone.now():%Y%m%d%H%M%S%f}"
    template.full_clean()
    template.save()
    audit.record(action=audit.Action.CHECKLIST_TEMPLATE_SAVED, actor=actor, target=template, detail=template.key)
    return template
