"""An alert as a monitoring source reports it, in Kalm's words: the one shape every source module
(``intake.sources.<kind>``) turns its payload into, and the errors it raises for a body it cannot read."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from incidents.models import Severity

# The contract's severity words (README "Monitoring intake"): a source's own level → Kalm's.
SEVERITY_WORDS: dict[str, str] = {
    "critical": Severity.CRITICAL, "disaster": Severity.CRITICAL, "fatal": Severity.CRITICAL,
    "high": Severity.HIGH, "error": Severity.HIGH, "major": Severity.HIGH,
    "warning": Severity.MEDIUM, "warn": Severity.MEDIUM, "minor": Severity.MEDIUM, "average": Severity.MEDIUM,
    "moderate": Severity.MEDIUM, "medium": Severity.MEDIUM,
    "info": Severity.LOW, "information": Severity.LOW, "low": Severity.LOW,
}

MAX_TEXT = 500  # a title or description longer than this is cut (the source's, not a person's words)


class PayloadError(ValueError):
    """The body cannot be read as this source's payload: answered 400, naming ``field``."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class AlertSignal:
    """One alert firing or resolved.

    ``fingerprint`` identifies the alert at its source (Alertmanager's fingerprint, Zabbix's
    event id, Uptime Kuma's monitor id, …): a retry or a repeat carries the same one, so it
    never opens a second incident. ``group_key`` puts related alerts into one incident (""
    means the alert is its own group). ``labels`` are the alert's labels/tags (and ``host``)
    that mapping rules match on. ``severity`` is Kalm's level when the source said one
    (``severity_from``), else None: the integration's default applies.
    """

    fingerprint: str
    firing: bool
    title: str
    description: str = ""
    severity: str | None = None
    group_key: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    components: tuple[str, ...] = ()
    started_at: datetime | None = None
    ended_at: datetime | None = None
    url: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for moment in ("started_at", "ended_at"):
            data[moment] = data[moment].isoformat() if data[moment] else None
        data["components"] = list(self.components)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AlertSignal":
        moments = {key: datetime.fromisoformat(data[key]) if data.get(key) else None
                   for key in ("started_at", "ended_at")}
        return cls(**{**data, **moments, "components": tuple(data.get("components", ()))})


def severity_from(value: object) -> str | None:
    """Kalm's severity for a source's word (case-insensitive), or None when it is not one of them."""
    if not isinstance(value, str):
        return None
    return SEVERITY_WORDS.get(value.strip().lower())


_CONTROL = dict.fromkeys([*range(0, 32), *range(127, 160)], " ")


def clean_text(value: object, limit: int = MAX_TEXT) -> str:
    """A source's text made safe to show and send: a string, control characters (NUL included)
    as spaces, runs of whitespace as one, at most ``limit`` characters (cut with "…")."""
    if value is None:
        return ""
    text = " ".join(str(value).translate(_CONTROL).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_labels(value: object, *, limit: int = 64) -> dict[str, str]:
    """A source's labels/tags as at most ``limit`` short text pairs (a non-object gives none)."""
    if not isinstance(value, dict):
        return {}
    pairs = list(value.items())[:limit]
    return {clean_text(key, 100): clean_text(item, 200) for key, item in pairs if clean_text(key, 100)}
