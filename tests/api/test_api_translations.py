"""The API's texts in several languages: written with ``language`` and ``translations``,
read back as written, and read by people in their own language (status page, its JSON,
messages). Bad input names the field path, e.g. ``["body", "translations", "en", "colour"]``,
and writes nothing.
"""

import json
from typing import Any

import pytest

from api.models import ApiToken
from api.schemas import ByLanguage
from comms.models import Communication, Stakeholder
from flows import incidents as incident_flow
from incidents.bounds import MAX_LONG_TEXT, MAX_MESSAGE, MAX_SHORT_TEXT, MAX_TITLE
from incidents.models import CustomerIncident, Incident, Language
from tests.api.test_api import ApiClient, assert_field_error, nothing_written, open_body
from tests.comms.texts import rendered
from tests.statuspage.dom import find_all, parse, text

DUTCH = {"title": "Mail ligt eruit", "message": "We onderzoeken de storing in de e-mail.",
         "impact": "Verkoop kan klanten niet antwoorden.", "workaround": "Gebruik webmail."}
ENGLISH = {"title": "Mail is down", "message": "We are looking into failing e-mail delivery.",
           "impact": "Sales cannot reply to customers.", "workaround": "Use webmail."}


@pytest.fixture
def api(account_manager) -> ApiClient:
    return ApiClient(ApiToken.issue(user=account_manager)[1])


def bilingual(**overrides: Any) -> dict[str, Any]:
    """An opening for the Dutch customer, written in Dutch, with an English version of every text."""
    return open_body(**DUTCH, components=[], translations={"en": ENGLISH}) | overrides


