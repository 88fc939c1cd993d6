"""Receivers: remember the language a user signs in with, count wrong second-factor codes
towards the django-axes lockout, and forget a user's failures after a password reset."""

from allauth.account.signals import password_reset
from allauth.mfa.signals import authentication_failed
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts import services
from accounts.security import credentials_for, forget_failures_of


@receiver(user_logged_in, dispatch_uid="accounts.remember_language")
def remember_sign_in_language(sender, request, user, **kwargs) -> None:
    # Test clients' force_login() sends this with a bare request: no language to remember.
    language = getattr(request, "LANGUAGE_CODE", None) if request is not None else None
    if language:
        services.remember_language(user, language)


@receiver(authentication_failed, dispatch_uid="accounts.count_wrong_second_factor")
def count_wrong_second_factor(sender, request, user, reauthentication=False, **kwargs) -> None:
    """A wrong TOTP or recovery code at sign-in counts like a wrong password (same username + address).

    Re-authentication inside a session is not a sign-in: allauth rate-limits it on its own.
    """
    if reauthentication or request is None:
        return
    user_login_failed.send(sender=__name__, credentials=credentials_for(user), request=request)


@receiver(password_reset, dispatch_uid="accounts.forget_failures_after_reset")
def forget_failures_after_reset(sender, request, user, **kwargs) -> None:
    forget_failures_of(user.get_username())
