"""The Dutch and German catalogs cover every string the code marks, with no fuzzy guesses.

``makemessages`` runs in a copy of the source tree with a copy of the catalogs (makemessages
writes into the ``locale`` folder it finds beside the sources, so the real ones must not be
in reach), and a string added to the code without a translation, or a changed one that
gettext merely guessed ("fuzzy"), fails here rather than reaching a Dutch page in English.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

SOURCES = ["core", "kalm", "incidents", "audit", "comms", "statuspage", "reports", "flows", "cadence", "console", "api",
           "accounts", "templates", "locale"]


@pytest.fixture(scope="module")
def refreshed_catalogs(tmp_path_factory) -> Path:
    real = sorted((Path(settings.BASE_DIR) / "locale").rglob("django.po"))
    before = [path.read_bytes() for path in real]
    tree = tmp_path_factory.mktemp("sources")
    for name in SOURCES:
        shutil.copytree(Path(settings.BASE_DIR) / name, tree / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "migrations"))
    original_paths, original_dir = settings.LOCALE_PATHS, os.getcwd()
    settings.LOCALE_PATHS = [tree / "locale"]
    os.chdir(tree)
    try:
        call_command("makemessages", locale=["nl", "de"], no_obsolete=True, verbosity=0)
    finally:
        os.chdir(original_dir)
        settings.LOCALE_PATHS = original_paths
    assert [path.read_bytes() for path in real] == before, "the real catalogs were rewritten"
    return tree / "locale"


@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_marked_string_is_translated_and_none_is_fuzzy(refreshed_catalogs, language):
    po = refreshed_catalogs / language / "LC_MESSAGES" / "django.po"
    stats = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True,
                           check=True).stderr
    assert "fuzzy" not in stats and "untranslated" not in stats, (
        f"{language}: {stats.strip()} — run makemessages and translate (see README, 'Translations')"
    )
    assert "translated message" in stats
