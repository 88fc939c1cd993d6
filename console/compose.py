"""The composer: preview one message per audience from the same facts, let the account
manager adjust each, then post the update with those texts (now or at a set time).

The preview runs the real update (``flows.incidents.post_update``: facts and messages) in a
transaction that is rolled back, and reads the messages it wrote: the same facts rule, the
same routing, the same template facts, the same next-update time. Nothing of it is kept, and
nothing is sent (on-commit work of a rolled-back transaction never runs). The texts are then
rendered from those facts after the rollback, as the worker renders them after a commit
(comms.outbox.texts): templates never run while the incident is locked. What is previewed
is what posting sends (the drafts are sent as finished text); the next-update time the texts
promise is then kept by passing it to the service as ``promise``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.messages.checks import message_warnings
from comms.models import Audience, Communication, MessageKind, Stakeholder
from comms.outbox.planning import DraftKey, PlannedMessage, SendOptions
from comms.outbox.texts import message_texts
from core.validators import CONTROL_CHARACTERS_MESSAGE, has_control_characters
from flows import incidents as incident_flow
from incidents.bounds import AHEAD
from incidents.models import Customer, Incident, IncidentUpdate

PREVIEW_RECIPIENT_NAMES = 8
MAX_SUBJECT = Communication._meta.get_field("subject").max_length
MAX_BODY = 50_000  # far beyond any message anyone reads, far below what a request may carry


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


@dataclass(frozen=True)
class Preview:
    drafts: list[Draft]
    promise: datetime | None  # the next-update time the previewed texts state


class _RollBack(Exception):
    def __init__(self, plans: list[PlannedMessage], promise: datetime | None) -> None:
        self.plans, self.promise = plans, promise


def preview(*, incident: Incident, author, facts: Mapping[str, Any], customers: Iterable[Customer],
            edited: Mapping[str, tuple[str, str]] | None = None) -> Preview:
    """The messages posting ``facts`` would send to ``customers``' people (the author's part of a
    shared incident), one Draft each; ``edited`` (by Draft.key) replaces a text. The other
    customers' people are sent their messages as the templates write them.

    Raises the service's ValidationError for facts it would refuse.
    """
    try:
        with transaction.atomic():
            update = incident_flow.post_update(incident=incident, author=author, **facts)
            raise _RollBack(_plans_written_for(update), Incident.objects.get(pk=incident.pk).next_update_due_at)
    except _RollBack as done:
        shown = {customer.pk for customer in customers}
        plans, promise = [plan for plan in done.plans if plan.customer.pk in shown], done.promise
    names = _names(plan.recipient_ids for plan in plans)
    drafts = []
    for plan in plans:
        # Rendered here, after the rollback: outside the transaction that held the incident's lock.
        rendering = message_texts(customer=plan.customer, kind=plan.kind, audience=plan.audience,
                                  language=plan.language, context=plan.context)
        subject, body = (edited or {}).get(_key(plan), (rendering.message.subject, rendering.message.body_text))
        errors = text_errors(subject, body)
        warnings = message_warnings(text=f"{subject}\n{body}", audience=plan.audience, language=plan.language,
                                    kind=plan.kind, incident=incident)
        if rendering.failure is not None:
            failed = "; ".join(rendering.failure.errors)
            warnings.insert(0, _("The stored template for this message fails (%(error)s); the shipped default is "
                                 "shown here and is what will be sent.") % {"error": failed})
        recipients = [names[i] for i in plan.recipient_ids[:PREVIEW_RECIPIENT_NAMES] if i in names]
        drafts.append(Draft(plan, subject, body, warnings, recipients, errors))
    return Preview(drafts, promise)


def text_errors(subject: str, body: str) -> list[str]:
    """What keeps an edited message from being sent: empty, too long, or holding control characters."""
    errors = [] if subject.strip() and body.strip() else [_("Subject and text cannot be empty.")]
    if len(subject) > MAX_SUBJECT:
        errors.append(_("Keep the subject under %(max)d characters.") % {"max": MAX_SUBJECT})
    if len(body) > MAX_BODY:
        errors.append(_("Keep the text under %(max)d characters.") % {"max": MAX_BODY})
    if has_control_characters(subject) or has_control_characters(body):
        errors.append(str(CONTROL_CHARACTERS_MESSAGE))
    return errors


def _plans_written_for(update: IncidentUpdate) -> list[PlannedMessage]:
    """The Communications the outbox wrote for ``update`` (inside the preview's transaction), as plans."""
    written = Communication.objects.filter(update=update).select_related("customer").order_by(
        "customer__name", "kind", "audience", "language")
    return [PlannedMessage(c.customer, c.kind, c.audience, c.language, c.template_context, list(c.recipient_ids))
            for c in written]


def _key(plan: PlannedMessage) -> str:
    return f"{plan.customer.pk}-{plan.kind}-{plan.audience}-{plan.language}"


def _names(id_lists) -> dict[int, str]:
    wanted = {i for ids in id_lists for i in ids[:PREVIEW_RECIPIENT_NAMES]}
    return dict(Stakeholder.objects.filter(pk__in=wanted).values_list("id", "name"))


def compose_send(*, incident: Incident, author, facts: Mapping[str, Any], drafts: list[Draft],
                 send_at: datetime | None, promise: datetime | None) -> IncidentUpdate:
    """Post the update with the drafts' texts; refuses an emptied draft or a time in the past.

    ``promise`` is the next-update time the drafts state (from the preview the account
    manager read); the service keeps it when it is still ahead and within the cadence.
    """
    broken = [error for draft in drafts for error in draft.errors]
    if broken:
        raise ValidationError({"message": broken})
    if send_at is not None and send_at < timezone.now():
        raise ValidationError({"send_at": _("The scheduled time has passed; choose a later time or send now.")})
    if send_at is not None and send_at > timezone.now() + AHEAD:
        raise ValidationError({"send_at": _("Schedule the update within a year from now.")})
    texts: dict[DraftKey, tuple[str, str]] = {
        (d.plan.customer.pk, d.plan.kind, d.plan.audience, d.plan.language): (d.subject, d.body) for d in drafts
    }
    return incident_flow.post_update(incident=incident, author=author, **facts, promise=promise,
                                         send=SendOptions(texts=texts, send_at=send_at))
