"""A JSON-Schema-like structural check of Statuspage's public API v2 documents.

Objects must have exactly the listed keys (no more, no fewer); values must have the
listed type, be one of the enum values, or match the timestamp format Statuspage uses
(ISO 8601 with milliseconds and a UTC offset).
"""

import re
from dataclasses import dataclass
from typing import Any

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")


@dataclass(frozen=True)
class OneOf:
    values: frozenset[str]


@dataclass(frozen=True)
class Nullable:
    inner: Any


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class ByFlag:
    """Pick the object spec by a boolean member (Statuspage's ``group`` flag on components)."""

    key: str
    when_true: dict
    when_false: dict


class _Time:
    pass


TIME = _Time()

COMPONENT_STATUS = OneOf(frozenset({"operational", "degraded_performance", "partial_outage", "major_outage",
                                    "under_maintenance"}))
INCIDENT_STATUS = OneOf(frozenset({"investigating", "identified", "monitoring", "resolved", "postmortem"}))
MAINTENANCE_STATUS = OneOf(frozenset({"scheduled", "in_progress", "verifying", "completed"}))
INDICATOR = OneOf(frozenset({"none", "minor", "major", "critical"}))
INCIDENT_IMPACT = OneOf(frozenset({"none", "minor", "major", "critical"}))

PAGE = {"id": str, "name": str, "url": str, "time_zone": str, "updated_at": TIME}
STATUS = {"indicator": INDICATOR, "description": str}
_COMPONENT = {
    "id": str, "name": str, "status": COMPONENT_STATUS, "created_at": TIME, "updated_at": TIME, "position": int,
    "description": Nullable(str), "showcase": bool, "start_date": Nullable(str), "group_id": Nullable(str),
    "page_id": str, "group": bool, "only_show_if_degraded": bool,
}
COMPONENT = ByFlag("group", when_true={**_COMPONENT, "components": ListOf(str)}, when_false=_COMPONENT)
AFFECTED = {"code": str, "name": str, "old_status": COMPONENT_STATUS, "new_status": COMPONENT_STATUS}


def _update(status: OneOf) -> dict:
    return {
        "id": str, "status": status, "body": str, "incident_id": str, "created_at": TIME, "updated_at": TIME,
        "display_at": TIME, "affected_components": Nullable(ListOf(AFFECTED)), "deliver_notifications": bool,
        "custom_tweet": Nullable(str), "tweet_id": Nullable(str),
    }


def _incident(status: OneOf, impact: OneOf) -> dict:
    return {
        "id": str, "name": str, "status": status, "created_at": TIME, "updated_at": TIME,
        "monitoring_at": Nullable(TIME), "resolved_at": Nullable(TIME), "impact": impact, "shortlink": str,
        "started_at": TIME, "page_id": str, "incident_updates": ListOf(_update(status)),
        "components": ListOf(COMPONENT),
    }


INCIDENT = _incident(INCIDENT_STATUS, INCIDENT_IMPACT)
MAINTENANCE = {**_incident(MAINTENANCE_STATUS, OneOf(frozenset({"maintenance"}))),
               "scheduled_for": TIME, "scheduled_until": TIME}

DOCUMENTS = {
    "summary.json": {"page": PAGE, "components": ListOf(COMPONENT), "incidents": ListOf(INCIDENT),
                     "scheduled_maintenances": ListOf(MAINTENANCE), "status": STATUS},
    "status.json": {"page": PAGE, "status": STATUS},
    "components.json": {"page": PAGE, "components": ListOf(COMPONENT)},
    "incidents.json": {"page": PAGE, "incidents": ListOf(INCIDENT)},
    "incidents/unresolved.json": {"page": PAGE, "incidents": ListOf(INCIDENT)},
    "scheduled-maintenances.json": {"page": PAGE, "scheduled_maintenances": ListOf(MAINTENANCE)},
    "scheduled-maintenances/upcoming.json": {"page": PAGE, "scheduled_maintenances": ListOf(MAINTENANCE)},
    "scheduled-maintenances/active.json": {"page": PAGE, "scheduled_maintenances": ListOf(MAINTENANCE)},
}


def validate(value: Any, spec: Any, path: str = "$") -> None:
    """Raise AssertionError, naming the path, where ``value`` does not match ``spec``."""
    if isinstance(spec, ByFlag):
        assert isinstance(value, dict) and isinstance(value.get(spec.key), bool), f"{path}: needs a {spec.key} flag"
        spec = spec.when_true if value[spec.key] else spec.when_false
    if isinstance(spec, dict):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        assert set(value) == set(spec), f"{path}: unexpected {set(value) - set(spec)}, missing {set(spec) - set(value)}"
        for key, inner in spec.items():
            validate(value[key], inner, f"{path}.{key}")
    elif isinstance(spec, ListOf):
        assert isinstance(value, list), f"{path}: expected a list, got {value!r}"
        for index, item in enumerate(value):
            validate(item, spec.item, f"{path}[{index}]")
    elif isinstance(spec, Nullable):
        if value is not None:
            validate(value, spec.inner, path)
    elif isinstance(spec, OneOf):
        assert value in spec.values, f"{path}: {value!r} is not one of {sorted(spec.values)}"
    elif spec is TIME:
        assert isinstance(value, str) and TIMESTAMP.match(value), f"{path}: {value!r} is not a Statuspage timestamp"
    elif spec is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer, got {value!r}"
    else:
        assert isinstance(value, spec), f"{path}: expected {spec.__name__}, got {value!r}"
