"""The console's sign-in security page (managers only): who is locked out, recent failed
sign-ins, and a button to lift a lockout."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import security
from audit import services as audit
from console.access import staff_required
from incidents.selectors import user_is_manager


def _managers_only(request: HttpRequest) -> None:
    if not user_is_manager(request.user):
        raise Http404  # as for anything else an account manager may not see


@require_GET
@staff_required
def lockouts(request: HttpRequest) -> HttpResponse:
    _managers_only(request)
    locked, counting = security.failed_pairs(request)
    return render(request, "accounts/lockouts.html", {
        "locked": locked,
        "counting": counting,
        "failures": security.recent_failures(),
        "failure_limit": security.failure_limit(request),
        "lockout_minutes": security.lockout_minutes(request),
        "time_zone": settings.KALM_DEFAULT_TIME_ZONE,
    })


@require_POST
@staff_required
def lift_lockout(request: HttpRequest) -> HttpResponse:
    _managers_only(request)
    username = request.POST.get("username", "")
    ip_address = request.POST.get("ip_address", "")
    with transaction.atomic():
        lifted = security.lift_lockout(username=username, ip_address=ip_address, lifted_by=request.user)
        if lifted:
            audit.record(action=audit.Action.LOCKOUT_LIFTED, request=request, object_type="auth.user",
                         object_repr=username, after={"username": username, "address": ip_address},
                         only_changes=False)
    if lifted:
        messages.success(request, _("Lockout of %(username)s from %(address)s lifted: they can sign in again.")
                         % {"username": username, "address": ip_address})
    else:
        messages.info(request, _("There was no lockout to lift for %(username)s from %(address)s.")
                      % {"username": username, "address": ip_address})
    return redirect("accounts:lockouts")
