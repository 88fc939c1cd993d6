"""xgettext cannot see into f-strings: a ``_()`` inside one is never extracted, so never translated."""

import ast
from pathlib import Path

from django.conf import settings

APPS = ["core", "kalm", "incidents", "comms", "statuspage", "reports", "flows", "cadence", "console", "api", "accounts"]
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "pgettext", "pgettext_lazy", "ngettext_lazy"}


def test_no_translation_call_inside_an_f_string():
    offenders = []
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.JoinedStr):
                    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)
                             and isinstance(n.func, ast.Name) and n.func.id in GETTEXT_NAMES]
                    offenders += [f"{path.relative_to(settings.BASE_DIR)}:{call.lineno}" for call in calls]
    assert offenders == []