def opened(api: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/incidents", body)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def number_of(customer):
    def number(incident: Incident) -> str:
        return incident.customer_links.get(customer=customer).number

    return number


@pytest.fixture
def resolved_number(incident, number_of, account_manager) -> str:
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Opgelost.")
    return number_of(incident)


# --- writing and reading back --------------------------------------------------------


def test_open_with_translations_reads_back_what_it_wrote(api, customer):
    data = opened(api, bilingual())
    english_texts = {field: ENGLISH[field] for field in ("title", "impact", "workaround")}
    assert (data["language"], data["title"]) == ("nl", DUTCH["title"])
    assert data["translations"] == {"en": english_texts}
    [first] = data["updates"]
    assert (first["message"], first["translations"]) == (DUTCH["message"], {"en": {"message": ENGLISH["message"]}})

    assert api.get(f"/incidents/{data['number']}").json()["translations"] == {"en": english_texts}
    [item] = api.get("/incidents").json()["items"]
    assert (item["language"], item["translations"]) == ("nl", {"en": english_texts})
    # Stored under the model's names, which the status page and messages read (core.texts).
    incident = CustomerIncident.objects.get(number=data["number"]).incident
    assert incident.translations["en"]["business_impact"] == ENGLISH["impact"]


def test_language_defaults_to_the_customers_and_can_be_another(api, customer):
    assert opened(api, open_body(components=[]))["language"] == "nl"
    data = opened(api, open_body(**ENGLISH, components=[], language="en", translations={"nl": DUTCH}))
    assert (data["language"], data["title"], data["translations"]["nl"]["title"]) == (
        "en", ENGLISH["title"], DUTCH["title"])


def test_a_language_without_a_version_is_left_out(api, customer):
    data = opened(api, open_body(components=[], translations={"en": {"title": "Mail is down"}, "de": None}))
    assert data["translations"] == {"en": {"title": "Mail is down"}}
    assert data["updates"][0]["translations"] == {}


def test_update_translates_its_message_and_changed_texts(api, incident, number_of):
    number = number_of(incident)
    response = api.post(f"/incidents/{number}/updates", {
        "message": "De schijf is vervangen.", "workaround": "Gebruik de back-upshare.", "status": "identified",
        "translations": {"en": {"message": "The disk was replaced.", "workaround": "Use the backup share."}},
    })
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["update"]["translations"] == {"en": {"message": "The disk was replaced."}}
    assert data["incident"]["translations"] == {"en": {"workaround": "Use the backup share."}}

    # A version alone may change (it is news), and "" removes one.
    fixed = api.post(f"/incidents/{number}/updates", {"translations": {"en": {"root_cause": "A failed disk."}}})
    assert fixed.status_code == 201, fixed.content
    removed = api.post(f"/incidents/{number}/updates", {"translations": {"en": {"workaround": ""}}})
    assert removed.status_code == 201, removed.content
    assert removed.json()["incident"]["translations"] == {"en": {"root_cause": "A failed disk."}}


def test_reopen_translates_its_message(api, resolved_number):
    response = api.post(f"/incidents/{resolved_number}/reopen", {
        "message": "De server is weer uitgevallen.",
        "translations": {"en": {"message": "The server failed again."}},
    })
    assert response.status_code == 201, response.content
    assert response.json()["update"]["translations"] == {"en": {"message": "The server failed again."}}


def test_only_kalms_languages_and_texts_are_read_back(api, incident, number_of):
    """Whatever the stored JSON holds, an answer carries only what its schema declares."""
    Incident.objects.filter(pk=incident.pk).update(
        translations={"en": {"title": "Server outage", "colour": "red", "root_cause": ""}, "fr": {"title": "Panne"}})
    response = api.get(f"/incidents/{number_of(incident)}")
    assert response.status_code == 200
    assert response.json()["translations"] == {"en": {"title": "Server outage"}}


def test_every_language_is_a_key_of_translations():
    assert list(ByLanguage.model_fields) == list(Language.values)


def test_openapi_documents_language_and_translations(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for schema, fields in [("IncidentOpenIn", ["language", "translations"]), ("IncidentUpdateIn", ["translations"]),
                           ("ReopenIn", ["translations"]), ("IncidentDetail", ["language", "translations"]),
                           ("IncidentSummary", ["language", "translations"]), ("UpdateOut", ["translations"])]:
        for field in fields:
            assert schemas[schema]["properties"][field]["description"], (schema, field)
    assert set(schemas["OpenTranslations"]["properties"]) == {"en", "nl", "de"}
    assert schemas["OpenTranslations"]["additionalProperties"] is False
    assert set(schemas["OpenTexts"]["properties"]) == {"title", "message", "impact", "workaround"}
    assert set(schemas["UpdateTexts"]["properties"]) == {"message", "workaround", "root_cause", "resolution_summary"}


# --- read where people read it --------------------------------------------------------


def stakeholder(customer, name: str, language: str) -> Stakeholder:
    return Stakeholder.objects.create(customer=customer, name=name, role="customer_it", audience="technical",
                                      language=language, email=f"{name.lower()}@midsize.example")


@pytest.fixture
def bilingual_number(api, customer) -> str:
    """Posted by a client for the Dutch customer, with an English title and message; its number."""
    stakeholder(customer, "Jan", "nl")
    stakeholder(customer, "John", "en")
    return opened(api, bilingual())["number"]


def status_page(client, **params: str) -> tuple[str, list[str]]:
    """(the incident's title, its updates' texts) on the customer's public status page."""
    response = client.get("/status/midsize/", params)
    assert response.status_code == 200
    page = parse(response.content.decode())
    [title] = [text(h3) for article in find_all(page, "article") for h3 in find_all(article, "h3")]
    return title, [text(li) for li in find_all(page, "li", cls="update")]


def test_status_page_shows_each_reader_the_clients_version(client, bilingual_number):
    title, [update] = status_page(client, lang="en")
    assert title == ENGLISH["title"] and ENGLISH["message"] in update
    title, [update] = status_page(client)  # the customer's own language
    assert title == DUTCH["title"] and DUTCH["message"] in update


def test_statuspage_json_carries_the_english_name(client, bilingual_number):
    def incidents(**params: str) -> list[dict[str, Any]]:
        response = client.get("/status/midsize/api/v2/incidents.json", params)
        assert response.status_code == 200
        return json.loads(response.content)["incidents"]

    [english] = incidents(lang="en")
    assert english["name"] == ENGLISH["title"]
    assert [u["body"] for u in english["incident_updates"]] == [ENGLISH["message"]]
    [dutch] = incidents()
    assert dutch["name"] == DUTCH["title"]


def test_each_stakeholder_is_told_in_their_language(api, bilingual_number):
    incident = CustomerIncident.objects.get(number=bilingual_number).incident
    # What each reads: the texts as the worker renders them after commit (comms.outbox.texts).
    [english] = rendered(Communication.objects.filter(incident=incident, language="en"))
    [dutch] = rendered(Communication.objects.filter(incident=incident, language="nl"))
    assert ENGLISH["title"] in english.subject and DUTCH["title"] not in english.subject
    assert ENGLISH["impact"] in english.body_text and ENGLISH["workaround"] in english.body_text
    assert DUTCH["title"] in dutch.subject and DUTCH["impact"] in dutch.body_text

    response = api.post(f"/incidents/{bilingual_number}/updates", {
        "message": "De oorzaak is gevonden.", "status": "identified",
        "translations": {"en": {"message": "We found the cause."}},
    })
    assert response.status_code == 201, response.content
    update = {c.language: c for c in rendered(Communication.objects.filter(update_id=response.json()["update"]["id"]))}
    assert "We found the cause." in update["en"].body_text
    assert "De oorzaak is gevonden." in update["nl"].body_text


# --- bad input -------------------------------------------------------------------------


def translated(language: str = "en", **texts: Any) -> dict[str, Any]:
    return {"translations": {language: texts}}


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"language": "fr"}, ("body", "language")),
        (translated("fr", title="Panne"), ("body", "translations", "fr")),
        (translated(colour="red"), ("body", "translations", "en", "colour")),
        (translated(business_impact="x"), ("body", "translations", "en", "business_impact")),  # the body says impact
        (translated(root_cause="x"), ("body", "translations", "en", "root_cause")),  # not a text an opening writes
        (translated(title=42), ("body", "translations", "en", "title")),
        (translated(message=["a", "list"]), ("body", "translations", "en", "message")),
        (translated(title=None), ("body", "translations", "en", "title")),
        ({"translations": {"en": "Mail is down"}}, ("body", "translations", "en")),
        ({"translations": ["en"]}, ("body", "translations")),
        (translated(title="x" * (MAX_TITLE + 1)), ("body", "translations", "en", "title")),
        (translated(message="x" * (MAX_MESSAGE + 1)), ("body", "translations", "en", "message")),
        (translated(impact="x" * (MAX_SHORT_TEXT + 1)), ("body", "translations", "en", "impact")),
        (translated(workaround="x" * (MAX_SHORT_TEXT + 1)), ("body", "translations", "en", "workaround")),
        (translated(message="bad\x00message"), ("body", "translations", "en", "message")),
        (translated(title="Mail\x01down"), ("body", "translations", "en", "title")),
        (translated("nl", title="Mail ligt eruit"), ("body", "translations", "nl")),  # the customer's language
        (translated(title="Mail is down") | {"language": "en"}, ("body", "translations", "en")),
    ],
)
def test_open_rejects_bad_translations(api, customer, overrides, loc):
    with nothing_written():
        response = api.post("/incidents", open_body(components=[]) | overrides)
    assert_field_error(response, loc)
    assert Communication.objects.count() == 0


