"""Saving and resetting staff-edited message templates. A template that would fail when
sending (syntax error, unknown variable, bad access) is refused here, when it is saved."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from comms.messages.rendering import template_errors
from comms.models import Audience, MessageKind, MessageTemplate
from incidents.models import Customer, Language


def _check_key(kind: str, audience: str, language: str) -> None:
    if kind not in MessageKind.values or audience not in Audience.values or language not in Language.values:
        raise ValidationError({"kind": "Unknown message kind, audience or language."})


@transaction.atomic
def message_template_save(*, customer: Customer | None, kind: str, audience: str, language: str, subject: str,
                          body: str, author: AbstractBaseUser | None) -> MessageTemplate:
    _check_key(kind, audience, language)
    errors = template_errors(subject=subject, body=body)
    if errors:
        raise ValidationError({"body": errors})
    template, _ = MessageTemplate.objects.update_or_create(
        customer=customer, kind=kind, audience=audience, language=language,
        defaults={"subject": subject.strip(), "body": body, "updated_by": author},
    )
    return template


def message_template_reset(*, customer: Customer | None, kind: str, audience: str, language: str) -> bool:
    """Drop the override so the next level (MSP-wide, then the shipped default) applies again."""
    _check_key(kind, audience, language)
    deleted, _ = MessageTemplate.objects.filter(customer=customer, kind=kind, audience=audience,
                                                language=language).delete()
    return bool(deleted)
