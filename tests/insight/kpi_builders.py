"""Small, explicit KPI fixtures: incidents with a hand-written timeline (minutes after the start).

``november(customer, other)`` builds the data set the KPI tests compute by hand; the values
it yields are listed in ``EXPECTED`` next to the reasoning for each.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from comms.models import Communication, Delivery
from followup.models import Compensation
from incidents.models import (
    Customer,
    CustomerIncident,
    Incident,
    IncidentUpdate,
    Maintenance,
    RegulatoryClock,
    Status,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=AMSTERDAM)
NOV_START = datetime(2026, 11, 1, tzinfo=AMSTERDAM)
DEC_START = datetime(2026, 12, 1, tzinfo=AMSTERDAM)


@dataclass(frozen=True)
class Entry:
    minute: int
    status: str
    severity: str
    public: bool = True


def incident(customer: Customer, *, title: str, started: datetime, severity: str, category: str = "server",
             ack: int | None = None, timeline: list[Entry], reopen_count: int = 0,
             summary_after_resolve: timedelta | None = None, is_drill: bool = False,
             number: str | None = None) -> Incident:
    """An incident whose facts follow its timeline (resolved at the last entry when that one resolves)."""
    last = timeline[-1]
    at = [started + timedelta(minutes=entry.minute) for entry in timeline]
    resolved_at = at[-1] if last.status == Status.RESOLVED else None
    public_times = [moment for moment, entry in zip(at, timeline, strict=True)
                    if entry.public and entry.status != Status.RESOLVED]
    item = Incident.objects.create(
        title=title, category=category, severity=last.severity, status=last.status, started_at=started,
        detected_at=started, acknowledged_at=None if ack is None else started + timedelta(minutes=ack),
        resolved_at=resolved_at, reopen_count=reopen_count, is_drill=is_drill,
        last_public_update_at=public_times[-1] if public_times else started,
        post_incident_sent_at=resolved_at + summary_after_resolve if resolved_at and summary_after_resolve else None,
    )
    CustomerIncident.objects.create(incident=item, customer=customer,
                                    number=number or f"{customer.incident_prefix}-{item.pk}")
    previous_status, previous_severity = timeline[0].status, timeline[0].severity
    for moment, entry in zip(at, timeline, strict=True):
        IncidentUpdate.objects.create(
            incident=item, kind="update", message="Update." if entry.public else "", is_internal=not entry.public,
            status=entry.status, previous_status=previous_status, severity=entry.severity,
            previous_severity=previous_severity, created_at=moment)
        previous_status, previous_severity = entry.status, entry.severity
    return item


def deliveries(item: Incident, customer: Customer, states: list[str]) -> None:
    message = Communication.objects.create(
        incident=item, customer=customer, kind="update", audience="technical", language="en", subject="Update",
        body_text="Update", body_html="<p>Update</p>", short_text="Update", send_at=item.started_at)
    Delivery.objects.bulk_create([
        Delivery(communication=message, channel="email", address=f"person{n}@example.com", state=state,
                 next_attempt_at=item.started_at)
        for n, state in enumerate(states)])


def clock(item: Incident, regime: str, *, deadline_hours: int, filed_hours: int | None) -> None:
    RegulatoryClock.objects.create(
        incident=item, regime=regime, started_at=item.started_at,
        deadline_at=item.started_at + timedelta(hours=deadline_hours),
        filed_at=None if filed_hours is None else item.started_at + timedelta(hours=filed_hours))


def maintenance(customer: Customer, *, starts: datetime, announced: datetime, status: str = "scheduled") -> None:
    window = Maintenance.objects.create(customer=customer, title="Patches", starts_at=starts,
                                        ends_at=starts + timedelta(hours=2), status=status)
    Maintenance.objects.filter(pk=window.pk).update(created_at=announced)  # auto_now_add: set the announcement


def credit(item: Incident, customer: Customer, *, status: str, proposed: str, amount: str | None,
           decided: datetime | None) -> None:
    Compensation.objects.create(incident=item, customer=customer, status=status, proposed_amount=Decimal(proposed),
                                amount=None if amount is None else Decimal(amount), currency="EUR",
                                decided_at=decided)


def november(customer: Customer, other: Customer) -> dict[str, Incident]:
    """Five incidents of ``customer`` in November 2026, a drill, one in October, one of ``other``.

    Contract defaults: acknowledgment 15 min; cadence critical 30, high 60, medium 120, low 240, monitoring 120.
    """
    day = datetime(2026, 11, 10, 9, 0, tzinfo=AMSTERDAM)
    made = {
        # gaps 20, 25, 15: all within 30 → 3 on time
        "a": incident(customer, title="A", started=day, severity="critical", ack=5,
                      summary_after_resolve=timedelta(hours=2),
                      timeline=[Entry(0, "investigating", "critical"), Entry(20, "identified", "critical"),
                                Entry(45, "identified", "critical"), Entry(60, "resolved", "critical")]),
        # an internal note at 70 is past the 60-minute promise: the gap 0→90 is late; 90→120 on time
        "b": incident(customer, title="B", started=day + timedelta(days=1), severity="high", ack=10,
                      summary_after_resolve=timedelta(hours=30),
                      timeline=[Entry(0, "investigating", "high"), Entry(70, "investigating", "high", public=False),
                                Entry(90, "identified", "high"), Entry(120, "resolved", "high")]),
        # lowered to low (240) by a note at 10: 0→100, 100→150 on time; 150→170 resolved (no gap); 170→240 on time
        "c": incident(customer, title="C", started=day + timedelta(days=2), severity="low", category="network", ack=20,
                      reopen_count=1,
                      timeline=[Entry(0, "investigating", "critical"), Entry(10, "investigating", "low", public=False),
                                Entry(100, "identified", "low"), Entry(150, "resolved", "low"),
                                Entry(170, "investigating", "low"), Entry(240, "resolved", "low")]),
        # 0→130 past 120 (late); monitoring medium = 120: 130→600 late
        "d": incident(customer, title="D", started=day + timedelta(days=3), severity="medium", ack=40,
                      timeline=[Entry(0, "investigating", "medium"), Entry(130, "monitoring", "medium"),
                                Entry(600, "resolved", "medium")]),
        # open, never acknowledged, silent since its start: one late gap still running
        "e": incident(customer, title="E", started=datetime(2026, 11, 28, 8, 0, tzinfo=AMSTERDAM), severity="low",
                      timeline=[Entry(0, "investigating", "low")]),
        "drill": incident(customer, title="Drill", started=day, severity="critical", ack=50, is_drill=True,
                          timeline=[Entry(0, "investigating", "critical"), Entry(500, "resolved", "critical")]),
        "october": incident(customer, title="October", started=datetime(2026, 10, 5, 9, 0, tzinfo=AMSTERDAM),
                            severity="high", ack=30,
                            timeline=[Entry(0, "investigating", "high"), Entry(90, "resolved", "high")]),
        "other": incident(other, title="Other", started=day, severity="critical", ack=1,
                          timeline=[Entry(0, "investigating", "critical"), Entry(30, "resolved", "critical")]),
    }
    deliveries(made["a"], customer, ["failed", "failed", "failed", "sent", "sent"])
    deliveries(made["drill"], customer, ["failed"])
    deliveries(made["other"], other, ["failed", "failed"])
    clock(made["a"], "gdpr", deadline_hours=72, filed_hours=10)
    clock(made["b"], "gdpr", deadline_hours=72, filed_hours=80)
    clock(made["c"], "nis2_early", deadline_hours=24, filed_hours=None)
    clock(made["e"], "nis2_final", deadline_hours=30 * 24, filed_hours=None)
    maintenance(customer, starts=datetime(2026, 11, 10, 22, 0, tzinfo=AMSTERDAM),
                announced=datetime(2026, 10, 1, tzinfo=AMSTERDAM))
    maintenance(customer, starts=datetime(2026, 11, 20, 22, 0, tzinfo=AMSTERDAM),
                announced=datetime(2026, 11, 18, tzinfo=AMSTERDAM))
    maintenance(customer, starts=datetime(2026, 11, 25, 22, 0, tzinfo=AMSTERDAM),
                announced=datetime(2026, 11, 1, tzinfo=AMSTERDAM), status="cancelled")
    credit(made["a"], customer, status="approved", proposed="150.00", amount="150.00",
           decided=datetime(2026, 11, 15, tzinfo=AMSTERDAM))
    credit(made["b"], customer, status="adjusted", proposed="80.00", amount="50.00",
           decided=datetime(2026, 11, 20, tzinfo=AMSTERDAM))
    credit(made["c"], customer, status="proposed", proposed="40.00", amount=None, decided=None)
    credit(made["drill"], customer, status="approved", proposed="999.00", amount="999.00",
           decided=datetime(2026, 11, 15, tzinfo=AMSTERDAM))
    credit(made["other"], other, status="approved", proposed="70.00", amount="70.00",
           decided=datetime(2026, 11, 15, tzinfo=AMSTERDAM))
    return made
