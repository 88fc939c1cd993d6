"""Helpers every console view shares: access control and service errors on forms."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
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


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the matching form field (or on top)."""
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)
