"""Re-publish a status page whenever something its public may see changes.

Connected in ``StatuspageConfig.ready()``. Each receiver only schedules work after the
commit (``statuspage.publishing``, coalesced); nothing is rendered inside the writer's
transaction. A customer saved or deleted also prunes the store at once (on commit, not
after the coalescing delay), so a page made private stops being served from the store
before the next request.
"""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incidents.models import Component, Customer, IncidentUpdate, Maintenance
from incidents.signals import maintenance_changed, update_posted
from statuspage import publishing, snapshots


def _later(*customer_ids: int) -> None:
    if not settings.KALM_STATUS_SNAPSHOTS:
        return
    for customer_id in set(customer_ids):
        transaction.on_commit(partial(publishing.schedule_publish, customer_id), robust=True)


@receiver(update_posted, dispatch_uid="statuspage.publish.update_posted")
def update_posted_publish(sender, update: IncidentUpdate, customer: Customer | None = None, **kwargs) -> None:
    if customer is not None:
        _later(customer.pk)
    else:
        _later(*update.incident.customer_links.values_list("customer_id", flat=True))


@receiver(maintenance_changed, dispatch_uid="statuspage.publish.maintenance_changed")
def maintenance_changed_publish(sender, maintenance: Maintenance, **kwargs) -> None:
    _later(maintenance.customer_id)


@receiver(post_save, sender=Customer, dispatch_uid="statuspage.publish.customer_saved")
@receiver(post_delete, sender=Customer, dispatch_uid="statuspage.publish.customer_deleted")
def customer_changed_publish(sender, instance: Customer, **kwargs) -> None:
    if not settings.KALM_STATUS_SNAPSHOTS:
        return
    # Synchronously on commit: a page made private (or renamed, or deleted) leaves the store now.
    transaction.on_commit(snapshots.prune_store, robust=True)
    if kwargs.get("created") is not None:  # post_save; a deleted customer has nothing to publish
        _later(instance.pk)


@receiver(post_save, sender=Component, dispatch_uid="statuspage.publish.component_saved")
@receiver(post_delete, sender=Component, dispatch_uid="statuspage.publish.component_deleted")
def component_changed_publish(sender, instance: Component, **kwargs) -> None:
    _later(instance.customer_id)
