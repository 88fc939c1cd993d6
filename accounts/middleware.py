"""Three small things about signing in that happen around every request.

- ``KALM_MFA_REQUIRED`` (``managers`` or ``everyone``): a user it covers who has no second
  factor (authenticator app or passkey) is sent to the two-factor page before any console page
  (``/console/``, ``/admin/``). The sign-in pages, the public status pages, the API (Bearer
  tokens) and the rest are not touched. A session that signed in through the IdP is left to the
  IdP's own second factor (Entra ID / Google conditional access).
- The sign-in pages under ``/accounts/`` may post to the configured IdPs: their origins are added
  to the CSP ``form-action`` there (Chromium applies it to the redirect to the IdP too).
- The console language a signed-in user picks with the language switch is remembered
  (``accounts.services.remember_language``) for mail about their account.
"""

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts import services
from accounts.oidc_settings import form_action_origins
from incidents.selectors import user_is_manager

MFA_REQUIRED_CHOICES = {"", "managers", "everyone"}
GUARDED_PREFIXES = ("/console/", "/admin/")
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


class AccountsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        if settings.KALM_MFA_REQUIRED not in MFA_REQUIRED_CHOICES:
            raise ImproperlyConfigured(
                f"KALM_MFA_REQUIRED must be empty, 'managers' or 'everyone'; got {settings.KALM_MFA_REQUIRED!r}")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(GUARDED_PREFIXES) and must_set_up_second_factor(request):
            if request.headers.get("HX-Request") == "true":
                return HttpResponseClientRedirect(reverse("mfa_index"))  # the whole page, not a swap
            return HttpResponseRedirect(reverse("mfa_index"))
        response = self.get_response(request)
        if request.path.startswith("/accounts/"):
            _allow_posting_to_identity_providers(response)
        elif request.method == "POST" and request.path == reverse("set_language"):
            _remember_chosen_language(request, response)
        return response


def mfa_required_for(user) -> bool:
    """Whether ``KALM_MFA_REQUIRED`` covers ``user`` (signed in, active)."""
    required = settings.KALM_MFA_REQUIRED
    if not required or not user.is_authenticated or not user.is_active:
        return False
    return required == "everyone" or (required == "managers" and user_is_manager(user))


def signed_in_through_idp(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user) if hasattr(request, "session") else []
    return any(record.get("method") == "socialaccount" for record in records)


def must_set_up_second_factor(request: HttpRequest) -> bool:
    user = request.user
    if not mfa_required_for(user) or signed_in_through_idp(request):
        return False
    return not Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()


def _allow_posting_to_identity_providers(response: HttpResponse) -> None:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    origins = form_action_origins(apps)
    if not origins or not settings.SECURE_CSP:
        return
    config = getattr(response, "_csp_config", None) or settings.SECURE_CSP
    form_action = [*config.get("form-action", []), *origins]
    response._csp_config = {**config, "form-action": list(dict.fromkeys(form_action))}


def _remember_chosen_language(request: HttpRequest, response: HttpResponse) -> None:
    if request.user.is_authenticated and response.status_code in (302, 204):
        services.remember_language(request.user, request.POST.get("language"))
