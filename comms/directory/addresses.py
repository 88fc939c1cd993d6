"""How an address is shown to staff: enough to recognise it, not enough to misuse it."""

from urllib.parse import urlsplit

from comms.models import Channel


def masked_address(channel: str, address: str) -> str:
    """Phone numbers show only their last three digits; webhook and chat URLs only their host
    (the path of a Slack/Teams/webhook URL works like a password); e-mail as it is."""
    if channel == Channel.SMS and len(address) > 3:
        return "*" * (len(address) - 3) + address[-3:]
    if channel in (Channel.TEAMS, Channel.SLACK, Channel.WEBHOOK):
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "…"
    return address
