"""A hand-built November 2026 for one customer in Europe/Amsterdam (UTC+1 all month), for the monthly tests.

Known answers (30 days = 2,592,000 s):

- File server: major outage 2 h (incident 1) → 100 × (1 − 7200/2592000) = 99.72 % (truncated);
  a drill's 5 h major outage on it is left out.
- ERP: partial outage 1 h (incident 2), counted half → 100 × (1 − 1800/2592000) = 99.93 %;
  its maintenance window (15 Nov) counts as up.
- Incidents of the month, in order: "Early" (31 Oct 23:30 UTC = 1 Nov 00:30 local), "Disk" (10 Nov),
  "ERP slow" (20 Nov). "Late" (30 Nov 23:30 UTC = 1 Dec 00:30 local) is December's; the drill is no one's.
- Acknowledged within 15 min: Early 5 min, Disk 10 min, ERP slow 25 min (missed): 2 of 3, median 10 min.
- Update intervals on time: Early 1/1, Disk 1/2 (100 min against 30), ERP slow 1/1: 3 of 4.
- Credits granted in November: Disk's 250.00 EUR (approved on 25 Nov); ERP slow's is only proposed, and
  Late's was approved in December. Open actions: "RAID-controller vervangen" (the other one is done).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from comms.models import Stakeholder
from followup.models import Compensation, RemediationAction
from incidents.models import (
    Component,
    ComponentChange,
    Customer,
    CustomerIncident,
    Incident,
    IncidentUpdate,
    Maintenance,
    UpdateKind,
)

NOVEMBER = date(2026, 11, 1)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def make_customer(slug: str = "acme", language: str = "nl") -> Customer:
    customer = Customer.objects.create(name="Acme Logistiek BV", slug=slug, incident_prefix="ACM", language=language,
                                       time_zone="Europe/Amsterdam")
    Customer.objects.filter(pk=customer.pk).update(created_at=at(1, 0, month=1))
    customer.refresh_from_db()
    return customer


def make_incident(customer: Customer, title: str, *, severity: str, timeline: list[tuple[datetime, str, dict]],
                  ack_after: timedelta | None, drill: bool = False) -> Incident:
    """``timeline``: (moment, status, {component: status}); the first entry opens, a "resolved" one resolves."""
    start = timeline[0][0]
    resolved = next((moment for moment, status, _ in timeline if status == "resolved"), None)
    incident = Incident.objects.create(
        title=title, category="server", severity=severity, status=timeline[-1][1], language=customer.language,
        started_at=start, detected_at=start, acknowledged_at=start + ack_after if ack_after else None,
        resolved_at=resolved, last_public_update_at=timeline[-1][0], is_drill=drill)
    number = f"ACM-{start:%Y%m%d}-{Incident.objects.count():03d}"
    CustomerIncident.objects.create(incident=incident, customer=customer, number=number)
    previous = ""
    for index, (moment, status, components) in enumerate(timeline):
        kind = UpdateKind.OPENED if index == 0 else UpdateKind.RESOLVED if status == "resolved" else UpdateKind.UPDATE
        update = IncidentUpdate.objects.create(incident=incident, kind=kind, message=f"{title}: {status}",
                                               status=status, previous_status=previous, severity=severity,
                                               created_at=moment)
        for component, component_status in components.items():
            ComponentChange.objects.create(update=update, component=component, status=component_status)
        previous = status
    return incident


def make_month(customer: Customer) -> dict:
    files = Component.objects.create(customer=customer, name="Bestandsserver", position=1,
                                     translations={"en": {"name": "File server"}})
    erp = Component.objects.create(customer=customer, name="ERP", position=2)
    early = make_incident(customer, "Early", severity="low", ack_after=timedelta(minutes=5), timeline=[
        (at(31, 23, 30, month=10), "investigating", {}), (at(1, 0, 0), "resolved", {})])
    disk = make_incident(customer, "Disk", severity="critical", ack_after=timedelta(minutes=10), timeline=[
        (at(10, 8), "investigating", {files: "major_outage"}), (at(10, 8, 20), "identified", {}),
        (at(10, 10), "resolved", {files: "operational"})])
    erp_slow = make_incident(customer, "ERP slow", severity="high", ack_after=timedelta(minutes=25), timeline=[
        (at(20, 14), "investigating", {erp: "partial_outage"}), (at(20, 15), "resolved", {erp: "operational"})])
    drill = make_incident(customer, "Drill", severity="critical", ack_after=timedelta(minutes=1), drill=True,
                          timeline=[(at(12, 8), "investigating", {files: "major_outage"}),
                                    (at(12, 13), "resolved", {files: "operational"})])
    late = make_incident(customer, "Late", severity="low", ack_after=timedelta(minutes=5), timeline=[
        (at(30, 23, 30), "investigating", {}), (at(1, 0, 0, month=12), "resolved", {})])
    window = Maintenance.objects.create(customer=customer, title="Firmware-update", starts_at=at(15, 2),
                                        ends_at=at(15, 3), status="completed", started_at=at(15, 2),
                                        completed_at=at(15, 2, 50), translations={"en": {"title": "Firmware update"}})
    window.components.set([erp])
    Compensation.objects.create(incident=disk, customer=customer, status="approved", proposed_amount=Decimal("300"),
                                amount=Decimal("250.00"), currency="EUR", reason="Twee uur uitval",
                                decided_at=at(25, 10))
    Compensation.objects.create(incident=erp_slow, customer=customer, status="proposed",
                                proposed_amount=Decimal("80"), currency="EUR")
    Compensation.objects.create(incident=late, customer=customer, status="approved", proposed_amount=Decimal("10"),
                                amount=Decimal("10"), currency="EUR", decided_at=at(2, 10, month=12))
    RemediationAction.objects.create(customer=customer, incident=disk, title="RAID-controller vervangen",
                                     owner_name="Jan", due_at=at(10, 12, month=12))
    RemediationAction.objects.create(customer=customer, incident=disk, title="Back-ups testen", due_at=at(20, 12),
                                     status="done", closed_at=at(21, 12))
    return {"files": files, "erp": erp, "early": early, "disk": disk, "erp_slow": erp_slow, "drill": drill,
            "late": late, "window": window}


def add_management(customer: Customer, *, email: str = "ceo@acme.example", language: str = "nl") -> Stakeholder:
    return Stakeholder.objects.create(customer=customer, name="Directie", role="management", audience="executive",
                                      language=language, email=email)
