"""How the tests read a message the way its reader would: which language it is in, whether it
shows Markdown syntax, what it promises.

A text in one language must contain none of the sentences the other languages have for the
same purpose: the literal sentences of the shipped message templates and every translated
sentence of the catalogs (a Dutch or German msgstr, or its English msgid), plus the story's
own texts in the other languages.
"""

import functools
import gettext
import re
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from comms.messages.rendering import DEFAULTS_DIR
from tests.scenarios.story import TEXTS

LANGUAGES = ("en", "nl", "de")
MIN_FRAGMENT = 24  # shorter pieces ("Status:", "ERP") are the same in several languages
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
MARKDOWN = re.compile(r"\*\*|__|\]\(|^#{1,6} |^\s*[*+] ", re.MULTILINE)
GREETING = {"en": "Hello,", "nl": "Goedendag,", "de": "Guten Tag,"}


@functools.cache
def sentences() -> dict[str, frozenset[str]]:
    """Per language: sentences that only that language's messages may contain."""
    found = {language: set() for language in LANGUAGES}
    for language in LANGUAGES:
        found[language] |= _template_fragments(language)
        found[language] |= {text for texts in TEXTS.values() for lang, text in texts.items() if lang == language}
    for language, pairs in _catalog_pairs().items():
        for msgid, msgstr in pairs:
            found["en"].add(msgid)
            found[language].add(msgstr)
    shared = set.intersection(*found.values())
    return {language: frozenset(found[language] - shared) for language in LANGUAGES}


def _template_fragments(language: str) -> set[str]:
    path = DEFAULTS_DIR / f"{language}.toml"
    templates = tomllib.loads(path.read_text(encoding="utf-8"))
    fragments = set()
    for kind in templates.values():
        for part in kind.values():
            sources = [part] if isinstance(part, str) else [part.get("subject", ""), part.get("body", "")]
            for source in sources:
                for piece in _TAG.split(source.replace("**", "")):
                    for line in piece.splitlines():
                        line = line.strip().removeprefix("- ").strip(" :;,.()")
                        if len(line) >= MIN_FRAGMENT:
                            fragments.add(line)
    return fragments


def _catalog_pairs() -> dict[str, list[tuple[str, str]]]:
    pairs = {}
    for language in ("nl", "de"):
        catalog = gettext.GNUTranslations(
            (Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.mo").open("rb"))
        pairs[language] = [(msgid, msgstr) for msgid, msgstr in catalog._catalog.items()
                           if isinstance(msgid, str) and msgid and msgid != msgstr
                           and "%(" not in msgid and len(msgid) >= MIN_FRAGMENT and len(msgstr) >= MIN_FRAGMENT]
    return pairs


def foreign_sentences(text: str, language: str) -> list[str]:
    """The other languages' sentences found in ``text`` (empty when it is all in ``language``)."""
    flat = " ".join(text.split())
    return sorted(sentence for other in LANGUAGES if other != language for sentence in sentences()[other]
                  if " ".join(sentence.split()) in flat)


def markdown_syntax(text: str) -> list[str]:
    return MARKDOWN.findall(text)


def local_time(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")
