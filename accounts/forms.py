"""django-allauth's forms, adapted: the login form keeps Kalm's field ids, and the second-factor
form counts towards the same django-axes lockout as the password."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.security import credentials_for, is_locked_out


class LoginForm(AllauthLoginForm):
    """allauth's username/password form. The username input keeps the id ``id_username`` that
    Django's login form had (bookmarked password managers, the browser tests)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].widget.attrs.update({"id": "id_username", "autofocus": True})
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)


class MfaAuthenticateForm(AuthenticateForm):
    """The code step after the password (TOTP or a recovery code).

    A locked-out username + address gets the lockout page here too (the password was right,
    but the code is the next thing to guess); wrong codes are counted by
    ``accounts.signals.count_wrong_second_factor``.
    """

    def clean_code(self) -> str:
        request = context.request
        credentials = credentials_for(self.user)
        if is_locked_out(request, credentials["username"]):
            request.axes_locked_out = True  # axes.middleware.AxesMiddleware answers with the lockout page
            request.axes_credentials = credentials
            raise ValidationError(_("Too many failed sign-in attempts."), code="locked_out")
        return super().clean_code()
