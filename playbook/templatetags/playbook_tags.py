"""``{% playbook_panel incident as panel %}``: what the incident page's playbook card shows, read here
so the card is one include on the page (the incident view stays as it is)."""

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.conf import settings
from django.utils import translation

from incidents.models import Incident
from playbook import selectors
from playbook.models import ChecklistItem, Phase, RoleCode
from playbook.roles import ROLES

register = template.Library()


@dataclass(frozen=True)
class ItemRow:
    item: ChecklistItem
    text: str
    owner_label: str
    owner_name: str | None
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class PhaseTab:
    code: str
    label: str
    done: int
    total: int
    current: bool
    shown: bool


@register.simple_tag(takes_context=True)
def playbook_panel(context, incident: Incident) -> dict:
    request = context.get("request")
    user = request.user
    now = context.get("now")
    items = selectors.checklist(incident)
    current = selectors.current_phase(items)
    wanted = request.GET.get("phase") or request.POST.get("phase") or ""
    shown = wanted if wanted in Phase.values else current
    slots = selectors.role_slots(incident)
    names = {slot.role: slot.person_name for slot in slots}
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    rows = []
    for item in items:
        if item.phase != shown:
            continue
        due = selectors.item_due_at(item, incident)
        rows.append(ItemRow(item, item.text(language), str(RoleCode(item.owner_role).label), names.get(item.owner_role),
                            due, bool(due and now and item.done_at is None and due <= now)))
    tabs = [PhaseTab(code, str(label), sum(1 for i in items if i.phase == code and i.done_at),
                     sum(1 for i in items if i.phase == code), code == current, code == shown)
            for code, label in Phase.choices]
    mine = [slot for slot in slots if slot.user_id == user.pk and not slot.acknowledged]
    return {"slots": slots, "role_rows": [(slot, ROLES[slot.role]) for slot in slots],
            "people": selectors.assignable_users(incident), "rows": rows, "tabs": tabs, "shown": shown,
            "shown_label": Phase(shown).label, "has_checklist": bool(items), "mine": mine,
            "summary": selectors.response_summary(incident)}
