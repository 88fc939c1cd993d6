"""Documents of a public page that failed to render at the last publish, for staff to see.

A failed document keeps its last good file in the store (visitors see that), so a failure is
invisible from outside: it is logged once when it starts, kept as a ``PublishFailure`` row while
it lasts (the console's dashboard shows it to the customer's staff) and cleared by the first
publish that renders the document again.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from incidents.models import Customer
from statuspage.models import PublishFailure

logger = logging.getLogger(__name__)


def record_many(failures: dict[Customer, dict[str, str]]) -> None:
    """``record`` for each customer of a publish; one read when, as usual, nothing failed before or now."""
    failing_before = set(PublishFailure.objects.filter(customer__in=list(failures))
                         .values_list("customer_id", flat=True).distinct())
    for customer, documents in failures.items():
        if documents or customer.pk in failing_before:
            record(customer, documents)


def record(customer: Customer, failures: dict[str, str]) -> None:
    """Make the customer's rows match this publish: new failures logged and stored, recovered ones removed."""
    now = timezone.now()
    with transaction.atomic():
        known = {row.document: row for row in PublishFailure.objects.select_for_update().filter(customer=customer)}
        PublishFailure.objects.filter(customer=customer).exclude(document__in=failures).delete()
        for document, error in failures.items():
            row = known.get(document)
            if row is None:
                logger.error("status page %s: %s did not render; visitors keep its last good version: %s",
                             customer.slug, document, error)
                PublishFailure.objects.create(customer=customer, document=document, error=error,
                                              first_failed_at=now, last_failed_at=now)
            else:
                PublishFailure.objects.filter(pk=row.pk).update(error=error, last_failed_at=now)
    for document in sorted(set(known) - set(failures)):
        logger.info("status page %s: %s renders again", customer.slug, document)


def clear(customer: Customer) -> None:
    """The page is not public any more: nothing of it is published, so nothing can fail."""
    PublishFailure.objects.filter(customer=customer).delete()


def for_customers(customers: Iterable[Customer]) -> list[PublishFailure]:
    """The current failures of these customers' pages (the console passes the user's customers)."""
    return list(PublishFailure.objects.filter(customer__in=customers).select_related("customer")
                .order_by("customer__name", "document"))