def test_a_version_in_the_written_language_is_refused_by_name(api, customer):
    with nothing_written():
        response = api.post("/incidents", open_body(components=[]) | translated("nl", title="Mail ligt eruit"))
    assert response.json()["detail"][0]["msg"] == "The texts are written in Dutch; give only other languages here."


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (translated("fr", message="x"), ("body", "translations", "fr")),
        (translated(colour="red"), ("body", "translations", "en", "colour")),
        (translated(title="x"), ("body", "translations", "en", "title")),  # an update does not retitle
        (translated(impact="x"), ("body", "translations", "en", "impact")),  # nor change the impact
        (translated(message=7), ("body", "translations", "en", "message")),
        (translated(workaround="x" * (MAX_SHORT_TEXT + 1)), ("body", "translations", "en", "workaround")),
        (translated(root_cause="x" * (MAX_LONG_TEXT + 1)), ("body", "translations", "en", "root_cause")),
        (translated(resolution_summary="x\x00"), ("body", "translations", "en", "resolution_summary")),
        (translated(message="\x1b[31mred"), ("body", "translations", "en", "message")),
        (translated("nl", message="x"), ("body", "translations", "nl")),  # the incident's language
    ],
)
def test_update_rejects_bad_translations(api, incident, number_of, body, loc):
    with nothing_written():
        response = api.post(f"/incidents/{number_of(incident)}/updates", {"message": "Nieuws."} | body)
    assert_field_error(response, loc)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (translated("fr", message="x"), ("body", "translations", "fr")),
        (translated(workaround="x"), ("body", "translations", "en", "workaround")),  # a reopening has only a message
        (translated(message="x" * (MAX_MESSAGE + 1)), ("body", "translations", "en", "message")),
        (translated(message="x\x00"), ("body", "translations", "en", "message")),
        (translated("nl", message="x"), ("body", "translations", "nl")),
    ],
)
def test_reopen_rejects_bad_translations(api, resolved_number, body, loc):
    with nothing_written():
        response = api.post(f"/incidents/{resolved_number}/reopen", {"message": "Weer stuk."} | body)
    assert_field_error(response, loc)
