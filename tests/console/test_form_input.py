"""What the console's forms take in (issue 11, findings 0 and 5): no control characters in any
text (NUL included, and in every language's version), no number no database can hold, and no
NUL from a CSV file or the composer's edited texts. Each is a 422 naming the field, with
nothing written, on SQLite and PostgreSQL alike.
"""

import importlib
import pkgutil

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import console.forms
from comms.models import Audience, Communication, MessageTemplate, Role, Stakeholder
from core.forms import BoundedModelMultipleChoiceField, PlainTextForm
from flows import incidents as incident_flow
from incidents.models import Incident, IncidentUpdate, Maintenance
from reports.models import PostIncidentReview

HUGE = str(10**30)
CONTROL = "Mail\x01down"


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def english_reader(customer):
    """An English-reading contact: the incident forms then ask for each text in English too."""
    return Stakeholder.objects.create(customer=customer, name="Pat Smith", role=Role.CUSTOMER_IT,
                                      audience=Audience.TECHNICAL, language="en", email="pat@midsize.example")


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422, response.status_code
    errors = response.context["form"].errors
    assert field in errors, errors


def console_form_classes() -> list[type[forms.BaseForm]]:
    for module in pkgutil.iter_modules(console.forms.__path__):
        importlib.import_module(f"console.forms.{module.name}")
    for name in ("console.views.compose", "console.views.templates", "statuspage.forms"):
        importlib.import_module(name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return sorted({cls for cls in subclasses(forms.BaseForm) if cls.__module__.startswith(("console.", "statuspage."))},
                  key=lambda cls: f"{cls.__module__}.{cls.__name__}")


# --- every form, by construction -----------------------------------------------------------------


def test_every_console_and_status_page_form_refuses_control_characters():
    classes = console_form_classes()
    assert len(classes) >= 15
    assert [cls.__qualname__ for cls in classes if not issubclass(cls, PlainTextForm)] == []


def test_every_multiple_choice_of_records_is_bounded():
    plain = [f"{cls.__qualname__}.{name}" for cls in console_form_classes()
             for name, field in cls.base_fields.items()
             if isinstance(field, forms.ModelMultipleChoiceField)
             and not isinstance(field, BoundedModelMultipleChoiceField)]
    assert plain == []


# --- control characters, field by field -------------------------------------------------------------


def open_data(customer, **overrides):
    return {"customer": customer.pk, "title": "Mail is down", "category": "email", "severity": "high",
            "status": "investigating", "detected_by": "msp", "message": "We are on it.",
            "send_with_missing_languages": "on"} | overrides


@pytest.mark.parametrize("field,value", [("title", CONTROL), ("message", "Line\x0bbreak"),
                                         ("business_impact", "nul\x00byte"), ("workaround", "esc\x1b[31m")])
def test_open_form_refuses_control_characters(as_anna, customer, field, value):
    response = as_anna.post(reverse("incidents:open"), open_data(customer, **{field: value}))
    assert_refused(response, field)
    assert Incident.objects.count() == 0


def test_a_nul_is_reported_once(as_anna, customer):
    response = as_anna.post(reverse("incidents:open"), open_data(customer, title="bad\x00title"))
    assert len(response.context["form"].errors["title"]) == 1


def test_tabs_and_line_breaks_are_text(as_anna, customer):
    response = as_anna.post(reverse("incidents:open"), open_data(customer, message="One.\r\nTwo:\tthree."))
    assert response.status_code == 302
    assert Incident.objects.get().updates.get().message == "One.\r\nTwo:\tthree."


@pytest.mark.parametrize("field", ["message", "message__en", "workaround__en", "root_cause"])
def test_update_form_refuses_control_characters_in_every_language(as_anna, incident, english_reader, field):
    data = {"message": "Still on it.", "message__en": "Still on it.", "status": "investigating",
            "severity": "critical", field: CONTROL}
    response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]), data)
    assert response.status_code == 422
    assert field in response.context["update_form"].errors
    assert incident.updates.count() == 1


def test_reopen_and_postpone_refuse_control_characters(as_anna, incident, account_manager):
    response = as_anna.post(reverse("incidents:extend_due", args=[incident.pk]),
                            {"until": "2099-01-01 10:00", "reason": "Vendor\x07call"})
    assert response.status_code == 422 and "reason" in response.context["extend_form"].errors
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    response = as_anna.post(reverse("incidents:reopen", args=[incident.pk]), {"message": CONTROL})
    assert response.status_code == 422 and "message" in response.context["reopen_form"].errors


def test_maintenance_forms_refuse_control_characters(as_anna, customer):
    data = {"customer": customer.pk, "title": CONTROL, "starts_at": "01-01-2099 10:00", "ends_at": "01-01-2099 11:00",
            "send_with_missing_languages": "on"}
    assert_refused(as_anna.post(reverse("incidents:maintenance_new"), data), "title")
    assert Maintenance.objects.count() == 0


