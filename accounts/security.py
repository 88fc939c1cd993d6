"""Login throttling with django-axes: who is locked out, recent failures, lifting a lockout.

axes counts failures per username + client address in the database (AccessAttempt), so every
gunicorn worker sees the same count; ``KALM_LOGIN_FAILURE_LIMIT`` failures lock that pair out for
``KALM_LOGIN_LOCKOUT_MINUTES``. The password form counts through Django's ``user_login_failed``
signal (allauth authenticates through Django), the second-factor form through
``accounts.signals`` and ``accounts.forms.MfaAuthenticateForm``.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from core.http import client_ip as _client_ip

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the address Kalm trusts (``KALM_TRUSTED_PROXY_COUNT`` proxies in front)."""
    return _client_ip(request)


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the username tried, lower-cased (allauth matches it case-insensitively,
    so ``Anna`` and ``anna`` must share one count)."""
    if credentials:
        username = credentials.get("username")
    else:
        data = getattr(request, "POST", {}) or {}
        username = data.get("login") or data.get("username")
    return username.strip().lower() if isinstance(username, str) else None


def credentials_for(user: AbstractBaseUser) -> dict:
    return {"username": user.get_username()}


def is_locked_out(request: HttpRequest, username: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": username})


@dataclass(frozen=True)
class FailedPair:
    """One username + client address with failures that still count (axes keeps a row per user agent)."""

    username: str
    ip_address: str
    failures: int
    last_attempt: datetime
    until: datetime | None  # when a lockout ends; None for pairs below the limit
    paths: tuple[str, ...]


def failed_pairs(request: HttpRequest) -> tuple[list[FailedPair], list[FailedPair]]:
    """(locked out now, still counting), the latest first."""
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, None)
    attempts = AccessAttempt.objects.all()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    rows = (attempts.values("username", "ip_address")
            .annotate(failures=Sum("failures_since_start"), last_attempt=Max("attempt_time"))
            .order_by("-last_attempt")[:200])
    paths: dict[tuple[str, str], set[str]] = {}
    for username, ip_address, path in attempts.values_list("username", "ip_address", "path_info"):
        paths.setdefault((username, ip_address), set()).add(path)
    locked, counting = [], []
    for row in rows:
        is_locked = row["failures"] >= limit
        pair = FailedPair(
            username=row["username"] or "", ip_address=row["ip_address"] or "", failures=row["failures"],
            last_attempt=row["last_attempt"],
            until=row["last_attempt"] + cool_off if is_locked and cool_off is not None else None,
            paths=tuple(sorted(paths.get((row["username"], row["ip_address"]), ()))),
        )
        (locked if is_locked else counting).append(pair)
    return locked, counting


def recent_failures(limit: int = 50) -> list[AccessFailureLog]:
    return list(AccessFailureLog.objects.order_by("-attempt_time")[:limit])


def lift_lockout(*, username: str, ip_address: str, lifted_by: AbstractBaseUser) -> int:
    """Forget the failures of one username + address pair; how many records went (0: nothing to lift)."""
    count = AccessAttempt.objects.filter(username=username, ip_address=ip_address).delete()[0]
    if count:
        log.warning("Sign-in lockout of %r from %s lifted by %s", username, ip_address, lifted_by.get_username())
    return count


def forget_failures_of(username: str) -> None:
    """After a password reset by e-mail the owner of the mailbox has proven who they are."""
    AxesProxyHandler.reset_attempts(username=username.lower())


def failure_limit(request: HttpRequest) -> int:
    return get_failure_limit(request, None)


def lockout_minutes(request: HttpRequest) -> int | None:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds() // 60) if cool_off is not None else None
