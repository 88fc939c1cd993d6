"""Reading a Communication's texts as its recipients get them.

The transaction that writes a message writes its template facts; the texts are rendered after
commit, by the task that expands it (comms.outbox.texts, issue 11). A test inside one
transaction, where on-commit work never runs, renders them here the same way.
"""

from collections.abc import Iterable

from comms.models import Communication
from comms.outbox.texts import communication_render


def rendered(communications: Iterable[Communication]) -> list[Communication]:
    """The Communications, in the same order, with their texts rendered as the worker renders them."""
    found = list(communications)
    for communication in found:
        communication_render(communication.pk)
        communication.refresh_from_db()
    return found
