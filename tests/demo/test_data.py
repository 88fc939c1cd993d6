"""The demo data speaks each customer's language, with the others as translations: MidSize's
Dutch page shows Dutch names and texts, its English variant English ones."""

import pytest

from comms.models import Communication
from demo.data import CUSTOMERS, OLD_TITLE, load_demo
from incidents.models import Component, Customer, Incident, Maintenance
from tests.comms.texts import rendered
from tests.statuspage.dom import find, find_all, parse, text

pytestmark = pytest.mark.django_db

MIDSIZE = next(spec for spec in CUSTOMERS if spec.slug == "midsize")


def names_on(page: str) -> tuple[list[str], list[str]]:
    """(component names, group names) in the page's components block."""
    block = find(parse(page), "section", cls="components-block")
    names = [text(find(row, "span", cls="component-name")) for row in find_all(block, "li", cls="component")]
    return names, [text(h3) for h3 in find_all(block, "h3", cls="group-name")]


def english_only(kind: str) -> set[str]:
    """MidSize's English component (or group) names that differ from the Dutch ones."""
    return {getattr(c, kind)["en"] for c in MIDSIZE.components if getattr(c, kind)["en"] != getattr(c, kind)["nl"]}


def test_the_dutch_page_has_no_english_names_and_the_english_page_has_them(client):
    load_demo()
    dutch_names, dutch_groups = names_on(client.get("/status/midsize/").text)
    english_names, english_groups = names_on(client.get("/status/midsize/?lang=en").text)

    assert english_only("name") == {"File server", "Email", "Network"}
    assert english_only("group") == {"Applications", "Communication", "Infrastructure"}
    for english in english_only("name"):
        assert not any(english in name for name in dutch_names)
        assert any(name.startswith(english) for name in english_names)
    assert not english_only("group") & set(dutch_groups)
    assert english_only("group") <= set(english_groups)
    assert any(name.startswith("Bestandsserver") for name in dutch_names) and "Applicaties" in dutch_groups
    assert "Dateiserver" in client.get("/status/midsize/?lang=de").text


def test_the_demo_incident_and_maintenance_are_dutch_with_english_for_the_english_readers(client):
    load_demo()
    incident = Incident.objects.get()
    maintenance = Maintenance.objects.get()
    assert incident.language == "nl" and incident.title.startswith("Storing")
    assert set(incident.translations["en"]) == {"title", "business_impact", "workaround"}
    assert all(update.is_internal or update.translations.get("en", {}).get("message")
               for update in incident.updates.all())
    assert set(maintenance.translations["en"]) == {"title", "expected_impact", "customer_action"}

    dutch, english = client.get("/status/midsize/").text, client.get("/status/midsize/?lang=en").text
    assert OLD_TITLE not in dutch and OLD_TITLE not in english
    assert incident.title in dutch and incident.translations["en"]["title"] not in dutch
    assert incident.translations["en"]["title"] in english and incident.title not in english
    assert maintenance.title in dutch and maintenance.translations["en"]["title"] in english
    cfo = next(iter(rendered(Communication.objects.filter(kind="acknowledgment", language="en")[:1])), None)
    assert cfo is not None and incident.translations["en"]["title"] in cfo.subject


def test_the_other_customers_write_their_own_language():
    load_demo()
    northwind, bergmann = (Customer.objects.get(slug=slug) for slug in ("northwind", "bergmann"))
    assert set(northwind.components.values_list("name", flat=True)) == {"Warehouse system", "Email", "VPN"}
    assert set(bergmann.components.values_list("group", flat=True)) == {"Anwendungen", "Kommunikation",
                                                                       "Infrastruktur"}
    practice = bergmann.components.get(name="Praxissoftware")
    assert practice.translations == {"en": {"name": "Practice software", "group": "Applications"},
                                     "nl": {"name": "Praktijksoftware", "group": "Applicaties"}}


def test_an_older_demo_is_brought_up_to_date_once():
    """Before this, the demo named MidSize's components and its incident in English."""
    load_demo()
    midsize = Customer.objects.get(slug="midsize")
    for component in midsize.components.all():
        english = component.translations["en"]
        component.name, component.group, component.translations = english["name"], english["group"], {}
        component.save()
    Incident.objects.update(title=OLD_TITLE, translations={})

    changed = load_demo()
    assert len(changed) == 5  # four components and the incident
    assert set(midsize.components.values_list("name", flat=True)) == {"Bestandsserver", "ERP", "E-mail", "Netwerk"}
    assert Component.objects.filter(customer=midsize).count() == 4
    assert Incident.objects.get().title.startswith("Storing")
    assert load_demo() == []
