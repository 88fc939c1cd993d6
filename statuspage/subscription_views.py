"""The public subscription pages: sign up, confirm, preferences, unsubscribe. Thin: the
rules live in statuspage.subscriptions, the signed tokens in statuspage.subscription_tokens.

- ``/subscribe/`` is open to whoever may see the page (a private page needs its secret
  link, cookie or a console login, as in statuspage.access); sign-up POSTs are rate-limited
  per client IP.
- The token pages open for whoever holds the signed link, even on a private page. A GET
  never changes anything (mail scanners prefetch links); the POST does. The unsubscribe
  POST is csrf_exempt: mail clients send RFC 8058's one-click POST without a CSRF token,
  and the signed token in the URL is the authorisation.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from core.forms import add_service_errors
from incidents.models import Customer
from statuspage import subscription_tokens, subscriptions
from statuspage.access import Access, mark_private, resolve_access  # one rule for who may see a page
from statuspage.forms import PreferencesForm, SubscribeForm
from statuspage.models import Subscription, SubscriptionChannel, SubscriptionState
from statuspage.responses import chosen_language
from statuspage.signup_guard import signup_rate_check
from statuspage.site import Site

TEMPLATES = "statuspage/subscriptions"


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("Accept-Language", "Cookie")
def subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    access = resolve_access(request, slug)
    if access is None:
        raise Http404("No status page here")
    customer = access.customer
    if request.method != "POST":
        form = SubscribeForm(customer=customer, initial={"language": chosen_language(request) or customer.language})
        return _signup_page(request, access, form, sent=request.GET.get("sent") == "1")
    verdict = signup_rate_check(request)
    if not verdict.allowed:
        response = _page(request, access, f"{TEMPLATES}/rate_limited.html", {}, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    form = SubscribeForm(request.POST, customer=customer)
    if not form.is_valid():
        return _signup_page(request, access, form, status=422)
    if not form.is_bot():  # a bot gets the same answer and nothing is stored or sent
        try:
            data = form.cleaned_data
            subscriptions.subscribe(customer=customer, channel=data["channel"], address=form.address,
                                    language=data["language"], components=list(data["components"]),
                                    contact_email=data.get("contact_email") or "")
        except ValidationError as error:
            add_service_errors(form, error)
            return _signup_page(request, access, form, status=422)
    # The same answer whether the address was new, pending or subscribed (no enumeration).
    return redirect(f"{request.path}?{urlencode(_kept_query(request, access) | {'sent': '1'})}")


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    customer = get_object_or_404(Customer, slug=slug)
    subscription = subscription_tokens.subscription_for_confirm_token(customer, token)
    if subscription is None:
        raise Http404("No such subscription")
    if request.method == "POST":
        subscription = subscriptions.confirm(subscription=subscription)
    return _token_page(request, subscription, f"{TEMPLATES}/confirm.html", {
        "done": subscription.state == SubscriptionState.CONFIRMED and request.method == "POST",
        "manage_token": subscription_tokens.manage_token(subscription.stakeholder_id),
    })


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    subscription = _by_manage_token(slug, token)
    stakeholder = subscription.stakeholder
    initial = {"language": stakeholder.language, "components": list(stakeholder.components.all())}
    form = PreferencesForm(request.POST if request.method == "POST" else None, customer=subscription.customer,
                           initial=initial)
    status, saved = 200, False
    if form.is_bound:
        if form.is_valid():
            try:
                subscriptions.update_preferences(subscription=subscription, language=form.cleaned_data["language"],
                                                 components=list(form.cleaned_data["components"]))
                saved = True
            except ValidationError as error:
                add_service_errors(form, error)
        status = 200 if saved else 422
    return _token_page(request, subscription, f"{TEMPLATES}/manage.html", {"form": form, "saved": saved},
                       status=status)


@csrf_exempt  # RFC 8058 one-click: the mail client's POST has no CSRF token; the signed URL authorises it
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    subscription = _by_manage_token(slug, token)
    if request.method == "POST":
        subscription = subscriptions.unsubscribe(subscription=subscription)
    return _token_page(request, subscription, f"{TEMPLATES}/unsubscribe.html",
                       {"done": request.method == "POST"})


# --- helpers ------------------------------------------------------------------------------


def _by_manage_token(slug: str, token: str) -> Subscription:
    customer = get_object_or_404(Customer, slug=slug)
    subscription = subscription_tokens.subscription_for_manage_token(customer, token)
    if subscription is None:
        raise Http404("No such subscription")
    return subscription


def _kept_query(request: HttpRequest, access: Access) -> dict[str, str]:
    """?lang and (on a private page opened by its link) ?token survive the redirect after sign-up."""
    kept = {"lang": lang} if (lang := chosen_language(request)) else {}
    return kept | access.link_params


def _signup_page(request: HttpRequest, access: Access, form: SubscribeForm, *, sent: bool = False,
                 status: int = 200) -> HttpResponse:
    context = {"form": form, "sent": sent, "groups": form.component_groups(),
               "action": request.get_full_path(), "webhook": SubscriptionChannel.WEBHOOK}
    return _page(request, access, f"{TEMPLATES}/subscribe.html", context, status=status)


def _page(request: HttpRequest, access: Access, template: str, context: dict[str, Any], *,
          status: int = 200) -> HttpResponse:
    customer = access.customer
    response = _render(request, customer, template, context, private=access.private, status=status,
                       token=access.token, language=chosen_language(request) or customer.language)
    if access.private:
        mark_private(request, response, access)
    return response


def _token_page(request: HttpRequest, subscription: Subscription, template: str, context: dict[str, Any], *,
                status: int = 200) -> HttpResponse:
    customer = subscription.customer
    language = chosen_language(request) or subscription.stakeholder.language
    context = {**context, "subscription": subscription, "token": request.resolver_match.kwargs["token"],
               "webhook": subscription.channel == SubscriptionChannel.WEBHOOK}
    response = _render(request, customer, template, context, private=not customer.status_page_public,
                       status=status, token="", language=language)
    # A personal page behind a secret link: never cached, never indexed.
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _render(request: HttpRequest, customer: Customer, template: str, context: dict[str, Any], *, private: bool,
            status: int, token: str, language: str) -> HttpResponse:
    site = Site.of(customer, private=private, lang=chosen_language(request) or "", token=token)
    with translation.override(language), timezone.override(customer.tzinfo):
        response = render(request, template, {**context, "site": site}, status=status)
    response.headers["Content-Language"] = language
    if status == 200:
        patch_cache_control(response, no_cache=True)
    return response