def test_stakeholder_form_refuses_control_characters(as_anna, customer):
    data = {"name": "Jan\x1fde Vries", "role": "customer_it", "audience": "technical", "language": "nl",
            "email": "jan@midsize.example", "is_active": "on"}
    assert_refused(as_anna.post(reverse("comms:stakeholder_new", args=[customer.slug]), data), "name")
    assert Stakeholder.objects.count() == 0


def test_template_form_refuses_control_characters(client, manager):
    client.force_login(manager)
    key = {"kind": "update", "audience": "end_user", "language": "nl"}
    response = client.post(reverse("comms:template_edit"), key | {"subject": "Update\x07", "body": "Hallo"})
    assert_refused(response, "subject")
    assert MessageTemplate.objects.count() == 0


def test_api_token_form_refuses_control_characters(as_anna):
    response = as_anna.post(reverse("tokens:list"), {"name": "monitoring\x00", "scope": "read", "days": "30"})
    assert_refused(response, "name")


def test_review_form_refuses_control_characters(as_anna, incident):
    data = {"management_summary": "Summary\x00", "root_cause": "", "preventive_measures": "", "lessons_learned": "",
            "data_lost": "no", "sla_credit_percent_per_hour": "", "actions": ""}
    assert_refused(as_anna.post(reverse("reports:review", args=[incident.pk]), data), "management_summary")
    assert PostIncidentReview.objects.count() == 0


# --- numbers no database can hold (finding 5) ----------------------------------------------------------


def test_stakeholder_components_refuse_a_huge_number(as_anna, customer, file_server):
    data = {"name": "Jan de Vries", "role": "customer_it", "audience": "technical", "language": "nl",
            "email": "jan@midsize.example", "is_active": "on", "components": [str(file_server.pk), HUGE]}
    assert_refused(as_anna.post(reverse("comms:stakeholder_new", args=[customer.slug]), data), "components")
    assert Stakeholder.objects.count() == 0


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, str(2**63)])
def test_maintenance_components_refuse_a_huge_number(as_anna, customer, file_server, value):
    data = {"customer": customer.pk, "title": "Firmware", "starts_at": "01-01-2099 10:00",
            "ends_at": "01-01-2099 11:00", "components": [value], "send_with_missing_languages": "on"}
    assert_refused(as_anna.post(reverse("incidents:maintenance_new"), data), "components")


@pytest.mark.parametrize("params", [{"customer": HUGE}, {"customer": "1e400"}])
def test_customer_choices_with_a_huge_number_are_just_no_choice(as_anna, customer, params):
    assert as_anna.get(reverse("incidents:open"), params).status_code == 200
    assert as_anna.get(reverse("incidents:component_fields"), params).status_code == 200
    response = as_anna.post(reverse("incidents:open"), open_data(customer) | params)
    assert_refused(response, "customer")


def test_log_filter_with_a_huge_incident_number_shows_nothing(as_anna, incident):
    assert as_anna.get(reverse("comms:log"), {"incident": HUGE, "page": HUGE}).status_code == 200


# --- NUL from a CSV file and from the composer (finding 5) -----------------------------------------------


HEADER = "name,role,audience,language,email,phone,teams_webhook_url,slack_webhook_url,webhook_url,components\n"


@pytest.mark.parametrize("row", ["Jan\x00de Vries,customer_it,technical,nl,jan@midsize.example,,,,,\n",
                                 "Jan de Vries,customer_it,technical,nl,jan@midsize.example,,,,,File\x07server\n"])
def test_csv_import_refuses_control_characters(as_anna, customer, file_server, row):
    upload = SimpleUploadedFile("stakeholders.csv", (HEADER + row).encode(), content_type="text/csv")
    response = as_anna.post(reverse("comms:stakeholder_import", args=[customer.slug]), {"file": upload})
    assert response.status_code == 422
    assert "line 2" in " ".join(response.context["form"].errors["file"])
    assert Stakeholder.objects.count() == 0


@pytest.fixture
def with_reader(customer):
    return Stakeholder.objects.create(customer=customer, name="Jan de Vries", role=Role.CUSTOMER_IT,
                                      audience=Audience.TECHNICAL, language="nl", email="jan@midsize.example")


@pytest.mark.parametrize("part,text", [("subject", "Update\x00"), ("body", "Hallo\x00"), ("subject", "x" * 301),
                                       ("body", "Hallo \x1b[31m")])
def test_composer_refuses_control_characters_and_overlong_subjects(as_anna, incident, with_reader, part, text):
    url = reverse("comms:compose", args=[incident.pk])
    data = {"message": "Still looking.", "status": "investigating", "severity": "critical"}
    drafts = as_anna.post(url, data | {"preview": "1"}).context["drafts"]
    edited = {f"subject-{d.key}": d.subject for d in drafts} | {f"body-{d.key}": d.body for d in drafts}
    edited[f"{part}-{drafts[0].key}"] = text
    before = (IncidentUpdate.objects.count(), Communication.objects.count())
    response = as_anna.post(url, data | edited | {"send": "1"})
    assert response.status_code == 422
    assert (IncidentUpdate.objects.count(), Communication.objects.count()) == before
