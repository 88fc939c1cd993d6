"""Time-driven changes to the facts: postponing the next update, automatic holding updates,
releasing the acknowledgment, and recording that the post-incident summary went out.

The cadence tick (cadence.tick) decides *when*; these functions make the change and record it
on the timeline; flows.incidents tells the people and the page, like for every other entry.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.texts import Translations
from incidents.bounds import AHEAD
from incidents.models import Incident, IncidentUpdate, Status, UpdateKind
from incidents.services import next_update_due, split_translations, timeline_entry_add

MAX_REASON = 1000


@transaction.atomic
def incident_extend_due(*, incident: Incident, author: AbstractBaseUser | None, until: datetime,
                        reason: str) -> IncidentUpdate:
    """Postpone the next promised update, with a reason that is kept on the (internal) timeline."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    errors = {}
    if incident.status == Status.RESOLVED:
        errors["until"] = _("This incident is resolved; no update is due.")
    elif until <= timezone.now():
        errors["until"] = _("Choose a time in the future.")
    elif until > timezone.now() + AHEAD:
        errors["until"] = _("Choose a time within a year from now.")
    elif incident.next_update_due_at and until <= incident.next_update_due_at:
        errors["until"] = _("Choose a time after the current due time.")
    if not reason.strip():
        errors["reason"] = _("Say why the update can wait: the reason is logged.")
    if errors:
        raise ValidationError(errors)
    update = timeline_entry_add(incident=incident, kind=UpdateKind.DUE_EXTENDED, author=author,
                                message=reason.strip()[:MAX_REASON], is_internal=True, at=timezone.now())
    incident.next_update_due_at = until
    incident.save(update_fields=["next_update_due_at", "updated_at"])
    return update


@transaction.atomic
def incident_post_holding(*, incident: Incident, message: str,
                          translations: Translations | None = None) -> IncidentUpdate | None:
    """The automatic "still working on it" update when a promised update did not come.

    ``message`` is in the incident's language, ``translations`` the same words in the others
    (``{"en": {"message": …}}``), so each reader gets it in their own language.
    Returns None when there is nothing to hold (resolved meanwhile, or an update arrived).
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    now = timezone.now()
    if incident.status == Status.RESOLVED or not incident.next_update_due_at or incident.next_update_due_at > now:
        return None
    update = timeline_entry_add(incident=incident, kind=UpdateKind.HOLDING, author=None, message=message,
                                translations=split_translations(translations)[1], at=now)
    incident.last_public_update_at = now
    incident.next_update_due_at = next_update_due(incident=incident, after=now)
    incident.save(update_fields=["last_public_update_at", "next_update_due_at", "updated_at"])
    return update


@transaction.atomic
def incident_release_acknowledgment(*, incident: Incident,
                                    author: AbstractBaseUser | None) -> IncidentUpdate | None:
    """Release the held acknowledgment (approval, or the contract's target reached).

    Idempotent: returns None when it was already released or the incident is resolved.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.acknowledged_at is not None or incident.status == Status.RESOLVED:
        return None
    now = timezone.now()
    update = timeline_entry_add(incident=incident, kind=UpdateKind.ACKNOWLEDGED, author=author,
                                is_internal=True, at=now)
    incident.acknowledged_at = now
    incident.save(update_fields=["acknowledged_at", "updated_at"])
    return update


@transaction.atomic
def incident_send_post_incident_summary(*, incident: Incident, author: AbstractBaseUser | None,
                                        message: str, translations: Translations | None = None) -> IncidentUpdate:
    """Publish the post-incident summary (due within 24 h of resolution); listeners send it out.

    The summary is a public timeline entry; the first one stops the post-incident clock.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    errors = {}
    if incident.status != Status.RESOLVED:
        errors["message"] = _("The post-incident summary follows the resolution: resolve the incident first.")
    elif not message.strip():
        errors["message"] = _("Write the summary: what happened, what was done, what changes now.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    update = timeline_entry_add(incident=incident, kind=UpdateKind.POST_INCIDENT, author=author, message=message,
                                translations=split_translations(translations)[1], at=now)
    incident_mark_post_incident_sent(incident=incident, at=now)
    return update


def incident_mark_post_incident_sent(*, incident: Incident, at: datetime) -> bool:
    """Record the post-incident summary (first one only); returns whether this call recorded it."""
    return bool(Incident.objects.filter(pk=incident.pk, post_incident_sent_at__isnull=True)
                .update(post_incident_sent_at=at))
