"""Uptime Kuma's "Webhook" notification.

Its sender is server/notification-providers/webhook.js (louislam/uptime-kuma): a POST of
``{"heartbeat": <Heartbeat.toJSON()>, "monitor": <Monitor.toJSON()>, "msg": "<text>"}`` as JSON
(content type "application/json"), or, with content type "form-data", a multipart form whose
``data`` field holds that same JSON as text. The heartbeat (server/model/heartbeat.js) is
``{monitorID, status, time, msg, ping, important, duration}``, ``status`` 0 down, 1 up,
2 pending, 3 maintenance, ``time`` UTC as "YYYY-MM-DD HH:MM:SS.mmm". The notification test
sends only ``msg`` (heartbeat and monitor null).

A monitor is one alert: its fingerprint is the monitor's id, so "down" opens the incident and
the next "up" resolves it.
"""

import json
from collections.abc import Mapping
from typing import Any

from intake.signals import AlertSignal, PayloadError, clean_labels, clean_text
from intake.sources.base import (
    Payload,
    as_object,
    clean_url,
    component_names,
    form_fields,
    is_form,
    json_object,
    key_text,
    optional_object,
    parse_time,
    short_key,
    tag_pairs,
)

DOWN, UP, PENDING, MAINTENANCE = 0, 1, 2, 3
IMPORTANT = (True, 1, "1", "true")  # SQLite hands booleans back as 0/1


def parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]:
    """A signal for an important down or up beat; nothing for a test, a pending or maintenance
    beat, or an unimportant one (Uptime Kuma notifies on state changes only, and marks them
    ``important``: a beat without the mark is not a change, whatever else it says)."""
    data = _body(payload)
    if data.get("heartbeat") is None:
        return []  # the notification test, or a notice that is not about a beat
    heartbeat = as_object(data["heartbeat"], "heartbeat")
    monitor = optional_object(data.get("monitor"), "monitor")
    status = _status(heartbeat.get("status"))
    if heartbeat.get("important") not in IMPORTANT or status not in (DOWN, UP):
        return []
    return [_signal(heartbeat, monitor, firing=status == DOWN, summary=data.get("msg"))]


def _body(payload: Payload) -> dict[str, Any]:
    """The JSON object, sent as the body or (content type "form-data") as the form's ``data``."""
    if not is_form(payload):
        return json_object(payload)
    fields = form_fields(payload)
    if "data" not in fields:
        raise PayloadError("data", "the form has no data field")
    try:
        data = json.loads(fields["data"])
    except ValueError as error:
        raise PayloadError("data", f"not JSON ({error})") from None
    return as_object(data, "data")


def _status(value: object) -> int:
    """The beat's status: 0, 1, 2 or 3 (as a number, or as text from a custom body)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in (DOWN, UP, PENDING, MAINTENANCE):
        return value
    raise PayloadError("heartbeat.status", "0 (down), 1 (up), 2 (pending) or 3 (maintenance) expected")


def _signal(heartbeat: dict[str, Any], monitor: dict[str, Any], *, firing: bool, summary: object) -> AlertSignal:
    """The monitor's state change as a signal: the beat's time is when it went down (or up)."""
    monitor_id = key_text(monitor.get("id"), "monitor.id")
    monitor_id = monitor_id or key_text(heartbeat.get("monitorID"), "heartbeat.monitorID")
    if not monitor_id:
        raise PayloadError("monitor.id", "missing (and no heartbeat.monitorID)")
    name = clean_text(monitor.get("name"), 200) or f"Monitor {monitor_id}"
    message = clean_text(heartbeat.get("msg")) or clean_text(summary)
    at = parse_time(heartbeat.get("time"), "heartbeat.time")
    labels = _labels(monitor, monitor_id)
    return AlertSignal(
        fingerprint=short_key(f"monitor:{monitor_id}"),
        firing=firing,
        title=clean_text(f"{name} is {'down' if firing else 'up'}" + (f": {message}" if message else "")),
        description=message,
        severity=None,  # Uptime Kuma has no levels: the integration's default applies
        labels=labels,
        components=component_names(labels.get("component")),
        started_at=at if firing else None,
        ended_at=None if firing else at,
        url=clean_url(monitor.get("url")),
    )


def _labels(monitor: dict[str, Any], monitor_id: str) -> dict[str, str]:
    """The monitor's tags (name → value) plus what rules commonly match on: its id, name, type
    and the host it checks."""
    labels = tag_pairs(monitor.get("tags"))
    facts = {"monitor_id": monitor_id, "monitor": monitor.get("name"), "type": monitor.get("type"),
             "host": monitor.get("hostname")}
    labels.update({key: str(value) for key, value in facts.items() if isinstance(value, str | int) and value != ""})
    return clean_labels(labels)
