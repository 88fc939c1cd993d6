"""Grafana (unified alerting, Grafana 9+) contact point of type "Webhook".

Documented at https://grafana.com/docs/grafana/latest/alerting/configure-notifications/
manage-contact-points/integrations/webhook-notifier/: Alertmanager's webhook body (see
``intake.sources.alertmanager``; ``version`` "1" here) plus ``orgId``, ``title``, ``state`` and
``message`` at the top and, per alert, ``dashboardURL``, ``panelURL``, ``silenceURL``,
``values`` (Grafana 9.1+) and ``valueString``. Each alert is read by Alertmanager's own code;
only the link and the description's fallback differ.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from intake.signals import AlertSignal, clean_text
from intake.sources.alertmanager import alert_list, group_key_of, read_alert
from intake.sources.base import Payload, clean_url, json_object


def parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]:
    """One signal per alert, grouped by the notification's ``groupKey``."""
    data = json_object(payload)
    group_key = group_key_of(data)
    signals = []
    for index, alert in enumerate(alert_list(data)):
        signal = read_alert(alert, index, group_key)  # validates ``alert`` as an object
        if not is_test_notification(signal):
            signals.append(_with_grafana_fields(signal, alert))
    return signals


def is_test_notification(signal: AlertSignal) -> bool:
    """The contact point's "Test" button sends a made-up alert (alertname TestAlert, instance Grafana):
    it proves the address works and must not open an incident."""
    return signal.labels.get("alertname") == "TestAlert" and signal.labels.get("instance") == "Grafana"


def _with_grafana_fields(signal: AlertSignal, alert: dict[str, Any]) -> AlertSignal:
    """The panel (else dashboard) the rule belongs to is where a person looks first; the rule's
    edit page (``generatorURL``) is the fallback. Without a description annotation, the values
    that fired the rule (``valueString``) say what happened."""
    url = clean_url(alert.get("panelURL")) or clean_url(alert.get("dashboardURL")) or signal.url
    description = signal.description
    if not description and isinstance(alert.get("valueString"), str):
        description = clean_text(alert["valueString"])
    return dataclasses.replace(signal, url=url, description=description)
