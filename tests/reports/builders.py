"""Incidents of a given size, written with bulk inserts: for the huge-incident test and bench/report.py.

``make_incident(updates=300, deliveries=3000)`` is a resolved critical incident with an
update every 20 minutes (severity and status moving, components changing every tenth
update), two Communications per update (technical and executive) and the deliveries
spread evenly over them, most sent, some failed, some superseded by a later message.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from comms.models import Communication, CommunicationState, Delivery, DeliveryState, Stakeholder
from incidents.models import (
    AffectedComponent,
    Component,
    ComponentChange,
    Customer,
    CustomerIncident,
    Incident,
    IncidentUpdate,
    UpdateKind,
)

START = datetime(2025, 5, 31, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
STEP = timedelta(minutes=20)
MESSAGE = ("We are replacing the failed disk in the file server's RAID array; the **ERP** is back for most users. "
           "Next steps: rebuild the array, verify the backups, and check every share. Update {n} of the day.")
STATUSES = ["investigating", "identified", "monitoring"]
COMPONENT_CYCLE = ["major_outage", "partial_outage", "degraded_performance", "operational"]


def make_customer(slug: str = "bench", language: str = "en") -> Customer:
    return Customer.objects.create(name="Bench Manufacturing BV", slug=slug, incident_prefix="BEN", language=language,
                                   time_zone="Europe/Amsterdam")


def make_incident(customer: Customer, *, updates: int, deliveries: int, components: int = 4) -> Incident:
    parts = [Component.objects.create(customer=customer, name=f"Service {n + 1}", position=n)
             for n in range(components)]
    end = START + STEP * (updates - 1)
    incident = Incident.objects.create(
        title="File server and ERP outage", category="server", severity="critical", status="resolved",
        business_impact="Production planning and shared files are unavailable.", workaround="Save files locally.",
        root_cause="A failed disk in the RAID array.", resolution_summary="Disk replaced, array rebuilt.",
        started_at=START, detected_at=START, acknowledged_at=START + timedelta(minutes=4), resolved_at=end,
        last_public_update_at=end)
    CustomerIncident.objects.create(incident=incident, customer=customer, number=f"{customer.incident_prefix}-2025-"
                                                                               f"0531-{incident.pk:03d}")
    rows = IncidentUpdate.objects.bulk_create([_update(incident, n, updates) for n in range(updates)],
                                              batch_size=500)
    _component_history(incident, parts, rows)
    _communications(incident, customer, rows, deliveries)
    return incident


def _update(incident: Incident, n: int, total: int) -> IncidentUpdate:
    last = n == total - 1
    status = "resolved" if last else STATUSES[min(n * 3 // total, 2)]
    previous = "" if n == 0 else STATUSES[min((n - 1) * 3 // total, 2)]
    kind = UpdateKind.OPENED if n == 0 else UpdateKind.RESOLVED if last else UpdateKind.UPDATE
    return IncidentUpdate(incident=incident, kind=kind, message=MESSAGE.format(n=n + 1), status=status,
                          previous_status=previous, severity="critical", previous_severity="" if n == 0 else "critical",
                          created_at=START + STEP * n)


def _component_history(incident: Incident, parts: list[Component], rows: list[IncidentUpdate]) -> None:
    changes, current = [], dict.fromkeys(parts, "")
    for n, update in enumerate(rows):
        if n % 10 and n != len(rows) - 1:
            continue
        for index, part in enumerate(parts):
            status = "operational" if n == len(rows) - 1 else COMPONENT_CYCLE[(n // 10 + index) % 4]
            if status != current[part]:
                changes.append(ComponentChange(update=update, component=part, previous_status=current[part],
                                               status=status))
                current[part] = status
    ComponentChange.objects.bulk_create(changes, batch_size=1000)
    AffectedComponent.objects.bulk_create(AffectedComponent(incident=incident, component=part, status=status)
                                          for part, status in current.items())


def _communications(incident: Incident, customer: Customer, rows: list[IncidentUpdate], deliveries: int) -> None:
    messages = [
        Communication(incident=incident, update=update, customer=customer,
                      kind="acknowledgment" if n == 0 else "resolution" if n == len(rows) - 1 else "update",
                      audience=audience, language=customer.language, subject=f"[UPDATE] File server outage ({n + 1})",
                      body_text="…", body_html="…", short_text="…", state=CommunicationState.DONE,
                      send_at=update.created_at)
        for n, update in enumerate(rows) for audience in ("technical", "executive")
    ]
    Communication.objects.bulk_create(messages, batch_size=500)
    per_message = max(1, deliveries // len(messages))
    people = Stakeholder.objects.bulk_create(
        Stakeholder(customer=customer, name=f"Person {n}", role="customer_it", audience="technical",
                    email=f"person{n}@bench.example") for n in range(per_message))
    states = [DeliveryState.SENT] * 8 + [DeliveryState.FAILED, DeliveryState.SUPERSEDED]
    Delivery.objects.bulk_create(
        (Delivery(communication=message, stakeholder=person, channel="email", address=person.email,
                  state=states[(m + p) % len(states)], next_attempt_at=message.send_at, sent_at=message.send_at)
         for m, message in enumerate(messages) for p, person in enumerate(people[:per_message])
         if m * per_message + p < deliveries),
        batch_size=1000)
