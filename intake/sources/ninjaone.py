"""NinjaOne (NinjaRMM) webhook activity notifications.

Documented in NinjaOne's "Public API v2 – Webhooks" (the API documentation of each instance,
e.g. https://app.ninjarmm.com/apidocs/, and its webhook.yaml): activities are POSTed as the API's
Activity object, ``{"id", "activityTime" (epoch seconds, may carry a fraction), "deviceId",
"severity": NONE|MINOR|MODERATE|MAJOR|CRITICAL, "priority": NONE|LOW|MEDIUM|HIGH, "seriesUid"
(the job's or condition's series), "activityType", "statusCode", "status", "activityResult",
"sourceConfigUid", "sourceName", "subject", "userId", "message", "type", "data", "device"}``
(``device`` only when the webhook is configured to expand it).

Alerts are ``CONDITION`` activities: ``statusCode`` TRIGGERED when a policy condition fires,
RESET when it clears. Every other activity (jobs, patching, logins, …) is ignored. One
condition's TRIGGERED and RESET share their ``seriesUid``: that is the fingerprint.
"""

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from intake.signals import AlertSignal, PayloadError, clean_labels, clean_text, severity_from
from intake.sources.base import Payload, json_object, key_text, optional_object, parse_time, scalar_text, short_key

TRIGGERED = frozenset({"TRIGGERED"})
CLEARED = frozenset({"RESET", "CLEARED", "RESOLVED"})
SIGNATURE_HEADER = "x-ninja-signature"


def parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]:
    """A signal for a condition triggering or resetting; none for any other activity."""
    data = json_object(payload)
    kind = scalar_text(data.get("activityType"), "activityType").upper()
    status = scalar_text(data.get("statusCode"), "statusCode").upper()
    if kind != "CONDITION" or status not in TRIGGERED | CLEARED:
        return []
    firing = status in TRIGGERED
    device = optional_object(data.get("device"), "device")
    at = parse_time(data.get("activityTime"), "activityTime")
    return [
        AlertSignal(
            fingerprint=_fingerprint(data),
            firing=firing,
            title=_title(data, device),
            description=clean_text(scalar_text(data.get("message"), "message")),
            severity=severity_from(data.get("severity")),
            labels=_labels(data, device),
            started_at=at if firing else None,
            ended_at=None if firing else at,
        )
    ]


def verify(payload: Payload, secret: str) -> bool:
    """Whether the request carries the HMAC-SHA256 (hex, of the raw body, keyed with the
    integration's secret) in ``X-Ninja-Signature``, with or without a ``sha256=`` prefix;
    compared in constant time.

    NinjaOne's public webhook documentation describes the body and the configuration (URL,
    activities, custom headers) but no signature scheme, so this is Kalm's own convention: set
    a secret only when the request reaches Kalm through something that signs it this way (a
    relay, an automation platform). Without a secret, the URL's token is the authentication.
    """
    if not secret:
        return False
    given = payload.headers.get(SIGNATURE_HEADER, "").strip()
    if given[:7].lower() == "sha256=":
        given = given[7:]
    expected = hmac.new(secret.encode(), payload.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def _fingerprint(data: dict[str, Any]) -> str:
    """The condition's series; without one, the device and the condition's name (what a
    series stands for), so a TRIGGERED and its RESET still meet."""
    series = key_text(data.get("seriesUid"), "seriesUid")
    if series:
        return series
    device_id = key_text(data.get("deviceId"), "deviceId")
    source = key_text(data.get("sourceName"), "sourceName")
    if not device_id and not source:
        raise PayloadError("seriesUid", "missing, and no deviceId or sourceName to derive it from")
    return short_key(f"device:{device_id}:{source}")


def _title(data: dict[str, Any], device: dict[str, Any]) -> str:
    """The activity's subject (else its message, else the condition's name), after the device's
    name when the webhook expands the device: an MSP reads "which machine" first."""
    what = next(
        (text for key in ("subject", "message", "sourceName") if (text := clean_text(scalar_text(data.get(key), key)))),
        "NinjaOne condition",
    )
    name = _device_name(device)
    return clean_text(f"{name}: {what}") if name else what


def _device_name(device: dict[str, Any]) -> str:
    """The name NinjaOne shows for a device: its display name, else its system or DNS name."""
    for key in ("displayName", "systemName", "dnsName"):
        name = clean_text(scalar_text(device.get(key), f"device.{key}"), 200)
        if name:
            return name
    return ""


def _labels(data: dict[str, Any], device: dict[str, Any]) -> dict[str, str]:
    """What mapping rules match on: the device (id, name, organization), the condition's name
    and the priority NinjaOne gave it."""
    labels = {
        "device_id": scalar_text(data.get("deviceId"), "deviceId"),
        "host": _device_name(device),
        "organization_id": scalar_text(device.get("organizationId"), "device.organizationId"),
        "source": scalar_text(data.get("sourceName"), "sourceName"),
        "priority": scalar_text(data.get("priority"), "priority"),
        "severity": scalar_text(data.get("severity"), "severity"),
    }
    for level in ("priority", "severity"):
        if labels[level].upper() == "NONE":
            labels[level] = ""
    return clean_labels({key: value for key, value in labels.items() if value})
