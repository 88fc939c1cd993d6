"""Component names per language, typed in the customer's admin page as plain fields: they reach
the status page's language variants and the messages of readers of that language."""

import pytest
from django.urls import reverse

from comms.messages.context import message_context
from comms.models import Communication, Stakeholder
from flows import incidents as incident_flow
from incidents.models import Component, Customer
from tests.comms.texts import rendered


def post_data(response) -> dict:
    """What the browser would send back for the admin change page in ``response``, unchanged."""
    data: dict = {}

    def add(form):
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None:  # None: the browser sends nothing (an empty select, text or list)
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def field_of(response, component: Component, name: str) -> str:
    """The HTML name of ``component``'s field ``name`` in the components inline."""
    [inline] = [i for i in response.context["inline_admin_formsets"] if i.formset.model is Component]
    [form] = [form for form in inline.formset.forms if form.instance.pk == component.pk]
    return form[name].html_name


@pytest.fixture
def bestandsserver(customer):
    return Component.objects.create(customer=customer, name="Bestandsserver", group="Servers", position=1,
                                    description="Gedeelde mappen (S:)")


@pytest.fixture
def change_url(customer):
    return reverse("admin:incidents_customer_change", args=[customer.pk])


def test_the_customers_page_offers_each_text_in_the_other_two_languages(admin_client, customer, bestandsserver,
                                                                        change_url):
    response = admin_client.get(change_url)
    for language in ("en", "de"):
        for field in ("name", "group", "description"):
            field_of(response, bestandsserver, f"{field}_{language}")  # present
    page = response.text
    assert "Name (English)" in page and "Group (German)" in page
    assert "name_nl" not in page  # Dutch is the customer's own: the ordinary field


def test_an_english_name_reaches_the_english_page_and_english_mail(admin_client, customer, bestandsserver,
                                                                    account_manager, change_url, client):
    response = admin_client.get(change_url)
    data = post_data(response) | {field_of(response, bestandsserver, "name_en"): "File server",
                                  field_of(response, bestandsserver, "group_de"): "Server",
                                  field_of(response, bestandsserver, "description_en"): "Shared folders (S:)"}
    response = admin_client.post(change_url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    bestandsserver.refresh_from_db()
    assert (bestandsserver.name, bestandsserver.description) == ("Bestandsserver", "Gedeelde mappen (S:)")
    assert bestandsserver.translations == {"en": {"name": "File server", "description": "Shared folders (S:)"},
                                           "de": {"group": "Server"}}

    english_page = client.get("/status/midsize/?lang=en").text
    dutch_page = client.get("/status/midsize/").text
    assert "File server" in english_page and "Shared folders (S:)" in english_page
    assert "Bestandsserver" in dutch_page and "File server" not in dutch_page and "Shared folders" not in dutch_page
    assert "Server" in client.get("/status/midsize/?lang=de").text

    Stakeholder.objects.create(customer=customer, name="CFO", role="customer_it", audience="technical",
                               language="en", email="cfo@midsize.example")
    incident = incident_flow.open_incident(customer=customer, title="Storing bestandsserver", category="server",
                                      severity="critical", message="We onderzoeken het.", author=account_manager,
                                      component_statuses={bestandsserver: "major_outage"})
    english = message_context(incident=incident, customer=customer, language="en")
    dutch = message_context(incident=incident, customer=customer, language="nl")
    assert [c["name"] for c in english["components"]] == ["File server"]
    assert [c["name"] for c in dutch["components"]] == ["Bestandsserver"]
    [mail] = rendered(Communication.objects.filter(kind="acknowledgment", language="en"))
    assert "File server" in mail.body_text and "Bestandsserver" not in mail.body_text


def test_an_emptied_field_removes_that_version_and_others_stay(admin_client, customer, bestandsserver, change_url):
    bestandsserver.translations = {"en": {"name": "File server", "group": "Servers"}, "de": {"name": "Dateiserver"}}
    bestandsserver.save()
    response = admin_client.get(change_url)
    assert response.context["inline_admin_formsets"][0].formset.forms[0]["name_de"].value() == "Dateiserver"
    data = post_data(response) | {field_of(response, bestandsserver, "name_en"): ""}
    assert admin_client.post(change_url, data).status_code == 302
    bestandsserver.refresh_from_db()
    assert bestandsserver.translations == {"en": {"group": "Servers"}, "de": {"name": "Dateiserver"}}


def test_a_new_customer_with_a_component_named_in_another_language(admin_client):
    add_url = reverse("admin:incidents_customer_add")
    response = admin_client.get(add_url)
    data = post_data(response) | {"name": "Kleinbetrieb GmbH", "slug": "klein", "incident_prefix": "KLB",
                                  "language": "de", "time_zone": "Europe/Berlin",
                                  "components-TOTAL_FORMS": "1", "components-0-name": "Dateiserver",
                                  "components-0-position": "0", "components-0-name_en": "File server"}
    response = admin_client.post(add_url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    component = Customer.objects.get(slug="klein").components.get()
    assert (component.name, component.translations) == ("Dateiserver", {"en": {"name": "File server"}})


def test_a_text_typed_for_the_customers_own_language_is_refused(admin_client):
    add_url = reverse("admin:incidents_customer_add")
    data = post_data(admin_client.get(add_url)) | {
        "name": "Kleinbetrieb GmbH", "slug": "klein", "incident_prefix": "KLB", "language": "de",
        "time_zone": "Europe/Berlin", "components-TOTAL_FORMS": "1", "components-0-name": "Dateiserver",
        "components-0-position": "0", "components-0-name_de": "Dateiserver"}
    response = admin_client.post(add_url, data)
    assert response.status_code == 200 and not Customer.objects.filter(slug="klein").exists()
    assert "written in German" in response.text


def test_a_version_of_a_text_not_written_in_the_customers_language_is_refused(admin_client, customer,
                                                                              bestandsserver, change_url):
    """Readers only get a version of a text that exists as written (core.texts): say so, rather than drop it."""
    bestandsserver.group = ""
    bestandsserver.save()
    response = admin_client.get(change_url)
    data = post_data(response) | {field_of(response, bestandsserver, "group_en"): "Servers"}
    response = admin_client.post(change_url, data)
    assert response.status_code == 200 and "Write this text in Dutch first" in response.text
    bestandsserver.refresh_from_db()
    assert bestandsserver.translations == {}
