"""When the status page snapshots are re-rendered: coalesced, after commit, by primary key.

Every change the public may see calls ``publish_after_commit`` (flows/, and statuspage.receivers for
edits of customers and components); a visit to a public page that is not in the store yet calls
``ensure_published``. Both end in ``schedule_publish``: one ``tasks.publish_status_page`` per
burst of changes on each publish queue (``statuspage.publish_queue``). What a publish does is ``statuspage.snapshots``.
"""

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import transaction

from incidents.models import Customer
from statuspage import tasks
from statuspage.publish_queue import enqueue_once
from statuspage.snapshot_store import page_directory


def schedule_publish(customer_id: int) -> bool:
    """Enqueue one publish of the customer's page unless one is already waiting; True when enqueued."""
    return enqueue_once(customer_id, tasks.enqueue_publish)


def publish_after_commit(customer_ids: Iterable[int]) -> None:
    """Schedule a publish of each customer's page once the caller's transaction commits."""
    if not settings.KALM_STATUS_SNAPSHOTS:
        return
    for customer_id in sorted(set(customer_ids)):
        transaction.on_commit(partial(schedule_publish, customer_id), robust=True)


def ensure_published(customer: Customer) -> None:
    """A public page served by the computed path because it is not in the store yet (a fresh
    deployment, a new customer): publish it, so the next visitors get the snapshot."""
    if settings.KALM_STATUS_SNAPSHOTS and customer.status_page_public and not page_directory(customer.slug).is_dir():
        schedule_publish(customer.pk)
