"""Test this payload: what Kalm would make of a body, without storing or sending anything."""

from dataclasses import dataclass
from typing import Any

from incidents.models import Component
from intake.mapping import Target, target_for
from intake.models import Integration
from intake.signals import AlertSignal, PayloadError
from intake.sources import PARSERS
from intake.sources.base import Payload


@dataclass(frozen=True)
class Reading:
    signal: AlertSignal
    target: Target
    components: list[Component]


@dataclass(frozen=True)
class Preview:
    readings: list[Reading]
    error: PayloadError | None = None


def preview(integration: Integration, body: str, *, mapping: dict[str, Any] | None = None) -> Preview:
    """The alerts ``body`` holds for this integration (with ``mapping`` instead of the stored one), and
    where each would go; or the error the source would answer with."""
    payload = Payload(body=body.encode(), content_type="application/json")
    try:
        signals = PARSERS[integration.kind](payload, integration.mapping if mapping is None else mapping)
    except PayloadError as error:
        return Preview([], error)
    rules = list(integration.rules.prefetch_related("customers"))
    readings = []
    for signal in signals[:50]:
        target = target_for(integration, signal, rules)
        readings.append(Reading(signal, target, list(Component.objects.filter(pk__in=target.component_ids))))
    return Preview(readings)
