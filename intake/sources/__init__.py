"""One module per monitoring source, each turning its payload into ``AlertSignal``s.

Every module has ``parse(payload: Payload, config: Mapping[str, Any]) -> list[AlertSignal]``
and raises ``intake.signals.PayloadError`` naming the field it could not read. ``config`` is
the integration's source settings (the generic source's JMESPath mapping; empty for the
others). A source that signs its requests also has ``verify(payload, secret) -> bool``.
"""

from collections.abc import Callable, Mapping
from typing import Any

from intake.signals import AlertSignal
from intake.sources import alertmanager, dattormm, generic, grafana, ninjaone, uptimekuma, zabbix
from intake.sources.base import Payload

Parser = Callable[[Payload, Mapping[str, Any]], list[AlertSignal]]
Verifier = Callable[[Payload, str], bool]

PARSERS: dict[str, Parser] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "uptimekuma": uptimekuma.parse,
    "zabbix": zabbix.parse,
    "ninjaone": ninjaone.parse,
    "dattormm": dattormm.parse,
    "generic": generic.parse,
}

# Sources that sign their requests with a shared secret.
VERIFIERS: dict[str, Verifier] = {
    "ninjaone": ninjaone.verify,
}
