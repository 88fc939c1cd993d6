"""What stands between the public and the subscription form: a per-client rate limit and the
SSRF check for webhook addresses.

The rate limit counts every sign-up POST (valid or not) per client — its IP address, or for
IPv6 its /64, which one subscriber line holds — in a fixed window, in a store every web
process shares (gunicorn runs several): Redis when ``REDIS_URL`` is set, one atomic script
that increments and sets the window's expiry; otherwise, or while Redis is down, a database
row incremented with one UPDATE (``SignupCounter``).
"""

import functools
import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.transports.outbound import allowed_for, url_refusal
from core.http import client_ip
from statuspage.models import SignupCounter

logger = logging.getLogger(__name__)

CACHE_PREFIX = "kalm:subscribe-rate:"
# INCR and EXPIRE in one step: a count never outlives its window (a separate EXPIRE could be lost).
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {count, redis.call('TTL', KEYS[1])}
"""


@dataclass(frozen=True, slots=True)
class RateVerdict:
    allowed: bool
    retry_after: int  # seconds; meaningful when not allowed


def signup_rate_check(request: HttpRequest) -> RateVerdict:
    """Count this sign-up attempt; refuse past KALM_SUBSCRIBE_RATE per window."""
    window = settings.KALM_SUBSCRIBE_RATE_WINDOW_SECONDS
    key = CACHE_PREFIX + client_key(client_ip(request))
    count, retry_after = _count(key, window)
    return RateVerdict(allowed=count <= settings.KALM_SUBSCRIBE_RATE, retry_after=retry_after)


def client_key(address: str) -> str:
    """Who is counted: the IPv4 address, the /64 of an IPv6 address."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:60]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # a dual-stack socket's view of an IPv4 client
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def _count(key: str, window: int) -> tuple[int, int]:
    """This attempt's number in the window, and the seconds left of it."""
    if settings.REDIS_URL:
        try:
            return _count_in_redis(settings.REDIS_URL, key, window)
        except redis.RedisError as error:
            logger.warning("sign-up rate limit: Redis unavailable (%s); counting in the database", error)
    return _count_in_database(key, window)


@functools.lru_cache(maxsize=4)
def _redis_script(url: str):
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return client.register_script(_COUNT_SCRIPT)


def _count_in_redis(url: str, key: str, window: int) -> tuple[int, int]:
    count, left = _redis_script(url)(keys=[key], args=[window])
    return int(count), max(1, int(left))


def _count_in_database(key: str, window: int) -> tuple[int, int]:
    now = timezone.now()
    with transaction.atomic():
        if not SignupCounter.objects.filter(key=key, expires_at__gt=now).update(count=F("count") + 1):
            SignupCounter.objects.filter(expires_at__lte=now).delete()  # this key's old window and others'
            try:
                with transaction.atomic():
                    SignupCounter.objects.create(key=key, count=1, expires_at=now + timedelta(seconds=window))
            except IntegrityError:  # another process started this window a moment ago: count in it
                SignupCounter.objects.filter(key=key).update(count=F("count") + 1)
        count, expires_at = SignupCounter.objects.filter(key=key).values_list("count", "expires_at").get()
    return count, max(1, math.ceil((expires_at - now).total_seconds()))


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
