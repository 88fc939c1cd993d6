"""Re-publish a status page when a customer or component is edited, wherever the edit comes from
(the admin, the shell, the demo data): model signals, as those edits have no flow of their own.
Incident and maintenance changes publish through flows/.

Connected in ``StatuspageConfig.ready()``. Each receiver only schedules work after the
commit (``statuspage.publishing``, coalesced); nothing is rendered inside the writer's
transaction. A customer saved or deleted also prunes the store at once (on commit, not
after the coalescing delay), so a page made private stops being served from the store
before the next request.
"""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incidents.models import Component, Customer
from statuspage import publishing, snapshots


@receiver(post_save, sender=Customer, dispatch_uid="statuspage.publish.customer_saved")
@receiver(post_delete, sender=Customer, dispatch_uid="statuspage.publish.customer_deleted")
def customer_changed_publish(sender, instance: Customer, **kwargs) -> None:
    if not settings.KALM_STATUS_SNAPSHOTS:
        return
    # Synchronously on commit: a page made private (or renamed, or deleted) leaves the store now.
    transaction.on_commit(snapshots.prune_store, robust=True)
    if kwargs.get("created") is not None:  # post_save; a deleted customer has nothing to publish
        publishing.publish_after_commit([instance.pk])


@receiver(post_save, sender=Component, dispatch_uid="statuspage.publish.component_saved")
@receiver(post_delete, sender=Component, dispatch_uid="statuspage.publish.component_deleted")
def component_changed_publish(sender, instance: Component, **kwargs) -> None:
    publishing.publish_after_commit([instance.customer_id])
