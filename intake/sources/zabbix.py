"""Zabbix, through Kalm's own webhook media type (deploy/zabbix/kalm_mediatype.yaml).

Zabbix has no fixed outgoing format: a webhook media type's JavaScript builds the request
(https://www.zabbix.com/documentation/current/en/manual/config/notifications/media/webhook).
Kalm's media type posts one JSON object per action operation, its values Zabbix macros
(https://www.zabbix.com/documentation/current/en/manual/appendix/macros/supported_by_location)::

    {"event_id": "{EVENT.ID}", "event_name": "{EVENT.NAME}", "severity": "{EVENT.NSEVERITY}",
     "event_value": "{EVENT.VALUE}", "update_status": "{EVENT.UPDATE.STATUS}",
     "host": "{HOST.NAME}", "trigger_id": "{TRIGGER.ID}", "tags": {EVENT.TAGSJSON},
     "message": "{ALERT.MESSAGE}", "url": "<the problem's page, when {$ZABBIX.URL} is set>"}

``event_value`` 1 is a problem, 0 its recovery (whose ``{EVENT.ID}`` is still the problem's
id, so both share the fingerprint); ``update_status`` 1 is an update operation (acknowledge,
comment, severity change), which changes nothing here. A macro Zabbix could not resolve arrives
as its own name (``"{EVENT.NSEVERITY}"``) and is read as missing.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from incidents.models import Severity
from intake.signals import AlertSignal, PayloadError, clean_labels, clean_text, severity_from
from intake.sources.base import Payload, clean_url, component_names, json_object, scalar_text, short_key, tag_pairs

# {EVENT.NSEVERITY}: 0 not classified, 1 information, 2 warning, 3 average, 4 high, 5 disaster.
NSEVERITY: dict[str, str | None] = {
    "0": None, "1": Severity.LOW, "2": Severity.MEDIUM, "3": Severity.MEDIUM,
    "4": Severity.HIGH, "5": Severity.CRITICAL,
}
EVENT_VALUES = {"1": True, "0": False}
# A macro Zabbix left unresolved, e.g. {EVENT.ID} or {$ZABBIX.URL}.
_MACRO = re.compile(r"^\{\$?[A-Z][A-Z0-9_]*(\.[A-Za-z0-9_]+)*\}$")


def parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]:
    """One signal for a problem or its recovery; none for an update operation."""
    data = json_object(payload)
    if _value(data, "update_status") == "1":
        return []
    event_id = short_key(_value(data, "event_id"))
    if not event_id:
        raise PayloadError("event_id", "missing")
    firing = _firing(_value(data, "event_value"))
    title = clean_text(_value(data, "event_name"))
    if not title:
        raise PayloadError("event_name", "missing")
    host = _value(data, "host")
    tags = tag_pairs(_tag_list(data.get("tags")))
    labels = clean_labels({**tags, "host": host} if host else tags)
    return [
        AlertSignal(
            fingerprint=short_key(f"event:{event_id}"),
            firing=firing,
            title=title,
            description=clean_text(_value(data, "message")),
            severity=_severity(_value(data, "severity")),
            labels=labels,
            components=component_names(tags.get("component", "")),
            url=clean_url(_value(data, "url")),
        )
    ]


def _value(data: dict[str, Any], key: str) -> str:
    """A macro's value as text; "" when missing, blank, or left unresolved by Zabbix."""
    text = scalar_text(data.get(key), key)
    return "" if _MACRO.match(text) else text


def _firing(value: str) -> bool:
    """``{EVENT.VALUE}``: 1 a problem, 0 a recovery."""
    if value not in EVENT_VALUES:
        raise PayloadError("event_value", "1 (problem) or 0 (recovery) expected")
    return EVENT_VALUES[value]


def _severity(value: str) -> str | None:
    """``{EVENT.NSEVERITY}`` as Kalm's level; a media type edited to send ``{EVENT.SEVERITY}``
    (the level's name, e.g. "High" or "Disaster") is understood too."""
    return NSEVERITY[value] if value in NSEVERITY else severity_from(value)


def _tag_list(value: object) -> list[Any]:
    """``{EVENT.TAGSJSON}``: a list of ``{"tag", "value"}``; a media type that forwards the macro's
    text unparsed sends it as a JSON text, read the same. Missing or unresolved: no tags."""
    if value is None or value == "" or (isinstance(value, str) and _MACRO.match(value.strip())):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise PayloadError("tags", "not a JSON list of tags") from None
    if not isinstance(value, list):
        raise PayloadError("tags", "a list of {\"tag\", \"value\"} is expected")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise PayloadError(f"tags[{index}]", "an object with tag and value is expected")
    return value
