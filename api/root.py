"""The Kalm JSON API under /api/v1/ (django-ninja); the schema is at /api/v1/openapi.json.

Clients send ``Authorization: Bearer <token>`` (the console's API tokens page, or
``manage.py create_api_token``); the token's user must be active MSP staff, and then sees
what the console would show them. Bearer tokens are not sent by browsers on their own, so
the API needs no CSRF token.

Refusals answer ``{"detail": "..."}``: 401 without a known token (``"Unauthorized"``), or
with one that has expired (``"Token expired."``) or was revoked (``"Token revoked."``); 403
for a read-only token on anything but GET or HEAD (``"This token can only read."``) and for a
user who is not MSP staff; 404 for an incident the caller may not see, exactly like one that
does not exist; 405, with ``Allow``, for a method a path does not take.

Bad input never becomes a 500. Whether pydantic or a service finds it, the answer is 422
(400 for a body that is not JSON, 413 for one that is too large) in one shape:
``{"detail": [{"loc": ["body", "title"], "msg": "...", "type": "..."}]}``. Texts have the
console's limits (a message 5,000 characters) and no control characters but tab and line
breaks; an ETA lies between now and a year ahead. On a shared incident the caller sees and
changes only the parts of their own customers.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError, ValidationErrorContext
from ninja.security import HttpBearer

from api.audit import router as audit_router
from api.incidents import router as incidents_router
from api.models import ApiToken, TokenState, token_hash
from api.reports import router as reports_router
from api.service_reports import router as service_reports_router
from incidents.selectors import user_is_msp_staff

READ_METHODS = frozenset({"GET", "HEAD"})


class BearerToken(HttpBearer):
    """An active ``ApiToken`` of an active user; users who are not MSP staff get 403.

    An unknown token is a bare 401. An expired or revoked one says which: whoever sends it
    holds the token itself, so naming its state tells them nothing about anyone else's.
    """

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        api_token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(token)).first()
        if api_token is None or not api_token.user.is_active:
            return None
        now = timezone.now()
        match api_token.state_at(now):
            case TokenState.REVOKED:
                raise AuthenticationError(message=_("Token revoked."))
            case TokenState.EXPIRED:
                raise AuthenticationError(message=_("Token expired."))
        if not user_is_msp_staff(api_token.user):
            raise AuthorizationError(message="Only MSP staff may use the API: no customers are assigned to this user.")
        if not api_token.can_write and request.method not in READ_METHODS:
            raise AuthorizationError(message=_("This token can only read."))
        _note_use(api_token, now)
        return api_token.user


def _note_use(api_token: ApiToken, now: datetime) -> None:
    """Record when a token was last used, at most once a minute (not a write per request).

    The condition is in the UPDATE too, so concurrent requests write it once between them.
    """
    stale = now - timedelta(minutes=1)
    if api_token.last_used_at is None or api_token.last_used_at <= stale:
        ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale),
                                pk=api_token.pk).update(last_used_at=now)


class KalmAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        """Ninja's URL patterns, each answering a method it does not take in JSON like every other
        error, then a JSON 404 for any other path under the API's root."""
        patterns = super()._get_urls()
        for pattern in patterns:
            if getattr(pattern, "name", None) == "api-root":  # kept for reverse(); ninja's answers an HTML 404
                pattern.callback = _no_such_path
            elif isinstance(pattern, URLPattern):
                pattern.callback = _json_not_allowed(pattern.callback)
        return [*patterns, re_path(r"^.*$", _no_such_path)]

    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        """Name body fields as the client wrote them: ``["body", "title"]``.

        Ninja puts the view's parameter name in between (``["body", "payload", "title"]``);
        dropping it gives pydantic's errors the same shape as the services' errors.
        """
        error = super().validation_error_from_error_contexts(error_contexts)
        body_params = {getattr(context.model, "__read_from_single_attr__", None) for context in error_contexts}
        for item in error.errors:
            loc = item["loc"]
            if loc[0] == "body" and len(loc) > 1 and loc[1] in body_params:
                item["loc"] = (loc[0], *loc[2:])
        return error


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method a path does not take with plain text; this answers ``{"detail": …}``."""

    @wraps(view)  # keeps ninja's csrf_exempt: bearer tokens are never sent by browsers on their own
    def view_with_json_405(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        refusal = api.create_response(request, {"detail": _("Method not allowed.")}, status=405)
        refusal["Allow"] = response["Allow"]
        return refusal

    return view_with_json_405


@csrf_exempt  # any method: the answer is the same 404
def _no_such_path(request: HttpRequest, **_path: str) -> HttpResponse:
    return api.create_response(request, {"detail": _("No such path in the API.")}, status=404)


api = KalmAPI(
    title="Kalm API",
    version="1",
    description=__doc__,
    urls_namespace="api",
    auth=BearerToken(),
    # The Swagger page needs inline script and a CDN, which the CSP forbids; the schema stays.
    docs_url=None,
)
api.add_router("/incidents", incidents_router)  # routers live in the apps
api.add_router("/incidents", reports_router)  # GET /incidents/{number}/report.pdf
api.add_router("/audit", audit_router)  # GET /audit: the audit trail, read-only, managers only
api.add_router("/customers", service_reports_router)  # GET /customers/{slug}/service-reports/{YYYY-MM}.pdf


def _field_errors(request: HttpRequest, errors: list[dict[str, Any]], *, status: int = 422) -> HttpResponse:
    return api.create_response(request, {"detail": errors}, status=status)


@api.exception_handler(DjangoValidationError)
def service_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """Services raise Django's ValidationError keyed by field; answer it like pydantic's."""
    by_field = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    return _field_errors(request, [
        {
            "loc": ["body"] if field == NON_FIELD_ERRORS else ["body", field],
            "msg": message,
            "type": error.code or "value_error",
        }
        for field, errors in by_field.items()
        for error in errors
        for message in error.messages
    ])


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja turns a body its JSON parser rejects into HttpError(400) raised from the parser's error.
    if isinstance(exc.__cause__, ValueError | RecursionError):
        return _field_errors(
            request, [{"loc": ["body"], "msg": "The body is not valid JSON.", "type": "json_invalid"}], status=400
        )
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _field_errors(request, [{"loc": ["body"], "msg": str(exc), "type": "too_large"}], status=413)
