"""The Dutch and German catalogs cover every string the code marks, with no fuzzy guesses.

``makemessages`` runs against a copy of the catalogs (the real ones are never touched), so a
string added to the code without a translation, or a changed one that gettext merely guessed
("fuzzy"), fails here rather than reaching a Dutch page in English.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

IGNORED = [".venv", "tests", "bench", "staticfiles", "var", "node_modules"]


@pytest.fixture(scope="module")
def refreshed_catalogs(tmp_path_factory, django_db_blocker) -> Path:
    locale = tmp_path_factory.mktemp("catalogs") / "locale"
    shutil.copytree(Path(settings.BASE_DIR) / "locale", locale)
    original = settings.LOCALE_PATHS
    settings.LOCALE_PATHS = [locale]
    try:
        call_command("makemessages", locale=["nl", "de"], ignore_patterns=IGNORED, no_obsolete=True, verbosity=0)
    finally:
        settings.LOCALE_PATHS = original
    return locale


@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_marked_string_is_translated_and_none_is_fuzzy(refreshed_catalogs, language):
    po = refreshed_catalogs / language / "LC_MESSAGES" / "django.po"
    stats = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True,
                           check=True).stderr
    assert "fuzzy" not in stats and "untranslated" not in stats, (
        f"{language}: {stats.strip()} — run makemessages and translate (see README, 'Translations')"
    )
    assert "translated message" in stats
