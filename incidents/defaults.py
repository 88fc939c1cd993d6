"""Texts Kalm proposes when a person has not written one yet, in the reader's language."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def first_messages() -> dict[str, str]:
    """The default first public message in every language, keyed by language.

    It says nothing about time: every page and message states the next update itself,
    from the contract's cadence, so the promise is made in one place and is always right.
    """
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            texts[language] = _("We are aware of a disruption and are investigating it now. We will keep you "
                                "informed until it is solved.")
    return texts
