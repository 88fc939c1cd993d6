"""What stands between the public and the subscription form: a per-IP rate limit and the
SSRF check for webhook addresses.

The rate limit counts every sign-up POST (valid or not) in Django's cache: ``cache.add``
starts a window, ``cache.incr`` counts in it. With Redis the counter is shared by all web
processes; with the local-memory cache it is per process, which is good enough for
development.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from comms.transports.outbound import allowed_for, url_refusal
from core.http import client_ip

CACHE_PREFIX = "kalm:subscribe-rate:"


@dataclass(frozen=True, slots=True)
class RateVerdict:
    allowed: bool
    retry_after: int  # seconds; meaningful when not allowed


def signup_rate_check(request: HttpRequest) -> RateVerdict:
    """Count this sign-up attempt; refuse past KALM_SUBSCRIBE_RATE per window."""
    window = settings.KALM_SUBSCRIBE_RATE_WINDOW_SECONDS
    key = CACHE_PREFIX + client_ip(request)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr: this is the first of a new one
        cache.add(key, 1, timeout=window)
        count = 1
    return RateVerdict(allowed=count <= settings.KALM_SUBSCRIBE_RATE, retry_after=window)


def validate_subscriber_webhook(url: str) -> None:
    """Refuse addresses that would make Kalm call into its own network (SSRF).

    https only, and every address the host resolves to must be public (``comms.transports.outbound``;
    the delivery checks again when it connects). KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE (tests,
    development) allows http:// and the hosts in KALM_OUTBOUND_ALLOW.
    """
    parts = urlsplit(url)
    allow_private = settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise ValidationError(_("Enter an https:// address."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(_("Leave user names and passwords out of the address."), code="userinfo")
    refusal = url_refusal(url, allowed_for(public=True), unresolved_ok=False)
    if refusal is not None and refusal.code == "unresolved":
        raise ValidationError(_("This host name could not be found."), code="unresolved")
    if refusal is not None:
        raise ValidationError(_("This address points into a private network; enter a public one."),
                              code="private")
