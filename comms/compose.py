"""The composer: preview one message per audience from the same facts, let the account
manager adjust each, then post the update with those texts (now or at a set time).

The preview is the real plan (comms.outbox.plan_for_update) for an unsaved timeline entry
carrying the proposed facts, so what is previewed is what will be sent.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.checks import message_warnings
from comms.models import Audience, MessageKind, Stakeholder
from comms.outbox import GroupKey, PlannedMessage, plan_for_update
from incidents import services
from incidents.models import Incident, IncidentUpdate, Status, UpdateKind

PREVIEW_RECIPIENT_NAMES = 8


@dataclass
class Draft:
    """One audience's message in the composer."""

    plan: PlannedMessage
    subject: str
    body: str
    warnings: list[str]
    recipient_names: list[str]
    errors: list[str]

    @property
    def key(self) -> str:
        return _key(self.plan)

    @property
    def kind_label(self) -> str:
        return MessageKind(self.plan.kind).label

    @property
    def audience_label(self) -> str:
        return Audience(self.plan.audience).label


def proposed_update(incident: Incident, facts: Mapping[str, Any]) -> IncidentUpdate:
    """An unsaved timeline entry with the proposed facts applied to an in-memory incident."""
    status = facts.get("status") or incident.status
    severity = facts.get("severity") or incident.severity
    previous_status, previous_severity = incident.status, incident.severity
    incident.status, incident.severity = status, severity
    for field in ("workaround", "root_cause", "resolution_summary"):
        if facts.get(field) is not None:
            setattr(incident, field, facts[field])
    if facts.get("eta"):
        incident.eta = facts["eta"]
    kind = UpdateKind.RESOLVED if status == Status.RESOLVED else UpdateKind.UPDATE
    return IncidentUpdate(incident=incident, kind=kind, message=facts.get("message", ""), status=status,
                          previous_status=previous_status, severity=severity,
                          previous_severity=previous_severity, created_at=timezone.now())


def drafts_for(incident: Incident, facts: Mapping[str, Any],
               edited: Mapping[str, tuple[str, str]] | None = None) -> list[Draft]:
    """One Draft per planned message; ``edited`` (by Draft.key) replaces the rendered text."""
    update = proposed_update(incident, facts)
    plans = plan_for_update(update)
    names = _names(plan.recipient_ids for plan in plans)
    drafts = []
    for plan in plans:
        subject, body = (edited or {}).get(_key(plan), (plan.rendered.subject, plan.rendered.body_text))
        errors = [] if subject.strip() and body.strip() else [_("Subject and text cannot be empty.")]
        warnings = message_warnings(text=f"{subject}\n{body}", audience=plan.audience, language=plan.language,
                                    kind=plan.kind, incident=incident)
        recipients = [names[i] for i in plan.recipient_ids[:PREVIEW_RECIPIENT_NAMES] if i in names]
        drafts.append(Draft(plan, subject, body, warnings, recipients, errors))
    return drafts


def _key(plan: PlannedMessage) -> str:
    return f"{plan.customer.pk}-{plan.kind}-{plan.audience}-{plan.language}"


def _names(id_lists) -> dict[int, str]:
    wanted = {i for ids in id_lists for i in ids[:PREVIEW_RECIPIENT_NAMES]}
    return dict(Stakeholder.objects.filter(pk__in=wanted).values_list("id", "name"))


def compose_send(*, incident: Incident, author, facts: Mapping[str, Any], drafts: list[Draft],
                 send_at: datetime | None) -> IncidentUpdate:
    """Post the update with the drafts' texts; refuses an emptied draft or a time in the past."""
    broken = [error for draft in drafts for error in draft.errors]
    if broken:
        raise ValidationError({"message": broken})
    if send_at is not None and send_at < timezone.now():
        raise ValidationError({"send_at": _("The scheduled time has passed; choose a later time or send now.")})
    texts: dict[GroupKey, tuple[str, str]] = {
        (d.plan.customer.pk, d.plan.kind, d.plan.audience, d.plan.language): (d.subject, d.body) for d in drafts
    }
    fresh = Incident.objects.get(pk=incident.pk)  # drafts_for changed the in-memory copy
    return services.incident_post_update(incident=fresh, author=author, **facts,
                                         publish_options={"texts": texts, "send_at": send_at})
