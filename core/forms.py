"""What every form in Kalm shares: service errors next to their fields, text free of control
characters, and component choices that refuse numbers no database can hold."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.forms import Form

from core.validators import no_control_characters

# The widest integer any of Kalm's databases stores (a BigAutoField; SQLite's INTEGER).
LARGEST_KEY = 2**63 - 1


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the matching form field (or on top)."""
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


def submit_form[T, R](form: Form, write: Callable[[dict], T], *, done: Callable[[T], R], again: Callable[[], R]) -> R:
    """The shape of every console form post: valid → the service write → ``done(what it returned)``;
    invalid input, or a service ValidationError shown on its fields → ``again()`` (the page with 422)."""
    if form.is_valid():
        try:
            written = write(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return done(written)
    return again()


class PlainTextForm:
    """Mix into a form: every text field refuses control characters (``core.validators``), NUL included.

    Added when the form is cleaned, so the fields a form adds as it is built (the texts in
    other languages, ``console.forms.texts``) are covered too. It takes the place of Django's
    own NUL check, so a NUL is reported once.
    """

    def full_clean(self) -> None:
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and no_control_characters not in field.validators:
                field.validators = [validator for validator in field.validators
                                    if not isinstance(validator, ProhibitNullCharactersValidator)]
                field.validators.append(no_control_characters)
        super().full_clean()


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, except that a number beyond any database key is an invalid choice.

    Django looks several choices up with ``pk__in``, which SQLite cannot bind past 64 bits
    (OverflowError, a 500); PostgreSQL simply finds nothing. Both now answer the same error.
    """

    def _check_values(self, value):
        for item in value if isinstance(value, list | tuple) else []:
            if _integer(item) is not None and not -LARGEST_KEY <= _integer(item) <= LARGEST_KEY:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                      params={"value": str(item)[:20]})
        return super()._check_values(value)


def _integer(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:  # not a number (or one too long to read): Django's own check answers it
        return None
