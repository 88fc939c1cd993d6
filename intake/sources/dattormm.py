"""Datto RMM monitor webhooks.

Datto RMM has no fixed webhook body: in a monitor's (or the account's Global) webhook settings
the user writes the body, with placeholder variables that Datto fills in, and a second body for
when the alert is resolved (https://rmm.datto.com/help/en/Content/3NEWUI/Monitors/Webhooks.htm).
Kalm expects these two bodies (docs/intake-sources.md), identical but for ``event``::

    {"event": "raised", "alertUid": "[alert_uid]", "priority": "[alert_priority]",
     "message": "[alert_message]", "hostname": "[device_hostname]", "site": "[site_name]",
     "url": "[platform_url]"}

and, optionally, ``"category": "[alert_category]"`` and ``"component": "<Kalm component
names, comma-separated>"``. The alert's uid is the fingerprint, so "resolved" closes what
"raised" opened. A value that is still a placeholder (Datto's test sends them unfilled, and a
variable Datto does not know stays as typed) is read as missing; a test is answered with no signal.
"""

import re
from collections.abc import Mapping
from typing import Any

from intake.signals import AlertSignal, PayloadError, clean_labels, clean_text, severity_from
from intake.sources.base import Payload, clean_url, component_names, json_object, scalar_text, short_key

EVENTS = {"raised": True, "resolved": False}
_PLACEHOLDER = re.compile(r"^\[[A-Za-z0-9_]+\]$")  # e.g. [alert_uid], not filled in


def parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]:
    """One signal for an alert raised or resolved; none for Datto's test of the webhook."""
    data = json_object(payload)
    firing = _firing(_value(data, "event"))
    if _PLACEHOLDER.match(scalar_text(data.get("alertUid"), "alertUid")):
        return []  # the webhook test: every variable still a placeholder
    uid = short_key(_value(data, "alertUid"))
    if not uid:
        raise PayloadError("alertUid", "missing")
    message = clean_text(_value(data, "message"))
    hostname = clean_text(_value(data, "hostname"), 200)
    labels = {"host": hostname, "site": _value(data, "site"), "category": _value(data, "category"),
              "priority": _value(data, "priority")}
    return [
        AlertSignal(
            fingerprint=short_key(f"alert:{uid}"),
            firing=firing,
            title=_title(message, hostname),
            description=message,
            severity=severity_from(_value(data, "priority")),  # Critical, High, Moderate, Low, Information
            labels=clean_labels({key: value for key, value in labels.items() if value}),
            components=component_names(_value(data, "component")),
            url=clean_url(_value(data, "url")),
        )
    ]


def _value(data: dict[str, Any], key: str) -> str:
    """A variable's value as text; "" when missing, blank, or a placeholder Datto did not fill."""
    text = scalar_text(data.get(key), key)
    return "" if _PLACEHOLDER.match(text) else text


def _firing(event: str) -> bool:
    """``event``: "raised" in the alert body, "resolved" in the resolution body."""
    if event.lower() not in EVENTS:
        raise PayloadError("event", "'raised' or 'resolved' expected")
    return EVENTS[event.lower()]


def _title(message: str, hostname: str) -> str:
    """Which device, then what: Datto's alert messages rarely name the device themselves."""
    if message and hostname:
        return clean_text(f"{hostname}: {message}")
    return message or (f"Datto RMM alert on {hostname}" if hostname else "Datto RMM alert")
