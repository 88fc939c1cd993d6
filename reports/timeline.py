"""The report's timeline: detection, acknowledgment, every public update and status change,
escalations, regulatory filings, resolution and reopenings, oldest first.

Internal notes never appear (the report is shown to the customer). Call inside
``translation.override(customer.language)``: titles and status labels come out translated.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from comms.models import Audience, MessageKind
from core.formatting import Clock, label
from core.markdown import render_markdown
from core.texts import localized
from incidents.models import (
    ComponentStatus,
    DetectedBy,
    IncidentUpdate,
    RegulatoryClock,
    RegulatoryRegime,
    Severity,
    Status,
    UpdateKind,
)
from reports.facts import CommunicationRow, Scope

# A start this much before detection is worth its own line ("started 08:50, detected 09:30").
_SEPARATE_START = timedelta(minutes=1)


@dataclass(frozen=True)
class Entry:
    at: datetime
    when: str
    kind: str  # CSS class: started, detected, acknowledged, opened, update, holding, resolved, reopened, …
    title: str
    lines: tuple[str, ...] = ()
    message: SafeString | str = ""


def _titles() -> dict[str, str]:
    return {
        UpdateKind.OPENED: _("Incident opened: first message"),
        UpdateKind.UPDATE: _("Update"),
        UpdateKind.HOLDING: _("Holding update (automatic)"),
        UpdateKind.RESOLVED: _("Resolved"),
        UpdateKind.REOPENED: _("Reopened"),
        UpdateKind.CUSTOMER_ADDED: _("Added to this incident (shared outage)"),
    }


def timeline_entries(scope: Scope, updates: Iterable[IncidentUpdate], messages: Iterable[CommunicationRow],
                     clocks: Iterable[RegulatoryClock], *, acknowledged_at: datetime | None,
                     clock: Clock) -> list[Entry]:
    entries = [*_milestones(scope, acknowledged_at, clock), *_updates(scope, updates, clock),
               *_escalations(messages, clock), *_filings(clocks, clock)]
    return sorted(entries, key=lambda entry: entry.at)  # stable: milestones first at equal times


def _milestones(scope: Scope, acknowledged_at: datetime | None, clock: Clock) -> list[Entry]:
    incident = scope.incident
    entries = []
    if scope.first and incident.detected_at - incident.started_at >= _SEPARATE_START:
        entries.append(Entry(incident.started_at, clock.date_time(incident.started_at), "started",
                             _("The disruption started")))
    if scope.first:
        who = label(DetectedBy, incident.detected_by)
        entries.append(Entry(incident.detected_at, clock.date_time(incident.detected_at), "detected",
                             _("Detected by %(who)s") % {"who": who}))
    if acknowledged_at is not None:
        entries.append(Entry(acknowledged_at, clock.date_time(acknowledged_at), "acknowledged",
                             _("Acknowledgment sent")))
    return entries


def _updates(scope: Scope, updates: Iterable[IncidentUpdate], clock: Clock) -> list[Entry]:
    titles = _titles()
    entries = []
    for index, update in enumerate(updates):
        joining = index == 0 and not scope.first and update.kind == UpdateKind.CUSTOMER_ADDED
        lines = _changes(update)
        if update.is_internal and not joining:
            continue
        if not (update.message or lines or joining):
            continue
        entries.append(Entry(
            at=update.created_at, when=clock.date_time(update.created_at), kind=update.kind,
            title=titles.get(update.kind, _("Update")), lines=tuple(lines),
            message=render_markdown(localized(update, "message", scope.customer.language,
                                              written_in=scope.incident.language)) if update.is_public else "",
        ))
    return entries


def _changes(update: IncidentUpdate) -> list[str]:
    lines = []
    if update.status_changed:
        lines.append(_("Status: %(old)s → %(new)s") % {"old": label(Status, update.previous_status),
                                                        "new": label(Status, update.status)})
    if update.severity_changed:
        lines.append(_("Severity: %(old)s → %(new)s") % {"old": Severity.short_label(update.previous_severity),
                                                          "new": Severity.short_label(update.severity)})
    for change in getattr(update, "customer_changes", ()):
        previous = label(ComponentStatus, change.previous_status) if change.previous_status else _("not affected")
        lines.append(_("%(component)s: %(old)s → %(new)s") % {
            "component": change.component.name, "old": previous, "new": label(ComponentStatus, change.status)})
    return lines


def _escalations(messages: Iterable[CommunicationRow], clock: Clock) -> list[Entry]:
    """One entry per escalation (all audiences it reached), and per regulatory notice."""
    groups: dict[tuple[str, object], list[CommunicationRow]] = {}
    for row in messages:
        if row.kind in (MessageKind.ESCALATION, MessageKind.REGULATORY):
            key = (row.kind, row.update_id or row.at.replace(second=0, microsecond=0))
            groups.setdefault(key, []).append(row)
    entries = []
    for (kind, _key), rows in groups.items():
        audiences = ", ".join(dict.fromkeys(label(Audience, row.audience) for row in rows))
        title = (_("Escalation notice sent (%(audiences)s)") if kind == MessageKind.ESCALATION
                 else _("Regulatory notice sent (%(audiences)s)")) % {"audiences": audiences}
        entries.append(Entry(rows[0].at, clock.date_time(rows[0].at), "escalation", title,
                             tuple(dict.fromkeys(row.subject for row in rows))))
    return entries


def _filings(clocks: Iterable[RegulatoryClock], clock: Clock) -> list[Entry]:
    entries = []
    for each in clocks:
        if each.filed_at is None:
            continue
        lines = (_("Authority's reference: %(reference)s") % {"reference": each.reference},) if each.reference else ()
        entries.append(Entry(each.filed_at, clock.date_time(each.filed_at), "regulatory",
                             _("%(regime)s filed") % {"regime": label(RegulatoryRegime, each.regime)}, lines))
    return entries
