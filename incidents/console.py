"""Helpers every console view shares: access control, service errors on forms, and how many
people an update reaches (for the confirmation after posting it)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest

from incidents import selectors
from incidents.models import IncidentUpdate

# comms/ registers how many stakeholders an update's messages go to (CommsConfig.ready):
# incidents must not import comms, which builds on incidents. None: comms is not installed.
update_recipient_counter: Callable[[IncidentUpdate], int] | None = None


def update_recipient_count(update: IncidentUpdate) -> int | None:
    """How many stakeholders the update's messages go to; None when nobody counts them."""
    return update_recipient_counter(update) if update_recipient_counter is not None else None


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
