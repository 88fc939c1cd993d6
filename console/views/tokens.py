from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors as token_selectors
from api.models import ApiToken, audited_token_facts
from audit import services as audit
from console.access import staff_required
from console.forms.tokens import ApiTokenForm
from core.forms import add_service_errors
from incidents.selectors import user_is_manager


@require_http_methods(["GET", "POST"])
@staff_required
@never_cache  # the answer to a create request holds the raw token: no cache may keep it
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The list and the form for a new token; a valid POST answers with the token, shown this once."""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            with transaction.atomic():
                token, raw = ApiToken.issue(user=request.user, **form.cleaned_data)
                audit.record(action=audit.Action.API_TOKEN_CREATED, request=request, target=token,
                             after=audited_token_facts(token), only_changes=False)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render(request, "tokens/api_token_created.html",
                          {"token": token, "raw_token": raw, "time_zone": settings.KALM_DEFAULT_TIME_ZONE})
    context = {
        "form": form,
        "tokens": token_selectors.tokens_for_user(request.user),
        "sees_everyone": user_is_manager(request.user),
        "time_zone": settings.KALM_DEFAULT_TIME_ZONE,
    }
    return render(request, "tokens/api_tokens.html", context, status=422 if form.is_bound else 200)


@require_POST
@staff_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = token_selectors.token_for_user_or_404(request.user, pk=pk)
    with transaction.atomic():
        revoked = token.revoke(by=request.user)
        if revoked:
            audit.record(action=audit.Action.API_TOKEN_REVOKED, request=request, target=token,
                         before={"revoked_at": None}, after={"revoked_at": token.revoked_at})
    if revoked:
        messages.success(request, _("Token %(prefix)s… revoked: it no longer works.") % {"prefix": token.prefix})
    else:
        messages.info(request, _("Token %(prefix)s… was already revoked.") % {"prefix": token.prefix})
    return redirect("tokens:list")
