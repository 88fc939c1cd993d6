"""Signals incidents sends so other apps can react without incidents knowing them.

``update_posted`` is sent inside the transaction that wrote a timeline entry, after the
facts are saved. Receivers may write rows (they join the same transaction, so a failure
rolls the update back too), but must not call out to the network: anything external is
scheduled with ``transaction.on_commit``.

Arguments: ``update`` (the IncidentUpdate), ``customer`` (set when the entry concerns only
one customer, e.g. it was just added to a shared incident), ``options`` (an opaque mapping
the caller passed through, e.g. edited message texts or a send time from the composer).
"""

from django.dispatch import Signal

update_posted = Signal()

# Sent inside the transaction that changed a maintenance window. Arguments: ``maintenance``
# and ``event`` ("scheduled", "edited" (its texts), "started", "completed", "cancelled"). Same
# rules as above.
maintenance_changed = Signal()
