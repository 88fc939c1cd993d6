"""Who may use the console: MSP staff, signed in (per-customer rules live in incidents.selectors)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from incidents import selectors


def staff_required(view):
    """Login required, then MSP staff only (customers' own logins never reach the console)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not selectors.user_is_msp_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
