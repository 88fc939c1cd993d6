"""Contract terms per customer: the cadence policy, acknowledgment and escalation settings.

The console's contract page calls ``customer_contract_update``; the cadence engine only
reads these fields (``Customer.cadence_minutes``).
"""

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.models import Customer, Severity

logger = logging.getLogger(__name__)

CADENCE_FIELDS = [f"cadence_{severity}_minutes" for severity in Severity.values]
CONTRACT_FIELDS = [
    "ack_target_minutes", *CADENCE_FIELDS, "cadence_monitoring_minutes", "ack_requires_approval",
    "holding_updates", "reminder_minutes_before", "overdue_escalation_minutes", "escalate_after_hours",
    "nis2_applies", "status_page_public", "report_delivery",
]
# Minimums the model does not carry itself (the cadences and the ack target have validators).
EXTRA_MINIMUMS = {"overdue_escalation_minutes": 1, "escalate_after_hours": 1}


@transaction.atomic
def customer_contract_update(*, customer: Customer, author: AbstractBaseUser | None, **fields: Any) -> Customer:
    """Change contract terms; validates every field (and the combination) before saving any."""
    unknown = set(fields) - set(CONTRACT_FIELDS)
    if unknown:
        raise TypeError(f"Not contract fields: {', '.join(sorted(unknown))}")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    for field, value in fields.items():
        setattr(customer, field, value)
    errors = _contract_errors(customer)
    try:
        customer.full_clean()
    except ValidationError as error:
        errors = error.message_dict | errors
    if errors:
        raise ValidationError(errors)
    customer.save(update_fields=list(fields))
    logger.info("Contract of %s changed by %s: %s", customer.slug, getattr(author, "pk", None), sorted(fields))
    return customer


def _contract_errors(customer: Customer) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, minimum in EXTRA_MINIMUMS.items():
        if getattr(customer, field) < minimum:
            errors[field] = [_("Ensure this value is greater than or equal to %(minimum)s.") % {"minimum": minimum}]
    shortest = min(getattr(customer, field) for field in CADENCE_FIELDS)
    if customer.reminder_minutes_before >= shortest:
        errors["reminder_minutes_before"] = [
            _("The reminder must come before the update is due: less than the shortest cadence (%(minutes)s min).")
            % {"minutes": shortest}
        ]
    return errors
