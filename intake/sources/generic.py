"""Any JSON body, read through a JMESPath mapping.

For a monitoring tool Kalm has no module for: the integration's ``config`` maps each of Kalm's
fields to a JMESPath expression (https://jmespath.org/specification.html) on the body. ``alerts``
(optional) selects the list of alert objects; every other expression is evaluated on each alert
object in turn. ``fingerprint`` and ``title`` are required; an empty ``config`` means
``DEFAULT_MAPPING``, which reads a body that already uses Kalm's own words.

An alert is firing unless its ``status`` (as lower-case text) is one of ``RESOLVED_WORDS``; an
expression can turn a source's own words into one of them, e.g.
``event_action == 'resolve' && 'resolved' || 'firing'``.
"""

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from intake.signals import AlertSignal, PayloadError, clean_labels, clean_text, severity_from
from intake.sources.base import Payload, clean_url, component_names, json_object, parse_time, short_key, tag_pairs

KEYS = ("alerts", "fingerprint", "status", "title", "description", "severity", "group_key", "labels",
        "components", "started_at", "url")
REQUIRED = ("fingerprint", "title")
RESOLVED_WORDS = frozenset({"resolved", "ok", "up", "recovered", "reset", "closed", "cleared", "0", "false"})

DEFAULT_MAPPING: dict[str, str] = {
    "alerts": "alerts || [@]",
    "fingerprint": "fingerprint || id",
    "status": "status",
    "title": "title || summary || name",
    "description": "description || message",
    "severity": "severity",
    "group_key": "group_key || group",
    "labels": "labels || tags",
    "components": "components || component",
    "started_at": "started_at || startsAt",
    "url": "url",
}


def mapping_errors(config: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with a mapping, key by key (empty when it can be used): an unknown key, an
    expression that is not text or does not compile, a required key left out. For the console's
    form, so a mapping is refused when it is saved rather than on the first alert."""
    if not config:
        return {}  # DEFAULT_MAPPING applies
    errors: dict[str, str] = {}
    for key, expression in config.items():
        if key not in KEYS:
            errors[str(key)] = f"unknown key (known: {', '.join(KEYS)})"
        elif not isinstance(expression, str):
            errors[key] = "a JMESPath expression (text) is expected"
        elif expression.strip():
            try:
                _compiled(expression.strip())
            except (JMESPathError, ValueError, TypeError, RecursionError) as error:
                errors[key] = f"the expression does not compile: {_first_line(error)}"
    for key in REQUIRED:
        if key not in errors and not _expression(config, key):
            errors[key] = "required"
    return errors


def parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]:
    """One signal per alert object the mapping selects."""
    data = json_object(payload)
    mapping = config or DEFAULT_MAPPING
    return [_signal(alert, number, mapping) for number, alert in enumerate(_alerts(data, mapping), start=1)]


def _alerts(data: dict[str, Any], mapping: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The alert objects: ``alerts``' list (an object found there is one alert), else the body."""
    if not _expression(mapping, "alerts"):
        return [data]
    found = _search(mapping, "alerts", data, None)
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list):
        raise PayloadError("alerts", f"the mapping {_expression(mapping, 'alerts')!r} found no list of alerts")
    for index, alert in enumerate(found):
        if not isinstance(alert, dict):
            raise PayloadError(f"alerts[{index}]", "an object is expected")
    return found


def _signal(alert: dict[str, Any], number: int, mapping: Mapping[str, Any]) -> AlertSignal:
    """One alert object through the mapping (``number`` counts from 1, as people do)."""

    def value(key: str) -> Any:
        return _search(mapping, key, alert, number)

    fingerprint = short_key(_as_text(value("fingerprint")))
    if not fingerprint:
        raise _nothing_found(mapping, "fingerprint", number)
    title = clean_text(_as_text(value("title")))
    if not title:
        raise _nothing_found(mapping, "title", number)
    return AlertSignal(
        fingerprint=fingerprint,
        firing=_firing(value("status")),
        title=title,
        description=clean_text(_as_text(value("description"))),
        severity=severity_from(value("severity")),
        group_key=short_key(_as_text(value("group_key"))),
        labels=clean_labels(tag_pairs(value("labels"))),
        components=component_names(value("components")),
        started_at=parse_time(value("started_at"), "started_at"),
        url=clean_url(value("url")),
    )


def _firing(status: object) -> bool:
    """Firing unless the status says otherwise; no status at all is a firing alert."""
    if status is None:
        return True
    text = json.dumps(status) if isinstance(status, bool) else str(status)
    return text.strip().lower() not in RESOLVED_WORDS


def _search(mapping: Mapping[str, Any], key: str, data: object, number: int | None) -> Any:
    """The value ``key``'s expression finds in ``data`` (None when the key is not mapped)."""
    expression = _expression(mapping, key)
    if not expression:
        return None
    where = f" in alert {number}" if number else ""
    try:
        return _compiled(expression).search(data)
    # A compile error, a function given the wrong type at run time, or (the expression being the
    # user's and the body the sender's) anything else the evaluator lets slip.
    except (JMESPathError, ValueError, TypeError, KeyError, RecursionError) as error:
        raise PayloadError(key, f"the mapping {expression!r} failed{where}: {_first_line(error)}") from None


def _expression(mapping: Mapping[str, Any], key: str) -> str:
    """The expression mapped to ``key``, "" when none (a non-text one counts as none here;
    ``mapping_errors`` reports it)."""
    expression = mapping.get(key)
    return expression.strip() if isinstance(expression, str) else ""


@lru_cache(maxsize=512)
def _compiled(expression: str) -> ParsedResult:
    """A compiled expression, kept: every alert of every request reuses its integration's few."""
    return jmespath.compile(expression)


def _nothing_found(mapping: Mapping[str, Any], key: str, number: int) -> PayloadError:
    """The error for a required field the mapping did not find, naming the mapping and the alert."""
    expression = _expression(mapping, key)
    if not expression:
        return PayloadError(key, "the mapping has no expression for it")
    return PayloadError(key, f"the mapping {expression!r} found nothing in alert {number}")


def _as_text(value: object) -> str:
    """A found value as text: an id may be a number; an object or list is written as JSON (stable:
    sorted keys), so it can still serve as a fingerprint."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _first_line(error: Exception) -> str:
    """JMESPath's message without the caret drawing of its later lines."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
