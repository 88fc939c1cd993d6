"""Shared test helpers for the status page: incidents through the real services, maintenance windows."""

from datetime import UTC, datetime, timedelta

from flows import incidents as incident_flow
from incidents.models import Maintenance

NOW = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)  # 14:00 in Amsterdam (CEST), 13:00 in London (BST)


def open_incident(customer, author, *, title="Printer queue stuck", severity="medium", **kwargs):
    kwargs.setdefault("message", f"{title}: we are looking into it.")
    return incident_flow.open_incident(customer=customer, title=title, category="server", severity=severity,
                                  author=author, **kwargs)


def resolve(incident, author, message="Fixed: service restored."):
    return incident_flow.post_update(incident=incident, author=author, status="resolved", message=message)


def number(incident, customer=None):
    links = incident.customer_links.all()
    return (links.get(customer=customer) if customer else links.get()).number


def maintenance(customer, *, title="Firmware update", start: timedelta, hours: float = 2, components=(),
                status="scheduled", now=NOW, **kwargs):
    window = Maintenance.objects.create(customer=customer, title=title, starts_at=now + start,
                                        ends_at=now + start + timedelta(hours=hours), status=status, **kwargs)
    window.components.set(components)
    return window
