"""The monthly service report as HTML for WeasyPrint, in the customer's language and time zone.

Same branding, stylesheet and render process as the post-incident report: ``branding()``
and the cover's layout come from ``reports.document``, the PDF from ``reports.rendering.make_pdf``
(``reports.css``, the bounded child process). ``report_context`` turns ``MonthFacts`` into
plain strings inside ``translation.override(customer.language)``; the template only lays
them out.
"""

from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.formatting import Clock, format_moment
from core.texts import localized
from incidents.models import Customer, Severity, Status
from insight.monthly.facts import FollowupFacts, MonthFacts, month_facts
from reports import formatting
from reports.document import branding
from reports.pdf import PdfResult
from reports.rendering import make_pdf

TEMPLATE = "insight/service_report.html"


def build_html(customer: Customer, month: date, *, now: datetime | None = None) -> str:
    """The report's HTML for ``customer`` and ``month`` (its first day), in the customer's language."""
    now = now or timezone.now()
    with translation.override(customer.language):
        return render_to_string(TEMPLATE, report_context(month_facts(customer, month, now=now), now=now))


def render_pdf(customer: Customer, month: date, *, now: datetime | None = None) -> PdfResult:
    return make_pdf(build_html(customer, month, now=now))


def month_label(month: date, language: str) -> str:
    """ "December 2026", "december 2026", "Dezember 2026" (call inside the language's override)."""
    return format_moment(month, "month", language=language)


def report_context(facts: MonthFacts, *, now: datetime) -> dict[str, Any]:
    customer = facts.customer
    language = customer.language
    clock = Clock(tz=customer.tzinfo, now=now, language=language)
    return {
        "language": language,
        "brand": branding(),
        "cover": {
            "customer": customer.name,
            "month": month_label(facts.month, language),
            "start": clock.date_time(facts.start),
            "end": clock.date_time(facts.end),
            "zone": clock.local(facts.start).tzname() or customer.time_zone,
            "generated": clock.date_time(now),
            "running": facts.as_of < facts.end,
        },
        "overview": _overview(facts),
        "availability": [{
            "name": localized(item.component, "name", language, written_in=language),
            "percent": formatting.percent(item.percent, 2),
            "outage": formatting.duration(item.outage) if item.outage else "—",
            "major": formatting.duration(item.major) if item.major else "—",
        } for item in facts.availability],
        "incidents": [{
            "number": item.number,
            "title": localized(item.incident, "title", language, written_in=item.incident.language),
            "severity": Severity.short_label(item.incident.severity),
            "started": clock.date_time(item.started_at),
            "resolved": clock.date_time(item.resolved_at) if item.resolved_at else _("ongoing"),
            "status": str(dict(Status.choices).get(item.incident.status, item.incident.status)),
            "open_time": formatting.duration(item.open_time),
            "downtime": formatting.duration(item.downtime) if item.downtime else "—",
            "acknowledgment": formatting.acknowledgment_line(item.acknowledgment),
            "ack_missed": item.acknowledgment.met is False,
            "cadence": formatting.cadence_lines(item.cadence, clock)[0],
            "cadence_late": item.cadence.on_time < item.cadence.counted,
        } for item in facts.incidents],
        "maintenance": [{
            "title": window.title.in_language(language),
            "start": clock.date_time(window.window_start),
            "end": clock.date_time(window.completed_at),
            "components": ", ".join(ref.name.in_language(language) for ref in window.components) or "—",
        } for window in facts.maintenance],
        "followup": _followup(facts.followup, clock),
    }


def _overview(facts: MonthFacts) -> list[tuple[str, str]]:
    met, measured = facts.acknowledged_in_time
    on_time, counted = facts.updates_on_time
    by_severity = {}
    for item in facts.incidents:
        by_severity[item.incident.severity] = by_severity.get(item.incident.severity, 0) + 1
    severities = " · ".join(f"{Severity.short_label(value)} {by_severity[value]}"
                            for value in Severity.values if value in by_severity)
    rows = [(_("Incidents"), f"{len(facts.incidents)}" + (f" ({severities})" if severities else ""))]
    if measured:
        rows.append((_("Acknowledged within the contract target"),
                     _("%(met)d of %(count)d (%(percent)s)") % {
                         "met": met, "count": measured, "percent": formatting.percent(100 * met / measured)}))
        rows.append((_("Median time to acknowledge"), formatting.duration(facts.median_acknowledgment)))
    if counted:
        rows.append((_("Updates on time"), _("%(met)d of %(count)d (%(percent)s)") % {
            "met": on_time, "count": counted, "percent": formatting.percent(100 * on_time / counted)}))
    rows.append((_("Maintenance windows completed"), str(len(facts.maintenance))))
    return rows


def _followup(followup: FollowupFacts, clock: Clock) -> dict[str, Any]:
    language = clock.language
    return {
        "credits": [{
            "incident": localized(credit.incident, "title", language, written_in=credit.incident.language),
            "amount": f"{formatting.number(credit.amount if credit.amount is not None else credit.proposed_amount, 2)}"
                      f"\u00a0{credit.currency}",
            "decided": clock.date_time(credit.decided_at),
            "reason": credit.reason,
        } for credit in followup.credits],
        "actions": [{
            "title": action.title,
            "owner": action.owner.get_full_name() or action.owner.get_username() if action.owner else action.owner_name,
            "due": clock.date_time(action.due_at),
            "overdue": action.due_at < clock.now,
        } for action in followup.open_actions],
    }
