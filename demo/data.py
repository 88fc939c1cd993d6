"""Demo data for `make run`: three customers, their components, two logins, one live incident
and one maintenance window.

Every text a reader sees is written in the customer's language with translations into the
others (core.texts): MidSize writes Dutch, Northwind English, Bergmann German.

Idempotent: customers and users are matched by slug/username, components by any of their
names, and the demo incident (maintenance window) is opened (scheduled) only when MidSize
has none yet, so a second `make run` adds nothing. An older demo's English names and title
are brought up to date once.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from comms.models import Stakeholder
from core.texts import merged
from flows import incidents as incident_flow
from flows import maintenance as maintenance_flow
from incidents.models import Component, Customer, Incident
from playbook import services as playbook_services
from playbook.models import RotaShift
from statuspage.models import Subscription

DEMO_PASSWORD = "kalm-demo"  # printed by `make run`; demo machines only


Texts = dict[str, str]  # language → text


@dataclass(frozen=True)
class DemoComponent:
    """A component's name, group and description in each language (the customer's is written, the rest translations)."""

    name: Texts
    group: Texts
    description: Texts = field(default_factory=dict)

    def texts(self) -> dict[str, Texts]:
        return {"name": self.name, "group": self.group, "description": self.description}


@dataclass(frozen=True)
class DemoCustomer:
    slug: str
    name: str
    prefix: str
    language: str
    time_zone: str
    components: list[DemoComponent]
    domain: str = "example.com"


SERVERS = {"nl": "Servers", "en": "Servers", "de": "Server"}
APPLICATIONS = {"nl": "Applicaties", "en": "Applications", "de": "Anwendungen"}
COMMUNICATION = {"nl": "Communicatie", "en": "Communication", "de": "Kommunikation"}
INFRASTRUCTURE = {"nl": "Infrastructuur", "en": "Infrastructure", "de": "Infrastruktur"}
EMAIL = {"nl": "E-mail", "en": "Email", "de": "E-Mail"}

CUSTOMERS = [
    DemoCustomer("midsize", "MidSize Manufacturing BV", "MSM", "nl", "Europe/Amsterdam", [
        DemoComponent({"nl": "Bestandsserver", "en": "File server", "de": "Dateiserver"}, SERVERS,
                      {"nl": "Gedeelde mappen (S:-schijf)", "en": "Shared folders (S: drive)",
                       "de": "Freigegebene Ordner (Laufwerk S:)"}),
        DemoComponent({"nl": "ERP", "en": "ERP", "de": "ERP"}, APPLICATIONS,
                      {"nl": "Orders, planning en voorraad", "en": "Orders, planning and stock",
                       "de": "Aufträge, Planung und Lager"}),
        DemoComponent(EMAIL, COMMUNICATION),
        DemoComponent({"nl": "Netwerk", "en": "Network", "de": "Netzwerk"}, INFRASTRUCTURE,
                      {"nl": "Internet, wifi en VPN", "en": "Internet, Wi-Fi and VPN", "de": "Internet, WLAN und VPN"}),
    ], "midsize.example"),
    DemoCustomer("northwind", "Northwind Logistics Ltd", "NWL", "en", "Europe/London", [
        DemoComponent({"en": "Warehouse system", "nl": "Magazijnsysteem", "de": "Lagerverwaltung"}, APPLICATIONS),
        DemoComponent(EMAIL, COMMUNICATION),
        DemoComponent({"en": "VPN", "nl": "VPN", "de": "VPN"}, INFRASTRUCTURE),
    ], "northwind.example"),
    DemoCustomer("bergmann", "Bergmann Praxisgruppe GmbH", "BPG", "de", "Europe/Berlin", [
        DemoComponent({"de": "Praxissoftware", "en": "Practice software", "nl": "Praktijksoftware"}, APPLICATIONS),
        DemoComponent(EMAIL, COMMUNICATION),
        DemoComponent({"de": "Internet", "en": "Internet", "nl": "Internet"}, INFRASTRUCTURE),
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
    _standby(anna, maria, created)
    _demo_incident(anna, created)
    _demo_maintenance(anna, created)
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
    for position, component in enumerate(spec.components):
        _component(customer, component, position, created)
    return customer


def _component(customer: Customer, spec: DemoComponent, position: int, created: list[str]) -> None:
    """The component as written in the customer's language, its other languages as translations.

    An older demo's component (named in English) is found by any of its names and brought up
    to date once; one that is up to date is left alone, so edits in the admin stay.
    """
    written = customer.language
    texts = {name: versions.get(written, "") for name, versions in spec.texts().items()}
    translations = {language: {name: versions[language] for name, versions in spec.texts().items()
                               if language in versions}
                    for language in spec.name if language != written}
    component = customer.components.filter(name__in=set(spec.name.values())).first()
    if component is None:
        Component.objects.create(customer=customer, position=position, translations=translations, **texts)
        created.append(f"component {texts['name']} of {customer.slug}")
    elif component.name != texts["name"] or not component.translations:
        for name, text in {**texts, "translations": translations}.items():
            setattr(component, name, text)
        component.save()
        created.append(f"component {texts['name']} of {customer.slug} in every language")


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


# The demo incident, written in Dutch (MidSize's language), with English for the group CFO
# and the English-reading subscriber. The internal note is staff-only: no reader, no language.
INCIDENT = {
    "title": ("Storing: bestandsserver en ERP onbereikbaar", "Outage: file server and ERP unreachable"),
    "business_impact": ("Productieplanning en toegang tot bestanden liggen volledig stil.",
                        "Production planning and access to files are at a complete standstill."),
    "workaround": ("Sla nieuwe bestanden lokaal op en zet ze terug zodra de bestandsserver weer werkt.",
                   "Save new files on your own computer and copy them back once the file server works again."),
}
OPENING = ("De bestandsserver en het ERP-systeem zijn niet bereikbaar. Onze engineers werken er nu aan. "
           "U hoort binnen 30 minuten meer van ons.",
           "The file server and the ERP system cannot be reached. Our engineers are working on it now. "
           "You will hear from us again within 30 minutes.")
IDENTIFIED = ("We hebben de oorzaak gevonden: een defecte schijf in de opslag. Een vervangende schijf is "
              "onderweg en uw gegevens zijn veilig. U hoort binnen 30 minuten meer van ons.",
              "We have found the cause: a faulty disk in the storage. A replacement disk is on its way and "
              "your data is safe. You will hear from us again within 30 minutes.")
# What an older demo titled its incident, in English on the Dutch page.
OLD_TITLE = "Server outage: file server and ERP"


def _english(**texts: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {"en": {name: english for name, (_dutch, english) in texts.items()}}


def _standby(on_duty, author, created: list[str]) -> None:
    """Anna on standby for each of her customers for the next weeks: the critical demo incident gets her as lead."""
    if RotaShift.objects.exists():
        return
    now = timezone.now()
    for customer in Customer.objects.filter(account_managers=on_duty).order_by("slug"):
        playbook_services.rota_shift_add(customer=customer, user=on_duty, starts_at=now - timedelta(hours=1),
                                         ends_at=now + timedelta(days=60), is_override=False, author=author)
    created.append(f"standby rota: {on_duty.username}")


def _demo_incident(author, created: list[str]) -> None:
    midsize = Customer.objects.get(slug="midsize")
    if midsize.incident_links.exists():
        _translate_old_demo_incident(midsize, created)
        return
    components = {c.name: c for c in midsize.components.all()}
    incident = incident_flow.open_incident(
        customer=midsize,
        title=INCIDENT["title"][0],
        category="server",
        severity="critical",
        status="investigating",
        business_impact=INCIDENT["business_impact"][0],
        component_statuses={components["Bestandsserver"]: "major_outage", components["ERP"]: "major_outage"},
        message=OPENING[0],
        translations=_english(title=INCIDENT["title"], business_impact=INCIDENT["business_impact"],
                              message=OPENING),
        author=author,
    )
    incident_flow.post_update(
        incident=incident, author=author, status="identified", message=IDENTIFIED[0],
        workaround=INCIDENT["workaround"][0],
        translations=_english(message=IDENTIFIED, workaround=INCIDENT["workaround"]),
    )
    incident_flow.post_update(
        incident=incident, author=author, is_internal=True,
        message="Leveranciersticket 48213 aangemaakt; koerier verwacht om 12:45.",
    )
    created.append(f"incident {incident.first_link.number}")


def _translate_old_demo_incident(midsize: Customer, created: list[str]) -> None:
    """An older demo's incident had an English title on the Dutch page: give it the Dutch title and English texts."""
    incident = Incident.objects.filter(customer_links__customer=midsize, title=OLD_TITLE).first()
    if incident is None:
        return
    incident.title = INCIDENT["title"][0]
    incident.translations = merged(incident.translations, _english(**INCIDENT))
    incident.save(update_fields=["title", "translations"])
    for dutch, english in (OPENING, IDENTIFIED):
        incident.updates.filter(message=dutch).update(translations={"en": {"message": english}})
    created.append(f"incident {incident.first_link.number} in Dutch and English")


# A firewall upgrade in ten days, in Dutch and English like the incident.
MAINTENANCE = {
    "title": ("Firmware-update firewall", "Firewall firmware update"),
    "expected_impact": ("Internet en VPN vallen twee keer een paar minuten weg.",
                        "Internet and VPN drop out twice, for a few minutes each time."),
    "customer_action": ("Sla uw werk op en verbreek VPN-verbindingen voor 22:00.",
                        "Save your work and disconnect from the VPN before 22:00."),
}


def _demo_maintenance(author, created: list[str]) -> None:
    midsize = Customer.objects.get(slug="midsize")
    if midsize.maintenances.exists():
        return
    in_ten_days = timezone.localdate(timezone=midsize.tzinfo) + timedelta(days=10)
    starts_at = datetime.combine(in_ten_days, time(22, 0), tzinfo=midsize.tzinfo)
    maintenance, _warnings = maintenance_flow.schedule(
        customer=midsize, components=midsize.components.filter(name="Netwerk"), starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2), author=author,
        **{name: dutch for name, (dutch, _english) in MAINTENANCE.items()}, translations=_english(**MAINTENANCE))
    created.append(f"maintenance {maintenance.title}")
