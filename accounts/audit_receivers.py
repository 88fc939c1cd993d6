"""Sign-in security events for the audit trail (``audit.services.record``).

django-allauth, Django and django-axes announce them as signals, the only way they tell an
application; each receiver turns one into one audit event with who (the user, or for a failed
sign-in the username tried), from where (the client address Kalm trusts, ``core.http``) and
what (the kind of second factor, how many failures). Secrets never: no password, code, TOTP
secret or recovery code is read here. Connected in ``accounts.apps``. allauth announces second
factors added, removed and reset after its transaction commits, so those events follow it.
"""

from allauth.account.authentication import get_authentication_records
from allauth.account.signals import password_changed, password_reset, password_set, user_logged_in
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset, authenticator_used
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from accounts.security import attempted_username
from audit import services as audit

SECOND_FACTOR_SENDER = "accounts.signals"  # accounts.signals.count_wrong_second_factor sends it


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    """How: the methods of this sign-in, e.g. ``password, mfa:totp`` or ``socialaccount:sso``."""
    methods = [":".join(filter(None, [record.get("method"), record.get("type") or record.get("provider")]))
               for record in get_authentication_records(request, user)] if request is not None else []
    audit.record(action=audit.Action.LOGIN, actor=user, request=request, target=user,
                 detail=", ".join(dict.fromkeys(method for method in methods if method)))


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = attempted_username(request, credentials) if request is not None else credentials.get("username")
    audit.record(action=audit.Action.LOGIN_FAILED, actor=None, actor_username=username or "", request=request,
                 object_type="auth.user", object_repr=username or "",
                 detail="mfa" if sender == SECOND_FACTOR_SENDER else "password")


@receiver(user_locked_out, dispatch_uid="accounts.audit_locked_out")
def audit_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """The lockout beginning; axes signals again at each refused attempt during it (left to the
    failed sign-in events). Only the beginning has counted its failures on the request."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    audit.record(action=audit.Action.LOCKED_OUT, actor=None, actor_username=username or "", actor_ip=ip_address,
                 object_type="auth.user", object_repr=username or "", after={"failures": failures},
                 only_changes=False)


@receiver(password_changed, dispatch_uid="accounts.audit_password_changed")
@receiver(password_set, dispatch_uid="accounts.audit_password_set")
def audit_password_changed(sender, request, user, **kwargs) -> None:
    audit.record(action=audit.Action.PASSWORD_CHANGED, actor=user, request=request, target=user)


@receiver(password_reset, dispatch_uid="accounts.audit_password_reset")
def audit_password_reset(sender, request, user, **kwargs) -> None:
    """A reset by e-mail also lifts the user's lockouts (accounts.signals)."""
    audit.record(action=audit.Action.PASSWORD_RESET, actor=user, request=request, target=user)


@receiver(authenticator_added, dispatch_uid="accounts.audit_mfa_added")
def audit_mfa_added(sender, request, user, authenticator: Authenticator, **kwargs) -> None:
    _second_factor(audit.Action.MFA_ADDED, request, user, authenticator, after={"type": authenticator.type})


@receiver(authenticator_removed, dispatch_uid="accounts.audit_mfa_removed")
def audit_mfa_removed(sender, request, user, authenticator: Authenticator, **kwargs) -> None:
    _second_factor(audit.Action.MFA_REMOVED, request, user, authenticator, before={"type": authenticator.type})


@receiver(authenticator_reset, dispatch_uid="accounts.audit_mfa_reset")
def audit_recovery_codes_regenerated(sender, request, user, authenticator: Authenticator, **kwargs) -> None:
    _second_factor(audit.Action.RECOVERY_CODES_REGENERATED, request, user, authenticator)


@receiver(authenticator_used, dispatch_uid="accounts.audit_mfa_used")
def audit_recovery_code_used(sender, request, user, authenticator: Authenticator, **kwargs) -> None:
    """Only a recovery code: an authenticator app or a passkey at sign-in is in the sign-in's event."""
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        _second_factor(audit.Action.RECOVERY_CODE_USED, request, user, authenticator)


def _second_factor(action: str, request, user, authenticator: Authenticator, *, before: dict | None = None,
                   after: dict | None = None) -> None:
    audit.record(action=action, actor=user, request=request, object_type="mfa.authenticator",
                 object_id=authenticator.pk or "", object_repr=f"{user.get_username()}: {authenticator.type}",
                 before=before, after=after, only_changes=False)
