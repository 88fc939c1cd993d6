"""Dates and times typed in the console, in the console language's own way.

A native ``<input type="datetime-local">`` follows the browser's locale, not the page's: a
Dutch console in an English browser showed ``mm/dd/yyyy``. These are plain text inputs that
show and read the active language's format, with a placeholder that names it:

=====  ====================  ====================
 nl     31-05-2025 14:00      dd-mm-jjjj uu:mm
 de     31.05.2025 14:00      TT.MM.JJJJ hh:mm
 en     31/05/2025 14:00      dd/mm/yyyy hh:mm
=====  ====================  ====================

Every field accepts each of these (all are day-month-year, so nothing is ambiguous) and ISO
``2025-05-31T14:00`` / ``2025-05-31 14:00``, so API-like input and old bookmarks keep working.
Dates alone (the report's remediation actions) follow the same rules: ``format_date``,
``parse_date``.
The format and its placeholder live together here, keyed by language like Django's own locale
format modules, so the hint can never drift from what is accepted. The value is still a wall
time: the forms read it in the customer's time zone (``console.forms.common.in_zone``).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

EXAMPLE = datetime(2025, 5, 31, 14, 0)  # noqa: DTZ001 - a wall time shown as an example, no zone
FIRST_YEAR, LAST_YEAR = 2000, 2099  # what a console date field reads at all


@dataclass(frozen=True)
class InputFormat:
    datetime: str  # strftime/strptime
    date: str
    datetime_hint: str  # the placeholder, in the language's own letters
    date_hint: str


INPUT_FORMATS: dict[str, InputFormat] = {
    "en": InputFormat("%d/%m/%Y %H:%M", "%d/%m/%Y", "dd/mm/yyyy hh:mm", "dd/mm/yyyy"),
    "nl": InputFormat("%d-%m-%Y %H:%M", "%d-%m-%Y", "dd-mm-jjjj uu:mm", "dd-mm-jjjj"),
    "de": InputFormat("%d.%m.%Y %H:%M", "%d.%m.%Y", "TT.MM.JJJJ hh:mm", "TT.MM.JJJJ"),
}
ISO_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
ISO_DATE_FORMATS = ["%Y-%m-%d"]
ACCEPTED_DATETIME_FORMATS = [*(f.datetime for f in INPUT_FORMATS.values()), *ISO_DATETIME_FORMATS]
ACCEPTED_DATE_FORMATS = [*(f.date for f in INPUT_FORMATS.values()), *ISO_DATE_FORMATS]


def active_format() -> InputFormat:
    """The format of the language being rendered (English for anything unknown)."""
    language = (get_language() or "en").split("-")[0]
    return INPUT_FORMATS.get(language, INPUT_FORMATS["en"])


def format_datetime(value: datetime) -> str:
    """``value``'s wall time written as the active language types it: "31-05-2025 14:00"."""
    return value.strftime(active_format().datetime)


def format_date(value: date) -> str:
    return value.strftime(active_format().date)


def parse_date(text: str) -> date | None:
    """A date typed in any accepted format, or None."""
    text = text.strip()
    for pattern in ACCEPTED_DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


class _LocalInput(forms.TextInput):
    """A text input showing its value as the active language writes it; the placeholder names the format.

    ``shape`` is "datetime" or "date": the ``InputFormat`` fields (format and hint) it uses."""

    shape = "datetime"
    value_type: type = datetime

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__({"class": self.shape, "autocomplete": "off", "spellcheck": "false", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, self.value_type):
            return value.strftime(getattr(active_format(), self.shape))
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", getattr(active_format(), f"{self.shape}_hint"))
        return context


class LocalDateTimeInput(_LocalInput):
    shape, value_type = "datetime", datetime


class LocalDateInput(_LocalInput):
    shape, value_type = "date", date


class _InLocalFormat:
    """For a date or datetime field: a bad value says which format is meant; years outside
    ``FIRST_YEAR``–``LAST_YEAR`` are refused. A wall time in year 1 or 9999 cannot even be moved to
    UTC (an OverflowError wherever it is compared), and nothing in Kalm has any business there; the
    services set the real bounds (incidents.bounds)."""

    shape = "datetime"

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except forms.ValidationError as error:
            if error.code != "invalid":
                raise
            written = active_format()
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid",
                params={"format": getattr(written, f"{self.shape}_hint"),
                        "example": EXAMPLE.strftime(getattr(written, self.shape))},
            ) from None
        if parsed is not None and not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range",
                                        params={"first": FIRST_YEAR, "last": LAST_YEAR})
        return parsed


class LocalDateTimeField(_InLocalFormat, forms.DateTimeField):
    """A wall time in the active language's format (or ISO)."""

    shape = "datetime"
    widget = LocalDateTimeInput
    input_formats = ACCEPTED_DATETIME_FORMATS
    default_error_messages = {
        "invalid": _("Enter the date and time as %(format)s, for example %(example)s."),
        "out_of_range": _("Enter a date between %(first)s and %(last)s."),
    }


class LocalDateField(_InLocalFormat, forms.DateField):
    """A calendar date in the active language's format (or ISO)."""

    shape = "date"
    widget = LocalDateInput
    input_formats = ACCEPTED_DATE_FORMATS
    default_error_messages = {
        "invalid": _("Enter the date as %(format)s, for example %(example)s."),
        "out_of_range": _("Enter a date between %(first)s and %(last)s."),
    }
