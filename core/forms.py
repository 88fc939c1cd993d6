"""What every form in Kalm shares."""

from django.core.exceptions import ValidationError
from django.forms import Form


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the matching form field (or on top)."""
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)
