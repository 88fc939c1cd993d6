"""An installation's worth of customers for the scale benchmarks (bench/scale_publish.py,
bench/scale_console.py): written through the models in bulk and the incident services (facts
only: nothing is sent, nothing is published), with history spread over the last 90 days.

Call after ``django.setup()``.
"""

import random
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

LANGUAGES = ["nl", "en", "de"]
ZONES = ["Europe/Amsterdam", "Europe/London", "Europe/Berlin"]
GROUPS = ["Infrastructure", "Applications", ""]
ROLES = ["customer_it", "customer_it", "management", "executives", "affected_users", "affected_users",
         "contract_contact"]


def add_customers(first: int, count: int, *, author, components: int = 8, stakeholders: int = 7,
                  history: int = 3, open_incidents: int = 0, seed: int = 14) -> list:
    """Customers ``first`` … ``first + count - 1`` (slugs ``customer-<n>``), each with ``components``
    components, ``stakeholders`` e-mail stakeholders, ``history`` incidents resolved in the last 90
    days (with component outages, so the uptime bars have something to show) and ``open_incidents``
    incidents still open (a component in partial outage)."""
    from comms.models import Stakeholder
    from incidents.models import Component, Customer

    rng = random.Random(seed + first)
    customers = Customer.objects.bulk_create([
        Customer(name=f"Customer {n} BV", slug=f"customer-{n}", incident_prefix=f"C{n}",
                 language=LANGUAGES[n % 3], time_zone=ZONES[n % 3], status_page_public=True)
        for n in range(first, first + count)
    ])
    customers = list(Customer.objects.filter(slug__in=[c.slug for c in customers]).order_by("pk"))
    Component.objects.bulk_create([
        Component(customer=customer, name=f"Service {i}", group=GROUPS[i % 3], position=i)
        for customer in customers for i in range(components)
    ])
    Stakeholder.objects.bulk_create([
        Stakeholder(customer=customer, name=f"Contact {i}", role=ROLES[i % len(ROLES)], audience="operational",
                    language=LANGUAGES[i % 3], email=f"contact{i}@{customer.slug}.example")
        for customer in customers for i in range(stakeholders)
    ])
    now = timezone.now()
    for customer in customers:
        parts = list(customer.components.all())
        customer.account_managers.add(author)
        for _ in range(history):
            started = now - timedelta(days=rng.uniform(1, 89), hours=rng.uniform(0, 12))
            _resolved_incident(customer, author, rng.choice(parts), started, timedelta(minutes=rng.uniform(20, 300)))
        for _ in range(open_incidents):
            _open_incident(customer, author, rng.choice(parts), now - timedelta(minutes=rng.uniform(5, 600)),
                           severity=rng.choice(["critical", "high", "medium", "low"]))
    return customers


def _open_incident(customer, author, component, started: datetime, *, severity: str = "high"):
    from incidents import services

    with time_machine.travel(started, tick=False):
        return services.incident_open(
            customer=customer, title=f"{component.name} unavailable", category="server", severity=severity,
            message=f"{component.name} is unavailable; we are investigating.", author=author,
            component_statuses={component: "partial_outage"})


def _resolved_incident(customer, author, component, started: datetime, lasted: timedelta) -> None:
    from incidents import services

    incident = _open_incident(customer, author, component, started)
    with time_machine.travel(started + lasted, tick=False):
        services.incident_post_update(incident=incident, author=author, status="resolved",
                                      message="Service restored; we are monitoring.",
                                      component_statuses={component: "operational"})
