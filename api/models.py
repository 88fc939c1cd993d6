"""API tokens. Only a SHA-256 of each token is stored; the token itself is shown once.

A token has a scope (``read``: GET and HEAD only; ``write``: everything its user may do), an
expiry (``KALM_API_TOKEN_DAYS`` from now unless chosen, 1 to ``MAX_DAYS`` days) and can be
revoked; an expired or revoked token no longer authenticates (``api.root.BearerToken``).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MIN_DAYS = 1
MAX_DAYS = 365
PREFIX_LENGTH = 12
RAW_PREFIX = "kalm_"


def token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def default_days() -> int:
    """``KALM_API_TOKEN_DAYS`` (settings refuse to start with a value outside 1 to MAX_DAYS)."""
    return settings.KALM_API_TOKEN_DAYS


def default_expiry() -> datetime:
    return timezone.now() + timedelta(days=default_days())


def audited_token_facts(token: "ApiToken") -> dict:
    """What the audit trail says about a token: whose, its name, scope, prefix and expiry; never its hash."""
    return {"user": token.user.get_username(), "name": token.name, "scope": token.scope, "prefix": token.prefix,
            "expires_at": token.expires_at}


class Scope(models.TextChoices):
    READ = "read", gettext_lazy("Read only")
    WRITE = "write", gettext_lazy("Read and write")


class TokenState(models.TextChoices):
    ACTIVE = "active", gettext_lazy("Active")
    EXPIRED = "expired", gettext_lazy("Expired")
    REVOKED = "revoked", gettext_lazy("Revoked")


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a token in lists.")
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=Scope, default=Scope.WRITE,
                             help_text="read: GET and HEAD only; write: everything the user may do.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=default_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", help_text="Empty when revoked from the command line.")

    class Meta:
        db_table = "kalm_apitoken"  # moved from the kalm app with its rows (api/migrations/0001)
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"

    @classmethod
    def issue(cls, *, user, name: str = "", scope: str = Scope.WRITE,
              days: int | None = None) -> tuple["ApiToken", str]:
        """Create a token for ``user``; returns the row and the raw token (never stored).

        ``days`` defaults to ``KALM_API_TOKEN_DAYS``; bad arguments raise ValidationError keyed by field.
        """
        days = default_days() if days is None else days
        errors = {}
        if len(name) > cls._meta.get_field("name").max_length:
            errors["name"] = _("At most %(max)d characters.") % {"max": cls._meta.get_field("name").max_length}
        if scope not in Scope.values:
            errors["scope"] = _("Choose read or write.")
        if not MIN_DAYS <= days <= MAX_DAYS:
            errors["days"] = _("Between %(min)d and %(max)d days.") % {"min": MIN_DAYS, "max": MAX_DAYS}
        if errors:
            raise ValidationError(errors)
        raw = RAW_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, scope=scope, prefix=raw[:PREFIX_LENGTH],
                                   key_hash=token_hash(raw), expires_at=timezone.now() + timedelta(days=days))
        return token, raw

    def revoke(self, *, by=None) -> bool:
        """Revoke the token (``by``: who did; None from the command line). False if it already was."""
        now = timezone.now()
        revoked = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by)
        if revoked:
            self.revoked_at, self.revoked_by = now, by
        return bool(revoked)

    def state_at(self, moment: datetime) -> str:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at <= moment:
            return TokenState.EXPIRED
        return TokenState.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def is_active(self) -> bool:
        return self.state == TokenState.ACTIVE

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.WRITE
