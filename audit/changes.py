"""What an audit event says changed: JSON-safe snapshots of the fields that matter, only the
ones that differ, and never a secret.

``snapshot(obj, fields)`` reads fields (a many-to-many as the sorted names of its members);
``diff(before, after)`` keeps the keys whose values differ; ``safe(values)`` makes any mapping
JSON-safe and redacts secrets. ``audit.services.record`` passes everything through ``safe``,
so a caller cannot store a secret by mistake: a key that names a secret (``webhook_secret``,
``key_hash``, ``password``, ``token`` …) keeps only whether it is set, and a URL that is itself
a credential (a Teams, Slack or webhook URL: whoever has it can post) keeps only its host and a
short fingerprint, so a change still shows.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from django.db import models

REDACTED = "[redacted]"
SECRET_KEY = re.compile(r"secret|password|passwd|token|hash|api_?key|private_?key|credential", re.IGNORECASE)
SECRET_URL_KEY = re.compile(r"webhook.*url|url.*webhook", re.IGNORECASE)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as JSON-safe values (not yet redacted: ``diff`` first, then ``safe``)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(member) for member in getattr(obj, name).all()) if obj.pk else []
        elif field.is_relation:
            related = getattr(obj, name)
            values[name] = str(related) if related is not None else None
        else:
            values[name] = _plain(getattr(obj, name))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) restricted to the keys whose values differ; a key missing on one side is None there."""
    keys = [key for key in (*before, *(k for k in after if k not in before))
            if _plain(before.get(key)) != _plain(after.get(key))]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


def safe(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON-safe, with secrets redacted (recursively)."""
    return {str(key): _redacted(str(key), value) for key, value in (values or {}).items()}


def _redacted(key: str, value: Any) -> Any:
    if SECRET_KEY.search(key):
        return REDACTED if value not in (None, "") else value
    if SECRET_URL_KEY.search(key) and isinstance(value, str) and value:
        return masked_url(value)
    if isinstance(value, Mapping):
        return safe(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(key, item) for item in value]
    return _plain(value)


def masked_url(url: str) -> str:
    """``https://hooks.slack.com/…#1a2b3c4d``: the host, and a fingerprint so a changed path shows."""
    parts = urlsplit(url)
    fingerprint = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"{parts.scheme}://{parts.hostname or ''}/…#{fingerprint}" if parts.scheme else f"…#{fingerprint}"


def _plain(value: Any) -> Any:
    """JSON-safe: times as ISO 8601 (in UTC when they carry a zone), choices as their value, models as
    their text, sets sorted."""
    if value is None or isinstance(value, bool | int | float | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)
