"""Who is in the story: seed 000's MidSize Manufacturing (Dutch, Amsterdam) and, for a shared
upstream outage, Northwind (English, London) and Bergmann (German, Berlin).

Every contact has an e-mail address; some also an SMS number or a webhook, so the story reads
what arrives on every channel. ``language`` is the contact's own (MidSize's group CFO reads
English).
"""

from dataclasses import dataclass

from comms.models import Stakeholder
from incidents.models import Component, Customer
from tests.factories import ComponentFactory, CustomerFactory


@dataclass(frozen=True)
class Contact:
    email: str
    role: str
    audience: str
    language: str
    phone: str = ""


MIDSIZE = [
    Contact("it@midsize.example", "customer_it", "technical", "nl", "+31612345001"),
    Contact("servicedesk@midsize.example", "internal_msp", "technical", "nl"),
    Contact("inkoop@midsize.example", "contract_contact", "operational", "nl"),
    Contact("operations@midsize.example", "management", "operational", "nl", "+31612345002"),
    Contact("directie@midsize.example", "executives", "executive", "nl", "+31612345003"),
    Contact("cfo@midsize.example", "executives", "executive", "en"),
    Contact("iedereen@midsize.example", "affected_users", "end_user", "nl"),
    Contact("privacy@midsize.example", "regulator", "operational", "nl"),
]
NORTHWIND = [
    Contact("it@northwind.example", "customer_it", "technical", "en"),
    Contact("ops@northwind.example", "management", "operational", "en"),
]
BERGMANN = [
    Contact("it@bergmann.example", "customer_it", "technical", "de", "+4915112345001"),
    Contact("praxis@bergmann.example", "affected_users", "end_user", "de"),
    Contact("leitung@bergmann.example", "executives", "executive", "de"),
]
WEBHOOK_ROLE = ("customer_it", "technical", "nl")  # MidSize's ITSM tool listens on a webhook


@dataclass
class Cast:
    midsize: Customer
    northwind: Customer
    bergmann: Customer
    parts: dict[str, Component]  # MidSize's components by English name

    @property
    def customers(self) -> list[Customer]:
        return [self.midsize, self.northwind, self.bergmann]

    def customer_of(self, address: str) -> Customer:
        domain = address.rsplit("@", 1)[1].split(".")[0]
        return {"midsize": self.midsize, "northwind": self.northwind, "bergmann": self.bergmann}[domain]


def cast(account_manager, webhook_url: str) -> Cast:
    midsize = CustomerFactory(name="MidSize Manufacturing BV", slug="midsize", incident_prefix="MSM", language="nl",
                              time_zone="Europe/Amsterdam")
    northwind = CustomerFactory(name="Northwind Logistics Ltd", slug="northwind", incident_prefix="NWL",
                                language="en", time_zone="Europe/London")
    bergmann = CustomerFactory(name="Bergmann Praxisgruppe GmbH", slug="bergmann", incident_prefix="BPG",
                               language="de", time_zone="Europe/Berlin")
    parts = {
        "File server": ComponentFactory(customer=midsize, name="Bestandsserver", group="Servers", position=1,
                                        translations={"en": {"name": "File server"}, "de": {"name": "Dateiserver"}}),
        "ERP": ComponentFactory(customer=midsize, name="ERP", group="Applicaties", position=2,
                                translations={"en": {"group": "Applications"}, "de": {"group": "Anwendungen"}}),
    }
    ComponentFactory(customer=northwind, name="File share", group="Servers", position=1)
    ComponentFactory(customer=bergmann, name="Praxissoftware", group="Anwendungen", position=1)
    for customer, contacts in ((midsize, MIDSIZE), (northwind, NORTHWIND), (bergmann, BERGMANN)):
        customer.account_managers.add(account_manager)
        for contact in contacts:
            Stakeholder.objects.create(customer=customer, name=contact.email.split("@")[0], role=contact.role,
                                       audience=contact.audience, language=contact.language, email=contact.email,
                                       phone=contact.phone)
    role, audience, language = WEBHOOK_ROLE
    Stakeholder.objects.create(customer=midsize, name="ITSM", role=role, audience=audience, language=language,
                               webhook_url=webhook_url)
    return Cast(midsize, northwind, bergmann, parts)


def contacts() -> list[Contact]:
    return [*MIDSIZE, *NORTHWIND, *BERGMANN]
