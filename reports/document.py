"""Everything the report shows, as plain strings already translated and in the customer's zone.

``report_context`` runs inside ``translation.override(customer.language)`` (see
``reports.rendering.build_html``); the template only lays the values out. User-written
texts are Markdown, rendered and sanitised by ``core.markdown`` here, never in the template.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from comms.models import Audience, Channel, CommunicationState, DeliveryState, MessageKind
from core.formatting import Clock, label
from core.markdown import render_markdown
from followup.models import CompensationStatus
from incidents.models import ComponentStatus, Customer, Incident, Language, Severity, Status
from incidents.visibility import Visibility, texts_for
from reports import facts, formatting
from reports.models import DataLost, PostIncidentReview
from reports.summary import draft_summary
from reports.timeline import timeline_entries

LAYOUTS = ("blocks", "tables")
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")
_DAY_FORMATS = {"en": "j M Y", "nl": "d-m-Y", "de": "d.m.Y"}
_DEFAULT_COLOR = "#1f5fbf"


@dataclass(frozen=True)
class Branding:
    msp: str
    color: str
    logo_path: str | None  # an existing file, or None

    @property
    def logo_uri(self) -> str | None:
        return Path(self.logo_path).as_uri() if self.logo_path else None


def branding() -> Branding:
    color = settings.KALM_BRAND_COLOR if _HEX_COLOR.match(settings.KALM_BRAND_COLOR or "") else _DEFAULT_COLOR
    logo = getattr(settings, "KALM_LOGO_PATH", None)
    logo_path = str(Path(logo).resolve()) if logo and Path(logo).is_file() else None
    return Branding(msp=settings.KALM_MSP_NAME, color=color, logo_path=logo_path)


def day(value: date, language: str) -> str:
    return date_format(value, _DAY_FORMATS.get(language, _DAY_FORMATS["en"]))


def report_context(incident: Incident, customer: Customer, *, review: PostIncidentReview | None,
                   version: int | None = None, layout: str = "blocks", now: datetime | None = None) -> dict[str, Any]:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    scope = facts.scope_for(incident, customer, now=now)
    language = customer.language
    clock = Clock(tz=customer.tzinfo, now=scope.now, language=language)
    updates = facts.timeline_updates(scope)
    points = facts.points(scope, updates)
    changes = facts.component_changes(scope)
    clocks = facts.regulatory_clocks(scope)
    messages = facts.communication_rows(scope)
    credit_rate = review.sla_credit_percent_per_hour if review else None
    result = facts.compute_metrics(scope, timeline=points, changes=changes, clocks=clocks, credit_rate=credit_rate)
    _start, acknowledged_at = facts.acknowledgment_window(scope)
    return {
        "language": language,
        "layout": layout,
        "brand": branding(),
        "cover": _cover(scope, clock, version),
        "summary": render_markdown(review.management_summary if review and review.management_summary.strip()
                                   else draft_summary(incident, customer, review)),
        "timeline": timeline_entries(scope, updates, messages, clocks, acknowledged_at=acknowledged_at, clock=clock),
        "impact": _impact(incident, customer, result, review),
        "analysis": _analysis(incident, customer, review),
        "log": _log(messages, clock),
        "playbook": facts.playbook_rows(scope, clock),
        "followup": _followup(facts.follow_up(scope), clock),
        "metrics": {
            "rows": formatting.metric_rows(result, clock),
            "late_gaps": formatting.late_gap_lines(result.cadence, clock),
            "notifications": formatting.notification_rows(result.notifications, clock),
        },
    }


def _texts(incident: Incident, customer: Customer) -> dict[str, str]:
    """The incident's texts the customer's contacts may read (incidents.visibility), in the customer's language."""
    return texts_for(incident, reader=Visibility.CONTACTS, language=customer.language)


