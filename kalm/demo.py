"""Demo data for `make run`: three customers, their components, two logins, one live incident.

Idempotent: customers and users are matched by slug/username, and the demo incident is
opened only when MidSize has no incident yet, so a second `make run` adds nothing.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from comms.models import Stakeholder
from incidents import services
from incidents.models import Component, Customer
from statuspage.models import Subscription

DEMO_PASSWORD = "kalm-demo"  # printed by `make run`; demo machines only


@dataclass(frozen=True)
class DemoCustomer:
    slug: str
    name: str
    prefix: str
    language: str
    time_zone: str
    components: list[tuple[str, str]]  # (group, name)
    domain: str = "example.com"


CUSTOMERS = [
    DemoCustomer("midsize", "MidSize Manufacturing BV", "MSM", "nl", "Europe/Amsterdam", [
        ("Servers", "File server"), ("Applications", "ERP"), ("Communication", "E-mail"),
        ("Infrastructure", "Network"),
    ], "midsize.example"),
    DemoCustomer("northwind", "Northwind Logistics Ltd", "NWL", "en", "Europe/London", [
        ("Applications", "Warehouse system"), ("Communication", "E-mail"), ("Infrastructure", "VPN"),
    ], "northwind.example"),
    DemoCustomer("bergmann", "Bergmann Praxisgruppe GmbH", "BPG", "de", "Europe/Berlin", [
        ("Applications", "Practice software"), ("Communication", "E-mail"), ("Infrastructure", "Internet"),
    ], "bergmann.example"),
]

# (name, role, audience, e-mail local part, SMS number or ""); the language is the customer's,
# except where a stakeholder reads another one (MidSize's group CFO reads English).
STAKEHOLDERS = [
    ("All staff", "affected_users", "end_user", "iedereen", ""),
    ("IT department", "customer_it", "technical", "it", "+31612345001"),
    ("Operations manager", "management", "operational", "operations", "+31612345002"),
    ("Managing director", "executives", "executive", "directie", "+31612345003"),
    ("Contract contact", "contract_contact", "operational", "inkoop", ""),
    ("Data protection officer", "regulator", "operational", "privacy", ""),
    ("MSP service desk", "internal_msp", "technical", "servicedesk", ""),
]



@transaction.atomic
def load_demo() -> list[str]:
    """Create what is missing; returns lines describing what was created."""
    created: list[str] = []
    managers = _managers_group()
    anna = _user("anna", "Anna", "de Vries", created)
    maria = _user("maria", "Maria", "Jansen", created)
    maria.groups.add(managers)
    for spec in CUSTOMERS:
        customer = _customer(spec, created)
        customer.account_managers.add(anna)
        _stakeholders(customer, spec, created)
    _subscribers(Customer.objects.get(slug="midsize"), created)
    _demo_incident(anna, created)
    return created


def _managers_group() -> Group:
    group, _ = Group.objects.get_or_create(name="Managers")
    codenames = ["view_all_customers", "add_customer", "change_customer", "view_customer", "add_component",
                 "change_component", "view_component", "view_incident"]
    group.permissions.add(*Permission.objects.filter(codename__in=codenames))
    return group


def _user(username: str, first: str, last: str, created: list[str]):
    user, was_created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "is_staff": True,
                                     "email": f"{username}@msp.example"},
    )
    if was_created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        created.append(f"user {username}")
    return user


def _customer(spec: DemoCustomer, created: list[str]) -> Customer:
    customer, was_created = Customer.objects.get_or_create(
        slug=spec.slug,
        defaults={"name": spec.name, "incident_prefix": spec.prefix, "language": spec.language,
                  "time_zone": spec.time_zone},
    )
    if was_created:
        created.append(f"customer {spec.slug}")
    for position, (group, name) in enumerate(spec.components):
        Component.objects.get_or_create(customer=customer, name=name,
                                        defaults={"group": group, "position": position})
    return customer


def _stakeholders(customer: Customer, spec: DemoCustomer, created: list[str]) -> None:
    if customer.stakeholders.exists():
        return
    for name, role, audience, local_part, phone in STAKEHOLDERS:
        Stakeholder.objects.create(customer=customer, name=name, role=role, audience=audience,
                                   language=spec.language, email=f"{local_part}@{spec.domain}", phone=phone)
    if spec.slug == "midsize":
        Stakeholder.objects.create(customer=customer, name="Group CFO", role="executives", audience="executive",
                                   language="en", email=f"cfo@{spec.domain}")
    created.append(f"{customer.stakeholders.count()} stakeholders for {spec.slug}")


# Two people who subscribed on MidSize's status page and confirmed (component names, empty = all).
SUBSCRIBERS = (("lisa.bakker@example.com", "nl", ()), ("facilities@example.com", "en", ("ERP",)))


def _subscribers(customer: Customer, created: list[str]) -> None:
    """Confirmed status page subscribers, written directly (no confirmation mail for demo data)."""
    for address, language, component_names in SUBSCRIBERS:
        if Subscription.objects.filter(customer=customer, channel="email", address=address).exists():
            continue
        stakeholder = Stakeholder.objects.create(customer=customer, name=address, role="affected_users",
                                                 audience="end_user", language=language, email=address,
                                                 self_subscribed=True)
        stakeholder.components.set(customer.components.filter(name__in=component_names))
        Subscription.objects.create(customer=customer, stakeholder=stakeholder, channel="email", address=address,
                                    state="confirmed", confirmed_at=timezone.now())
        created.append(f"status page subscriber {address}")


def _demo_incident(author, created: list[str]) -> None:
    midsize = Customer.objects.get(slug="midsize")
    if midsize.incident_links.exists():
        return
    components = {c.name: c for c in midsize.components.all()}
    incident = services.incident_open(
        customer=midsize,
        title="Server outage: file server and ERP",
        category="server",
        severity="critical",
        status="investigating",
        business_impact="Productieplanning en toegang tot bestanden liggen volledig stil.",
        component_statuses={components["File server"]: "major_outage", components["ERP"]: "major_outage"},
        message="De bestandsserver en het ERP-systeem zijn niet bereikbaar. Onze engineers werken er nu aan. "
                "U hoort binnen 30 minuten meer van ons.",
        author=author,
    )
    services.incident_post_update(
        incident=incident, author=author, status="identified",
        message="We hebben de oorzaak gevonden: een defecte schijf in de opslag. Een vervangende schijf is "
                "onderweg en uw gegevens zijn veilig. U hoort binnen 30 minuten meer van ons.",
        workaround="Sla nieuwe bestanden lokaal op en zet ze terug zodra de bestandsserver weer werkt.",
    )
    services.incident_post_update(
        incident=incident, author=author, is_internal=True,
        message="Leveranciersticket 48213 aangemaakt; koerier verwacht om 12:45.",
    )
    created.append(f"incident {incident.first_link.number}")
