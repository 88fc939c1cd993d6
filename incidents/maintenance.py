"""Planned maintenance: schedule, correct its texts, start, complete, cancel.

The window's texts (``MAINTENANCE_TEXTS``) are written in the customer's language; their
versions in other languages live in ``translations`` (core.texts), merged on every write so
that a language or text a form did not show is kept.

Starting puts the window's components under maintenance and completing gives them back
(component_status_refresh keeps any worse status an open incident gives them). These
functions only change the facts; flows.maintenance sends the announcement, start and
completion notices and re-publishes the page. Reminders are the cadence tick's job.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.texts import Translations, merged
from incidents.bounds import AHEAD
from incidents.components import component_status_refresh
from incidents.models import Component, Customer, Language, Maintenance, MaintenanceStatus

ANNOUNCE_AHEAD = timedelta(days=7)
# The window's free texts that reach readers, written per language (core.texts).
MAINTENANCE_TEXTS: tuple[str, ...] = ("title", "expected_impact", "customer_action")
OPEN_STATUSES = (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS)


@transaction.atomic
def maintenance_schedule(
    *, customer: Customer, title: str, components: Iterable[Component], starts_at: datetime, ends_at: datetime,
    expected_impact: str = "", customer_action: str = "", translations: Translations | None = None,
    author: AbstractBaseUser | None,
) -> tuple[Maintenance, list[str]]:
    """Schedule a window; returns it with warnings (e.g. announced less than 7 days ahead).

    The texts are in the customer's language; ``translations`` holds them in others
    (``{"en": {"title": …}}``), for the announcement and the status page in those languages.
    """
    components = list(components)
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the maintenance a title.")
    if ends_at <= starts_at:
        errors["ends_at"] = _("The window must end after it starts.")
    if starts_at < timezone.now():
        errors["starts_at"] = _("The window cannot start in the past.")
    elif starts_at > timezone.now() + AHEAD:
        errors["starts_at"] = _("Schedule windows within a year from now.")
    if ends_at > timezone.now() + AHEAD and ends_at > starts_at:
        errors["ends_at"] = _("Schedule windows within a year from now.")
    if not components:
        errors["components"] = _("Choose the components the maintenance affects.")
    elif any(component.customer_id != customer.pk for component in components):
        errors["components"] = _("Choose components of this customer.")
    if errors:
        raise ValidationError(errors)
    maintenance = Maintenance.objects.create(
        customer=customer, title=title.strip(), starts_at=starts_at, ends_at=ends_at,
        expected_impact=expected_impact.strip(), customer_action=customer_action.strip(),
        translations=merged({}, _window_texts(translations, customer)),
        created_by=author if author is not None and author.is_authenticated else None,
    )
    maintenance.components.set(components)
    return maintenance, _warnings(starts_at)


@transaction.atomic
def maintenance_edit_texts(
    *, maintenance: Maintenance, title: str | None = None, expected_impact: str | None = None,
    customer_action: str | None = None, translations: Translations | None = None,
) -> bool:
    """Correct or complete the texts of a window that has not closed; returns whether any changed.

    A text given as None is kept, and so is every translation ``translations`` does not name
    (an emptied one, ``""``, is removed). The status page shows the new texts at once; the
    messages already sent are not sent again.
    """
    locked = Maintenance.objects.select_for_update().select_related("customer").get(pk=maintenance.pk)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("The window is closed: its texts can no longer change.")})
    if title is not None and not title.strip():
        raise ValidationError({"title": _("Give the maintenance a title.")})
    given = {"title": title, "expected_impact": expected_impact, "customer_action": customer_action}
    changes = {field: text.strip() for field, text in given.items()
               if text is not None and text.strip() != getattr(locked, field)}
    texts = merged(locked.translations, _window_texts(translations, locked.customer))
    if texts != locked.translations:
        changes["translations"] = texts
    if not changes:
        return False
    Maintenance.objects.filter(pk=locked.pk).update(**changes)
    maintenance.refresh_from_db()
    return True


def _window_texts(translations: Translations | None, customer: Customer) -> Translations:
    """Only the window's texts, in known languages other than the customer's (whose text is the field itself)."""
    return {language: {field: text for field, text in texts.items() if field in MAINTENANCE_TEXTS}
            for language, texts in (translations or {}).items()
            if language in Language.values and language != customer.language}


def _warnings(starts_at: datetime) -> list[str]:
    if starts_at - timezone.now() < ANNOUNCE_AHEAD:
        return [_("Announced less than 7 days ahead: customers prefer a week's notice.")]
    return []


def _transition(maintenance: Maintenance, *, source: str, target: str, **stamps) -> bool:
    """Move the window from ``source`` to ``target`` once (a conditional UPDATE) and refresh its
    components; returns whether this call made the move."""
    moved = Maintenance.objects.filter(pk=maintenance.pk, status=source).update(status=target, **stamps)
    if moved:
        maintenance.refresh_from_db()
        component_status_refresh(components=list(maintenance.components.all()))
    return bool(moved)


@transaction.atomic
def maintenance_start(*, maintenance: Maintenance, at: datetime | None = None) -> bool:
    """Start the window (idempotent): its components go under maintenance."""
    return _transition(maintenance, source=MaintenanceStatus.SCHEDULED, target=MaintenanceStatus.IN_PROGRESS,
                       started_at=at or timezone.now())


@transaction.atomic
def maintenance_complete(*, maintenance: Maintenance, at: datetime | None = None) -> bool:
    """Complete the window (idempotent); components return to their incident-given status."""
    return _transition(maintenance, source=MaintenanceStatus.IN_PROGRESS, target=MaintenanceStatus.COMPLETED,
                       completed_at=at or timezone.now())


@transaction.atomic
def maintenance_cancel(*, maintenance: Maintenance) -> bool:
    """Cancel a window that has not started (idempotent)."""
    return _transition(maintenance, source=MaintenanceStatus.SCHEDULED, target=MaintenanceStatus.CANCELLED)
