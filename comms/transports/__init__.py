"""Channel transports: one module per kind, one registry from channel to class."""

from comms.transports.base import Attachment, MessageExtras, OutgoingMessage, Transport, TransportError
from comms.transports.registry import TRANSPORTS

__all__ = ["Attachment", "MessageExtras", "OutgoingMessage", "Transport", "TransportError", "transport_for"]


def transport_for(channel: str) -> Transport:
    try:
        return TRANSPORTS[channel]()
    except KeyError:
        raise TransportError(f"No transport for channel {channel!r}", permanent=True) from None
