"""Prometheus Alertmanager's webhook (``webhook_configs``), payload version 4.

Documented at https://prometheus.io/docs/alerting/latest/configuration/#webhook_config: one
POST per notification of an alert group, ``{"version": "4", "groupKey", "truncatedAlerts",
"status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL",
"alerts": [{"status": "firing"|"resolved", "labels", "annotations", "startsAt", "endsAt",
"generatorURL", "fingerprint"}]}``. Each alert becomes one ``AlertSignal``; the group's
``groupKey`` groups them into one incident.

Grafana's unified alerting sends the same shape (``intake.sources.grafana``), so the per-alert
reading here (``alert_list``, ``read_alert``) is shared with it.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from intake.signals import AlertSignal, PayloadError, clean_labels, clean_text, severity_from
from intake.sources.base import (
    Payload,
    as_list,
    clean_url,
    component_names,
    json_object,
    key_text,
    optional_object,
    parse_time,
)

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time: Alertmanager's "not set" for endsAt (and startsAt)
STATUSES = {"firing": True, "resolved": False}


def parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]:
    """One signal per alert of the notification; an empty ``alerts`` list gives none."""
    data = json_object(payload)
    group_key = group_key_of(data)
    return [read_alert(alert, index, group_key) for index, alert in enumerate(alert_list(data))]


def alert_list(data: dict[str, Any]) -> list[Any]:
    """The payload's ``alerts``: required, a list (Alertmanager always sends one)."""
    if "alerts" not in data:
        raise PayloadError("alerts", "missing")
    return as_list(data["alerts"], "alerts")


def group_key_of(data: dict[str, Any]) -> str:
    """The group's key (``groupKey``): the alerts of one Alertmanager group share one incident."""
    return key_text(data.get("groupKey"), "groupKey")


def read_alert(alert: object, index: int, group_key: str) -> AlertSignal:
    """One alert of the ``alerts`` list as a signal; fields named ``alerts[<index>].<key>``."""
    where = f"alerts[{index}]"
    if not isinstance(alert, dict):
        raise PayloadError(where, "an object is expected")
    labels = optional_object(alert.get("labels"), f"{where}.labels")
    annotations = optional_object(alert.get("annotations"), f"{where}.annotations")
    firing = _firing(alert.get("status"), f"{where}.status")
    fingerprint = _fingerprint(alert.get("fingerprint"), labels, f"{where}.fingerprint")
    return AlertSignal(
        fingerprint=fingerprint,
        firing=firing,
        title=title_of(annotations, labels) or f"Alert {fingerprint}",
        description=clean_text(_text(annotations.get("description"))),
        severity=severity_from(labels.get("severity")),
        group_key=group_key,
        labels=clean_labels(labels),
        components=component_names(labels.get("component")),
        started_at=go_time(alert.get("startsAt"), f"{where}.startsAt"),
        ended_at=None if firing else go_time(alert.get("endsAt"), f"{where}.endsAt"),
        url=clean_url(alert.get("generatorURL")),
    )


def title_of(annotations: dict[str, Any], labels: dict[str, Any]) -> str:
    """What a person reads first: the ``summary`` annotation (the convention of Prometheus'
    alerting rules), else the ``description``, else the rule's name and the instance it fired on."""
    for text in (annotations.get("summary"), annotations.get("description")):
        if clean_text(_text(text)):
            return clean_text(_text(text))
    name, instance = clean_text(_text(labels.get("alertname"))), clean_text(_text(labels.get("instance")))
    return clean_text(f"{name} on {instance}") if name and instance else name or instance


def go_time(value: object, field_name: str) -> datetime | None:
    """A time as Alertmanager writes it; its zero time (year 1) means "not set", not an absurd date."""
    if isinstance(value, str) and value.startswith("0001-01-01"):
        return None
    return parse_time(value, field_name)


def _firing(value: object, field_name: str) -> bool:
    """``status`` is ``firing`` or ``resolved``; anything else is a body we do not understand."""
    if not isinstance(value, str) or value.lower() not in STATUSES:
        raise PayloadError(field_name, "'firing' or 'resolved' expected")
    return STATUSES[value.lower()]


def _fingerprint(value: object, labels: dict[str, Any], field_name: str) -> str:
    """Alertmanager's own fingerprint (a hash of the labels); an older sender without one gets
    the same kind: a stable hash of the sorted labels, so its repeats still match."""
    fingerprint = key_text(value, field_name)
    if fingerprint:
        return fingerprint
    if not labels:
        raise PayloadError(field_name, "missing, and no labels to derive it from")
    canonical = json.dumps(sorted((str(key), str(item)) for key, item in labels.items()))
    return "labels:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _text(value: object) -> str:
    """An annotation or label value as text (a number is shown as one; an object or list is not text)."""
    return "" if isinstance(value, dict | list) or value is None else str(value)
