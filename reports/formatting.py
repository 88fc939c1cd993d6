"""The metrics as the report's sentences, in the active language (call inside ``translation.override``)."""

from datetime import timedelta
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formatting import Clock, duration_long, label
from incidents.models import RegulatoryRegime
from reports import metrics
from reports.facts import Metrics

_LATE_GAPS_SHOWN = 10


def duration(value: timedelta | None) -> str:
    """ "4 hours, 15 minutes"; "—" for no value (core.formatting: the same words as the e-mails)."""
    return duration_long(value)


def number(value: float | Decimal, decimals: int = 1) -> str:
    return number_format(value, decimal_pos=decimals)


def percent(value: float | Decimal, decimals: int = 1) -> str:
    """ "33,3 %" in Dutch and German, "33.3 %" in English; the space does not break."""
    return f"{number(value, decimals)}\u00a0%"


def _verdict(met: bool | None) -> str:
    return {True: _("met"), False: _("missed"), None: _("not acknowledged")}[met]


def acknowledgment_line(ack: metrics.Acknowledgment) -> str:
    if ack.elapsed is None:
        return _("Not acknowledged (target %(target)s).") % {"target": duration(ack.target)}
    return _("%(elapsed)s (contract target %(target)s): %(verdict)s.") % {
        "elapsed": duration(ack.elapsed), "target": duration(ack.target), "verdict": _verdict(ack.met)}


def cadence_lines(cadence: metrics.Cadence, clock: Clock) -> list[str]:
    if not cadence.counted:
        return [_("No intervals between public updates to measure.")]
    lines = [_("%(on_time)d of %(count)d intervals between public updates on time (%(percent)s).") % {
        "on_time": cadence.on_time, "count": cadence.counted, "percent": percent(cadence.on_time_percent or 0)}]
    longest = cadence.longest
    if longest is not None:
        lines.append(_("Longest silence: %(length)s, from %(start)s to %(end)s.") % {
            "length": duration(longest.length), "start": clock.date_time(longest.start),
            "end": clock.date_time(longest.end)})
    return lines


def late_gap_lines(cadence: metrics.Cadence, clock: Clock) -> list[str]:
    late = [gap for gap in cadence.gaps if gap.late]
    lines = [
        _("%(start)s – %(end)s: %(length)s without an update; promised every %(allowed)s.") % {
            "start": clock.date_time(gap.start), "end": clock.date_time(gap.end), "length": duration(gap.length),
            "allowed": duration(gap.allowed)}
        for gap in late[:_LATE_GAPS_SHOWN]
    ]
    if len(late) > _LATE_GAPS_SHOWN:
        lines.append(_("… and %(count)d more.") % {"count": len(late) - _LATE_GAPS_SHOWN})
    return lines


def outcome_label(outcome: str) -> str:
    return {
        "met": _("filed on time"),
        "late": _("filed after the deadline"),
        "overdue": _("not filed; the deadline has passed"),
        "running": _("not filed yet; the deadline has not passed"),
    }[outcome]


def notification_rows(notifications: list[metrics.Notification], clock: Clock) -> list[dict[str, str]]:
    return [{
        "regime": label(RegulatoryRegime, item.regime),
        "deadline": clock.date_time(item.deadline_at),
        "filed": clock.date_time(item.filed_at) or "—",
        "outcome": outcome_label(item.outcome),
        "met": {True: "met", False: "missed"}.get(item.met, "open"),
    } for item in notifications]


def credit_line(result: Metrics) -> str:
    if result.credit is None or result.credit_rate is None:
        return _("No service credits are defined in the contract.")
    return _("%(credit)s of the monthly fee (%(hours)s hours of downtime × %(rate)s per hour, at most %(cap)s).") % {
        "credit": percent(result.credit, 2), "hours": number(metrics.hours(result.total_downtime), 2),
        "rate": percent(result.credit_rate, 2), "cap": percent(100, 0)}


def metric_rows(result: Metrics, clock: Clock) -> list[tuple[str, list[str]]]:
    """(label, lines) for the metrics section."""
    resolution = result.resolution
    count = resolution.reopen_count
    reopen = (ngettext("Reopened once.", "Reopened %(count)d times.", count) % {"count": count} if count
              else _("Never reopened."))
    resolved = (duration(resolution.time_to_resolve) if resolution.time_to_resolve is not None
                else _("not resolved yet"))
    return [
        (_("Time to acknowledge"), [acknowledgment_line(result.acknowledgment)]),
        (_("Update intervals against the agreed cadence"), cadence_lines(result.cadence, clock)),
        (_("Time to detect"), [duration(resolution.time_to_detect)]),
        (_("Time to resolve"), [resolved]),
        (_("Time open"), [duration(resolution.open_time), reopen]),
        (_("Total downtime"), [duration(result.total_downtime)]),
        (_("Service credit"), [credit_line(result)]),
    ]
