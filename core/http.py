"""Facts about an HTTP request that more than one app needs."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with N trusted proxies in front the N-th X-Forwarded-For entry from the right.

    Each trusted proxy appends the address it received the request from, so the entries a
    client may have forged are all to the left of the one our outermost proxy wrote
    (``KALM_TRUSTED_PROXY_COUNT``). Used by the sign-up rate limit and the login lockout.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.KALM_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-trusted] if len(hops) >= trusted else hops[0]
