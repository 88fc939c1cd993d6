"""Validators every way in shares (the console's and the status page's forms, the API).

Text that reaches the database must be free of control characters: PostgreSQL refuses NUL
(a 500 where SQLite stored it), and XML 1.0 (the status page's feeds) cannot carry the other
C0 controls either. Tab, line feed and carriage return are ordinary text and stay allowed.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# What XML 1.0 cannot carry (django.utils.xmlutils refuses the same): the C0 controls but tab, LF and CR.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f"
CONTROL_CHARACTERS = re.compile(f"[{_CONTROL}]")
# The same rule as a JSON Schema pattern (the API's OpenAPI document): a text without them, and
# one that also has a visible character (a required name, which is stripped of spaces).
PLAIN_TEXT_PATTERN = f"^[^{_CONTROL}]*$"
VISIBLE_TEXT_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
CONTROL_CHARACTERS_MESSAGE = _("Remove the control characters: invisible characters other than tabs and line breaks "
                               "cannot be stored.")


def has_control_characters(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text))


def no_control_characters(value: object) -> None:
    """Refuse a text holding a control character (NUL included); tabs and line breaks are fine."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")
