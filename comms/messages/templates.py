"""Saving and resetting staff-edited message templates, and what happens when one fails at send time.

A template that would fail when sending (syntax error, unknown variable, bad access, a bound
exceeded on any of the sample facts or branches) is refused here, when it is saved. One that
fails anyway, for facts no sample had, gives way to the shipped default at send time
(comms.messages.rendering); ``message_template_failed`` marks it in the template list and
tells the staff who can fix it, once, until it is saved again.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from comms.messages import staff_notices
from comms.messages.rendering import TemplateFailure
from comms.messages.template_check import template_errors
from comms.models import Audience, MessageKind, MessageTemplate
from incidents.models import Customer, Language

LAST_ERROR_MAX = 2000


def _check_key(kind: str, audience: str, language: str) -> None:
    if kind not in MessageKind.values or audience not in Audience.values or language not in Language.values:
        raise ValidationError({"kind": "Unknown message kind, audience or language."})


@transaction.atomic
def message_template_save(*, customer: Customer | None, kind: str, audience: str, language: str, subject: str,
                          body: str, author: AbstractBaseUser | None) -> MessageTemplate:
    """Save the template if it passes ``template_errors``; a saved template starts with no failure."""
    _check_key(kind, audience, language)
    errors = template_errors(subject=subject, body=body)
    if errors:
        raise ValidationError({"body": errors})
    template, _ = MessageTemplate.objects.update_or_create(
        customer=customer, kind=kind, audience=audience, language=language,
        defaults={"subject": subject.strip(), "body": body, "updated_by": author, "failed_at": None,
                  "last_error": ""},
    )
    return template


def message_template_reset(*, customer: Customer | None, kind: str, audience: str, language: str) -> bool:
    """Drop the override so the next level (MSP-wide, then the shipped default) applies again."""
    _check_key(kind, audience, language)
    deleted, _ = MessageTemplate.objects.filter(customer=customer, kind=kind, audience=audience,
                                                language=language).delete()
    return bool(deleted)


@transaction.atomic
def message_template_failed(*, failure: TemplateFailure, customer: Customer) -> bool:
    """Record that a stored template failed for a message to ``customer``; True when staff are told now.

    Only the version that failed is marked (one saved since is left alone). The first failure
    of a version mails the staff who can fix it (the customer's account managers for its own
    template, the managers for an MSP-wide one), on commit; later ones only keep the latest
    error: one notice per broken version, however many messages it would have spoiled.
    """
    error = "\n".join(failure.errors)[:LAST_ERROR_MAX]
    version = MessageTemplate.objects.filter(pk=failure.template_id, updated_at=failure.updated_at)
    if not version.filter(failed_at__isnull=True).update(failed_at=timezone.now(), last_error=error):
        version.update(last_error=error)
        return False
    template = MessageTemplate.objects.select_related("customer").get(pk=failure.template_id)
    staff_notices.template_failed(template=template, customer=customer, error=error)
    return True