def _cover(scope: facts.Scope, clock: Clock, version: int | None) -> dict[str, Any]:
    incident = scope.incident
    return {
        "number": scope.number,
        "title": _texts(incident, scope.customer)["title"],
        "customer": scope.customer.name,
        "language_name": label(Language, scope.customer.language),
        "severity": Severity.short_label(incident.severity),
        "status": label(Status, incident.status),
        "resolved": incident.resolved_at is not None,
        "start": clock.date_time(incident.started_at),
        "end": clock.date_time(incident.resolved_at) if incident.resolved_at else _("ongoing"),
        "zone": clock.local(incident.started_at).tzname() or scope.customer.time_zone,
        "generated": clock.date_time(scope.now),
        "version": version,
    }


def _impact(incident: Incident, customer: Customer, result: facts.Metrics,
            review: PostIncidentReview | None) -> dict[str, Any]:
    return {
        "components": [{
            "name": item.component,
            "worst": label(ComponentStatus, item.worst),
            "outage": formatting.duration(item.outage),
            "major": formatting.duration(item.major) if item.major else "—",
        } for item in result.downtime],
        "total_downtime": formatting.duration(result.total_downtime),
        "business_impact": render_markdown(_texts(incident, customer)["business_impact"]),
        "data_lost": label(DataLost, review.data_lost if review else DataLost.UNKNOWN),
        "personal_data": incident.personal_data_involved,
        "external_impact": incident.external_impact,
    }


def _markdown(text: str) -> SafeString:
    return render_markdown(text) if text and text.strip() else SafeString("")


def _analysis(incident: Incident, customer: Customer, review: PostIncidentReview | None) -> dict[str, Any]:
    actions = list(review.actions.all()) if review and review.pk else []
    texts = _texts(incident, customer)
    language = customer.language
    return {
        "root_cause": _markdown(review.root_cause if review and review.root_cause.strip() else texts["root_cause"]),
        "resolution": _markdown(texts["resolution_summary"]),
        "workaround": _markdown(texts["workaround"]),
        "preventive_measures": _markdown(review.preventive_measures if review else ""),
        "lessons_learned": _markdown(review.lessons_learned if review else ""),
        "actions": [{"description": action.description, "owner": action.owner,
                     "due": day(action.due_date, language)} for action in actions],
    }


def _followup(follow: facts.FollowUp, clock: Clock) -> dict[str, Any]:
    """The credit decision (undecided: not shown) and the customer's open actions, overdue ones marked."""
    credit = follow.compensation
    decided = credit is not None and credit.is_decided
    return {
        "credit": {
            "status": label(CompensationStatus, credit.status),
            "amount": f"{number_format(credit.amount or 0, 2, use_l10n=True)} {credit.currency}",
            "proposed": f"{number_format(credit.proposed_amount, 2, use_l10n=True)} {credit.currency}",
            "adjusted": credit.status == CompensationStatus.ADJUSTED,
            "declined": credit.status == CompensationStatus.DECLINED,
            "reason": credit.reason,
            "decided": clock.date_time(credit.decided_at),
        } if decided else None,
        "actions": [{"title": action.title, "owner": action.owner_label, "due": clock.date_time(action.due_at),
                     "overdue": action.due_at < clock.now} for action in follow.actions],
    }


def _counts(counts: dict[str, int], choices: type) -> str:
    return " · ".join(f"{label(choices, key)} {value}" for key, value in sorted(counts.items()))


def _log(messages: list[facts.CommunicationRow], clock: Clock) -> dict[str, Any]:
    rows = []
    outcomes: dict[str, int] = {}
    for row in messages:
        for state, count in row.outcomes.items():
            outcomes[state] = outcomes.get(state, 0) + count
        rows.append({
            "when": clock.date_time(row.at),
            "kind": label(MessageKind, row.kind),
            "audience": label(Audience, row.audience),
            "language": row.language.upper(),
            "subject": row.subject,
            "channels": _counts(row.channels, Channel) or "—",
            "recipients": row.recipients,
            "outcome": _counts(row.outcomes, DeliveryState) or label(CommunicationState, row.state),
            "failed": bool(row.outcomes.get(DeliveryState.FAILED)),
            "automatic": row.automatic,
        })
    return {"rows": rows, "messages": len(rows), "deliveries": sum(outcomes.values()),
            "outcomes": _counts(outcomes, DeliveryState)}
