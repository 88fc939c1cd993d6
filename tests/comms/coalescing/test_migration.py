"""Migration 0004: rows the old rule held back for good become superseded (when a later message
about the incident reached the address) or failed with the reason (when none did); none is sent."""

import importlib

from django.apps import apps

from comms.models import Delivery, DeliveryState
from tests.comms.coalescing.conftest import IT, STAFF, open_incident, post

migration = importlib.import_module("comms.migrations.0004_deferred_deliveries")


def test_held_back_rows_become_superseded_or_failed(customer, people, account_manager, at):
    incident = at(0, lambda: open_incident(customer, account_manager))
    held = at(11, post(incident, account_manager, "We are replacing the disk."))
    Delivery.objects.filter(communication__update=held).update(state="coalesced")  # what the old rule wrote
    later = at(25, post(incident, account_manager, "Cause found.", status="identified"))
    Delivery.objects.filter(communication__update=later, address=STAFF).update(state="failed")

    migration.coalesced_to_superseded_or_failed(apps, None)

    carrier = Delivery.objects.get(communication__update=later, address=IT)
    it, staff = (Delivery.objects.get(communication__update=held, address=address) for address in (IT, STAFF))
    assert (it.state, it.superseded_by_id) == (DeliveryState.SUPERSEDED, carrier.pk)
    assert (staff.state, staff.superseded_by_id) == (DeliveryState.FAILED, None)
    assert staff.last_error.startswith("Not sent: held back by the earlier coalescing rule")
    assert not Delivery.objects.filter(state="coalesced").exists()

    migration.back_to_coalesced(apps, None)
    assert set(Delivery.objects.filter(communication__update=held).values_list("state", flat=True)) == {"coalesced"}
