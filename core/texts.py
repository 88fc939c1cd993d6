"""Texts people write once per language, and how a reader's language finds its version.

A model with texts that reach customers keeps each text in its ordinary field, written in
one language (the incident's or the customer's), and the same text in other languages in
a ``translations`` JSON field: ``{"en": {"title": "…", "workaround": "…"}, "de": {…}}``.

The fallback, stated once: a reader whose language has no version of a text reads it as
it was written. Forms warn about a missing language before anything is sent, so the
fallback is a decision the account manager made, not an accident.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import get_language

Translations = dict[str, dict[str, str]]  # language → field → text


def localized(obj: object, field: str, language: str, *, written_in: str) -> str:
    """``obj.<field>`` in ``language``: its translation when there is one, else the text as written."""
    if language != written_in:
        translated = ((getattr(obj, "translations", None) or {}).get(language) or {}).get(field, "")
        if translated.strip():
            return translated
    return getattr(obj, field) or ""


def merged(current: Mapping[str, Mapping[str, str]] | None,
           changes: Mapping[str, Mapping[str, str]] | None) -> Translations:
    """``current`` with ``changes`` applied; an emptied text is removed, an empty language dropped."""
    result: Translations = {language: dict(texts) for language, texts in (current or {}).items()}
    for language, texts in (changes or {}).items():
        slot = result.setdefault(language, {})
        for field, text in texts.items():
            if text.strip():
                slot[field] = text.strip()
            else:
                slot.pop(field, None)
    return {language: texts for language, texts in result.items() if texts}


def missing_languages(texts: Mapping[str, str], translations: Mapping[str, Mapping[str, str]] | None,
                      languages: Iterable[str], *, written_in: str) -> dict[str, list[str]]:
    """For each field written in ``texts`` (non-empty), the ``languages`` that have no version of it."""
    missing: dict[str, list[str]] = {}
    for field, text in texts.items():
        if not text.strip():
            continue
        absent = [language for language in languages if language != written_in
                  and not ((translations or {}).get(language) or {}).get(field, "").strip()]
        if absent:
            missing[field] = absent
    return missing


@dataclass(frozen=True, slots=True)
class Localized:
    """A text whose version is chosen when it is shown: the active language's, else as written.

    Public pages build their state once and render it in every language, so titles,
    messages and component names travel as these; templates show ``str()`` of them in the
    language being rendered. Code that writes JSON, feeds or calendars calls ``str()``
    inside ``translation.override`` too.
    """

    written: str
    versions: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, obj: object, field: str, *, written_in: str) -> "Localized":
        translations = getattr(obj, "translations", None) or {}
        versions = tuple(sorted((language, texts[field]) for language, texts in translations.items()
                                if language != written_in and (texts or {}).get(field, "").strip()))
        return cls(getattr(obj, field) or "", versions)

    def in_language(self, language: str) -> str:
        return next((text for lang, text in self.versions if lang == language), self.written)

    def __str__(self) -> str:
        return self.in_language((get_language() or "")[:2])

    def __bool__(self) -> bool:
        return bool(self.written)


# What XML 1.0 cannot carry at all (C0 controls but tab and newlines, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters an XML document (a feed) cannot hold. The forms and the API
    refuse them; text stored before they did must still not stop a feed from rendering."""
    return _NOT_XML.sub("", text)
