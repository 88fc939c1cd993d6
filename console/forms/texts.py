"""A form's free texts in every language its readers need, and the warning before one is missing.

A text field keeps its own name for the version in the language the texts are written in
(``written_in``: the incident's, else the customer's); each other reader language adds a
field ``<name>__<language>``. Fields carry their visibility (incidents.visibility), which
the field template shows next to the label.

Before anything is sent, a text written in one language but missing in another reader
language stops the form with a warning naming both; ticking "send anyway" accepts the
documented fallback (those readers read the text as written, core.texts).
"""

from collections.abc import Mapping, Sequence
from copy import deepcopy

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.formatting import label
from core.texts import Translations, missing_languages
from incidents.models import Language
from incidents.visibility import visibility_of

FIELD_TEMPLATE = "incidents/_field.html"
CONFIRM = "send_with_missing_languages"


def show_visibility(form: forms.Form, names: Sequence[str], *, fact_of: Mapping[str, str] | None = None) -> None:
    """Mark each named field, and its versions in other languages, with the visibility of the fact it sets."""
    for name in names:
        visibility = visibility_of((fact_of or {}).get(name, name))
        for field_name, field in form.fields.items():
            if field_name == name or field_name.startswith(f"{name}__"):
                field.visibility, field.template_name = visibility, FIELD_TEMPLATE


class TextsInLanguagesMixin:
    """Adds the per-language versions of free-text fields; read them back with ``translations()``."""

    written_in: str = Language.DUTCH
    other_languages: list[str]
    text_names: list[str]

    def add_languages(self, names: Sequence[str], *, written_in: str, languages: Sequence[str],
                      current: Mapping[str, Mapping[str, str]] | None = None,
                      defaults: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.written_in = written_in
        self.other_languages = [language for language in languages if language != written_in]
        self.text_names = list(names)
        for name in names:
            base = self.fields[name]
            base.language, base.plain_label = written_in, base.label
            if self.other_languages:
                base.label = format_lazy("{} ({})", base.plain_label, Language(written_in).label)
            for language in self.other_languages:
                copy = deepcopy(base)
                copy.required, copy.disabled = False, False
                copy.language = language
                copy.label = format_lazy("{} ({})", base.plain_label, Language(language).label)
                copy.initial = ((current or {}).get(language) or {}).get(name) or (
                    (defaults or {}).get(language) or {}).get(name, "")
                copy.widget.attrs = {**copy.widget.attrs, "lang": language}
                copy.widget.attrs.pop("autofocus", None)
                self.fields[f"{name}__{language}"] = copy
            base.widget.attrs = {**base.widget.attrs, "lang": written_in}
        self.fields[CONFIRM] = forms.BooleanField(
            required=False, label_suffix="",
            label=gettext_lazy("Send anyway: readers of a missing language get the text as written"))

    def versions(self) -> dict[str, list[forms.BoundField]]:
        """{text name: [its bound field, then one per other language]} for the templates."""
        return {name: [self[name], *(self[f"{name}__{language}"] for language in self.other_languages)]
                for name in self.text_names}

    def translations(self) -> Translations:
        """The other languages' versions the form was sent: {language: {name: text}}.

        An emptied field is given as "" (it removes that version); a field the page did not
        show is not given at all, so a partial form never wipes a translation.
        """
        data = self.cleaned_data
        return {language: {name: data.get(key) or "" for name in self.text_names
                           if self.add_prefix(key := f"{name}__{language}") in self.data}
                for language in self.other_languages}

    def check_languages(self, names: Sequence[str] | None = None) -> None:
        """Stop with a warning when a text being sent lacks a reader language (unless confirmed)."""
        if not self.other_languages or self.cleaned_data.get(CONFIRM):
            return
        written = {name: self.cleaned_data.get(name) or "" for name in (names or self.text_names)}
        missing = missing_languages(written, self.translations(), self.other_languages, written_in=self.written_in)
        if missing:
            self.missing_languages = missing
            self.add_error(None, self._missing_message(missing))

    def _missing_message(self, missing: Mapping[str, list[str]]) -> str:
        languages = sorted({language for absent in missing.values() for language in absent})
        fields = ", ".join(str(self.fields[name].plain_label) for name in missing)
        return _("No %(languages)s version of: %(fields)s. Readers in that language would get the %(written)s "
                 "text. Fill it in, or tick “Send anyway” and send again.") % {
            "languages": ", ".join(label(Language, language) for language in languages),
            "fields": fields, "written": label(Language, self.written_in)}
