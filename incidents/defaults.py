"""Texts Kalm proposes when a person has not written one yet, in the reader's language."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def message_and_translations(texts: dict[str, str], language: str) -> tuple[str, dict[str, dict[str, str]]]:
    """Texts keyed by language as the flows take them: the one in ``language``, the others as translations."""
    others = {other: {"message": text} for other, text in texts.items() if other != language}
    return texts[language], others


def first_messages() -> dict[str, str]:
    """The default first public message in every language, keyed by language.

    It says nothing about time: every page and message states the next update itself,
    from the contract's cadence, so the promise is made in one place and is always right.
    """
    return _in_every_language(lambda: _("We are aware of a disruption and are investigating it now. We will keep "
                                        "you informed until it is solved."))


def _in_every_language(text) -> dict[str, str]:
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            texts[language] = str(text())
    return texts


def recovered_messages() -> dict[str, str]:
    """Monitoring saw every alert of the incident clear (intake): service is back, we keep watching."""
    return _in_every_language(lambda: _("Our monitoring shows the service working again. We are keeping an eye "
                                        "on it before we close this incident."))


def recurred_messages() -> dict[str, str]:
    """An alert of the incident fired again after it had cleared (intake)."""
    return _in_every_language(lambda: _("Our monitoring shows the disruption again. We are investigating it now."))


def resolved_messages() -> dict[str, str]:
    """Every alert stayed clear for the quiet period, and the policy resolves by itself (intake)."""
    return _in_every_language(lambda: _("The disruption is resolved: our monitoring has shown the service working "
                                        "normally since it recovered. Thank you for your patience."))
