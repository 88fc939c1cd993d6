"""Who may see a customer's status page, and the response headers that say so.

A public page (``Customer.status_page_public``) is open to everyone. A private page opens for

1. the secret link, ``?token=<StatusPageAccess.token>``; the response then sets a signed
   cookie scoped to ``/status/<slug>/`` so the links inside the page keep working, or
2. a logged-in user who may see the customer (``incidents.selectors.customer_for_user``).

Anything else answers 404, exactly like an unknown slug, so a private page's existence is
not revealed. Private responses carry ``X-Robots-Tag: noindex`` (templates add the meta
tag), ``Cache-Control: private`` and ``Vary: Cookie``. Rotating the token
(``manage.py statuspage_link <slug> --rotate``) also invalidates the cookies.
"""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from audit import services as audit
from incidents.models import Customer
from incidents.selectors import customer_for_user
from statuspage.models import StatusPageAccess, new_token

COOKIE_NAME = "kalm_status_access"
COOKIE_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Access:
    customer: Customer
    private: bool
    token: str = ""  # set when the visitor came through the secret link (query or cookie)
    remember: bool = False  # the token came in the query: set the cookie on the response

    @property
    def link_params(self) -> dict[str, str]:
        """Query parameters for links opened outside this browser (feed readers, calendars)."""
        return {"token": self.token} if self.token else {}

    @property
    def link_query(self) -> str:
        return f"?{urlencode(self.link_params)}" if self.token else ""


def access_token(customer: Customer) -> str:
    """The customer's secret link token, created on first use."""
    access, _created = StatusPageAccess.objects.get_or_create(customer=customer)
    return access.token


@transaction.atomic
def rotate_token(customer: Customer, *, actor: AbstractBaseUser | None = None, detail: str = "") -> str:
    """Replace the secret: old links and cookies stop working. The audit trail records who rotated
    it (``actor``; None from the command line) and when, never the secret."""
    token = new_token()
    access, _created = StatusPageAccess.objects.update_or_create(customer=customer, defaults={"token": token})
    audit.record(action=audit.Action.STATUS_LINK_ROTATED, actor=actor, customer=customer, target=access,
                 object_repr=customer.name, detail=detail)
    return token


def resolve_access(request: HttpRequest, slug: str) -> Access | None:
    customer = Customer.objects.filter(slug=slug).first()
    if customer is None:
        return None
    if customer.status_page_public:
        return Access(customer=customer, private=False)
    given = request.GET.get("token", "")
    cookie = request.get_signed_cookie(COOKIE_NAME, default="", salt=_salt(slug),
                                       max_age=COOKIE_MAX_AGE.total_seconds())
    if given or cookie:
        stored = StatusPageAccess.objects.filter(customer=customer).values_list("token", flat=True).first()
        if stored and given and secrets.compare_digest(given.encode(), stored.encode()):
            return Access(customer=customer, private=True, token=stored, remember=True)
        if stored and cookie and secrets.compare_digest(cookie.encode(), _fingerprint(stored).encode()):
            return Access(customer=customer, private=True, token=stored)
    if customer_for_user(request.user, slug=slug) is not None:
        return Access(customer=customer, private=True)
    return None


def status_page_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the visitor's access (404 when none), call ``view(request, access, ...)``, mark the response."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        access = resolve_access(request, slug)
        if access is None:
            raise Http404("No status page here")
        response = view(request, access, *args, **kwargs)
        if access.private:
            mark_private(request, response, access)
        return response

    return wrapper


def mark_private(request: HttpRequest, response: HttpResponse, access: Access) -> None:
    response.headers["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True)
    patch_vary_headers(response, ["Cookie"])
    if access.remember:
        slug = access.customer.slug
        response.set_signed_cookie(
            COOKIE_NAME, _fingerprint(access.token), salt=_salt(slug), max_age=COOKIE_MAX_AGE,
            path=reverse("statuspage:page", args=[slug]), secure=request.is_secure(), httponly=True,
            samesite="Lax",
        )


def _fingerprint(token: str) -> str:
    """What the cookie holds: a digest of the token (not the token itself), so rotation invalidates it."""
    return hashlib.sha256(token.encode()).hexdigest()


def _salt(slug: str) -> str:
    return f"statuspage.access:{slug}"
