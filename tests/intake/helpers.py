"""Building source payloads and sending them to Kalm's intake endpoint as a source would."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from intake.models import Integration


def am_alert(name: str, *, status: str = "firing", severity: str = "critical", component: str = "",
             summary: str = "", instance: str = "fs01:9100", starts: datetime | None = None,
             fingerprint: str | None = None, **labels: str) -> dict[str, Any]:
    """One alert as Alertmanager's webhook (payload version 4) carries it."""
    starts = starts or datetime.now(UTC)
    all_labels = {"alertname": name, "instance": instance, "severity": severity, **labels}
    if component:
        all_labels["component"] = component
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": summary or f"{name} on {instance}",
                        "description": f"{name} has been firing on {instance} (technical detail)"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else datetime.now(UTC).isoformat(),
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
        "fingerprint": fingerprint or f"{abs(hash((name, instance))):016x}"[:16],
    }


def am_payload(*alerts: dict[str, Any], group: str = '{}:{alertname="FileServerDown"}') -> dict[str, Any]:
    status = "firing" if any(alert["status"] == "firing" for alert in alerts) else "resolved"
    return {
        "version": "4", "groupKey": group, "truncatedAlerts": 0, "status": status, "receiver": "kalm",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def post(client: Client, integration: Integration, payload: Any, *, capture=None, **extra):
    """POST like the source: JSON body to the integration's address; on-commit work runs (``capture``)."""
    path = reverse("intake:receive", args=[integration.token])
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    if capture is None:
        return client.post(path, body, content_type="application/json", **extra)
    with capture(execute=True):
        return client.post(path, body, content_type="application/json", **extra)


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str  # the plain part, whitespace as single spaces
    language: str  # Content-Language


def mails_to(smtp, address: str) -> list[Mail]:
    """Each mail to ``address``, in arrival order."""
    found = []
    for mail in smtp.messages:
        if address in mail.rcpt_tos:
            message = mail.message
            found.append(Mail(str(message["Subject"]), " ".join(message.get_body(("plain",)).get_content().split()),
                              str(message["Content-Language"])))
    return found


def last_outcome(integration: Integration) -> dict[str, int]:
    """What the worker made of the integration's latest request (its record's counts)."""
    record = integration.requests.order_by("-received_at", "-pk").first()
    assert record is not None and record.state == "done", (record and (record.state, record.outcome))
    return record.counts
