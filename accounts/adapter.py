"""django-allauth adapters: what Kalm decides in allauth's flows.

``AccountAdapter``: nobody signs themselves up (managers and admins create MSP staff), and mail
about an account is written in its owner's language.

``SocialAccountAdapter``: at every single sign-on the IdP's groups claim decides the user's roles
(``accounts.services.apply_sso_roles``). A first SSO login creates the user only when the
groups grant a role; anyone else is refused with a page that says why.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import translation

from accounts import services


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False  # MSP staff are created by managers/admins; /accounts/signup/ says so

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's mail (a password reset), in the language of the user it is about.

        That is the language they last used the console in; a user Kalm knows none for gets
        the language of the page the request came from.
        """
        request = allauth_context.request
        language = services.user_language(context.get("user"), fallback=translation.get_language())
        with translation.override(language):
            ctx = {
                "request": request,
                "email": email,
                # "Hello from <MSP>!" rather than the request's host name.
                "current_site": SimpleNamespace(name=settings.KALM_MSP_NAME,
                                                domain=urlsplit(settings.SITE_URL).netloc),
                **context,
            }
            self.render_mail(template_prefix, email, ctx).send()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            return  # a signed-in user linking an IdP account: their roles are not the IdP's business here
        roles = sso_roles(sociallogin)
        if sociallogin.is_existing:
            services.apply_sso_roles(sociallogin.user, roles)
            if not services.may_use_console(sociallogin.user):
                raise ImmediateHttpResponse(refused(request, sociallogin, reason="no_role"))
            return
        if not roles.grants_anything:
            raise ImmediateHttpResponse(refused(request, sociallogin, reason="no_role"))
        email = next((address.email for address in sociallogin.email_addresses), "")
        if email and get_user_model().objects.filter(email__iexact=email).exists():
            # Someone with this address exists but was not linked (KALM_OIDC_LINK_BY_EMAIL off or
            # the address unverified): a second account would split their history.
            raise ImmediateHttpResponse(refused(request, sociallogin, reason="email_taken"))

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return sso_roles(sociallogin).grants_anything

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True  # never the sign-up form: the IdP has said who this is

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        services.apply_sso_roles(user, sso_roles(sociallogin))
        return user


def sso_roles(sociallogin: SocialLogin) -> services.SsoRoles:
    """The roles the IdP's claims grant: the groups claim of the ID token and of userinfo (Entra ID
    puts groups only in the ID token); a provider may name its own claim (``"groups_claim"`` in
    its ``settings`` in KALM_OIDC_PROVIDERS)."""
    data = sociallogin.account.extra_data or {}
    app = getattr(sociallogin.provider, "app", None)
    claim = (getattr(app, "settings", None) or {}).get("groups_claim")
    groups = services.groups_from_claims(data.get("id_token"), data.get("userinfo"),
                                         data if "id_token" not in data and "userinfo" not in data else None,
                                         claim=claim)
    return services.roles_for_groups(groups)


def refused(request: HttpRequest, sociallogin: SocialLogin, *, reason: str):
    provider = sociallogin.provider
    return render(request, "accounts/sso_refused.html",
                  {"reason": reason, "provider_name": provider.name if provider else ""}, status=403)
