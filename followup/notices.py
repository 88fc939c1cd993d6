"""Reminders about remediation actions to MSP staff: before the due date and once it has passed.

Staff notices (comms.messages.staff_notices): short internal e-mails in each recipient's console
language, sent after the tick's transaction commits, so a claim that rolls back never mails.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.messages.staff_notices import staff_notice_send_to_users
from core.formatting import Clock
from followup.models import RemediationAction


def action_recipients(action: RemediationAction, *, overdue: bool) -> list[AbstractBaseUser]:
    """The owner; without an owner who has an address, the customer's account managers (overdue: both)."""
    owner = [action.owner] if action.owner is not None and action.owner.is_active and action.owner.email else []
    if owner and not overdue:
        return owner
    managers = get_user_model().objects.filter(managed_customers=action.customer, is_active=True).exclude(email="")
    return sorted({*owner, *managers}, key=lambda user: user.pk)


def action_reminder(*, action: RemediationAction, overdue: bool) -> int:
    """Written in each recipient's console language, its times in the customer's zone."""
    def build() -> tuple[str, str]:
        values = {"title": action.title, "customer": action.customer.name, "due": _moment(action, action.due_at),
                  "url": settings.SITE_URL + reverse("followup:actions") + f"?customer={action.customer.slug}"}
        if overdue:
            subject = _("Remediation action overdue: %(title)s (%(customer)s)") % values
            body = _("The remediation action “%(title)s” for %(customer)s was due at %(due)s and is still open."
                     "\n\nClose it with evidence of what was done, or agree a new date:\n%(url)s") % values
        else:
            subject = _("Remediation action due at %(due)s: %(title)s (%(customer)s)") % values
            body = _("The remediation action “%(title)s” for %(customer)s is due at %(due)s."
                     "\n\nClose it with evidence of what was done:\n%(url)s") % values
        return subject, body

    return staff_notice_send_to_users(action_recipients(action, overdue=overdue), build)


def _moment(action: RemediationAction, value: datetime) -> str:
    clock = Clock(tz=action.customer.tzinfo, now=timezone.now(), language=translation.get_language() or "en")
    return f"{clock.date_time(value)} {clock.local(value).tzname()}"
