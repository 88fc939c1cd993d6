"""A maintenance window's texts in every language the customer's readers need: the schedule
form asks for each, warns before one is missing, the service stores them, and correcting
the texts later keeps every version the page did not touch."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from comms.models import Stakeholder
from flows import maintenance as maintenance_flow
from incidents.models import Maintenance
from tests.incidents.test_maintenance import DAY, HTMX, T0, form_data, schedule

DUTCH = {"title": "Firmware-update firewall", "expected_impact": "Internet valt twee keer weg.",
         "customer_action": "Sla uw werk op."}
ENGLISH = {"title": "Firewall firmware update", "expected_impact": "Internet drops twice.",
           "customer_action": "Save your work."}


@pytest.fixture
def english_reader(customer):
    """MidSize writes Dutch; one of its contacts reads English."""
    return Stakeholder.objects.create(customer=customer, name="CFO", role="executives", audience="executive",
                                      language="en", email="cfo@midsize.example")


@pytest.fixture
def as_anna(client, account_manager, clock):
    client.force_login(account_manager)
    return client


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def in_english(**texts) -> dict[str, str]:
    return {f"{name}__en": text for name, text in texts.items()}


class TestScheduleForm:
    def test_asks_for_each_text_in_every_reader_language_with_its_visibility(self, as_anna, customer, file_server,
                                                                            english_reader):
        page = as_anna.get(reverse("incidents:maintenance_new"), {"customer": customer.pk}).text
        for name in ("title", "expected_impact", "customer_action"):
            assert f'name="{name}"' in page and f'name="{name}__en"' in page
        assert 'lang="en"' in page and 'lang="nl"' in page
        # Each version is one field (label, badge and input together) and says it is public.
        assert page.count('class="field lang-nl"') == page.count('class="field lang-en"') == 3
        assert page.count("visibility-public") == 6

    def test_one_language_only_when_every_reader_reads_the_customers(self, as_anna, customer, file_server):
        page = as_anna.get(reverse("incidents:maintenance_new"), {"customer": customer.pk}).text
        assert 'name="title"' in page and "__en" not in page and "__de" not in page

    def test_choosing_the_customer_with_htmx_brings_its_languages_and_keeps_what_was_typed(
            self, as_anna, customer, file_server, english_reader):
        response = as_anna.get(reverse("incidents:maintenance_component_fields"),
                               {"customer": customer.pk, "title": DUTCH["title"]}, **HTMX)
        assert "<html" not in response.text and 'id="maintenance-facts"' in response.text
        assert 'name="title__en"' in response.text and DUTCH["title"] in response.text
        assert f'value="{file_server.pk}"' in response.text

    def test_a_missing_language_stops_with_a_warning_and_writes_nothing(self, as_anna, customer, file_server,
                                                                       english_reader):
        response = as_anna.post(reverse("incidents:maintenance_new"),
                                form_data(customer, [file_server], **DUTCH, title__en=ENGLISH["title"]))
        assert response.status_code == 422 and Maintenance.objects.count() == 0
        [warning] = response.context["form"].non_field_errors()
        assert "No English version of: Expected impact, What users must do" in warning
        assert 'name="send_with_missing_languages"' in response.text

    def test_send_anyway_schedules_with_the_text_as_written_for_the_missing_language(
            self, as_anna, customer, file_server, english_reader):
        response = as_anna.post(reverse("incidents:maintenance_new"),
                                form_data(customer, [file_server], **DUTCH, title__en=ENGLISH["title"],
                                          send_with_missing_languages="on"))
        assert response.status_code == 302
        maintenance = Maintenance.objects.get()
        assert maintenance.title == DUTCH["title"]
        assert maintenance.translations == {"en": {"title": ENGLISH["title"]}}

    def test_every_language_given_schedules_and_stores_the_translations(self, as_anna, customer, file_server,
                                                                       english_reader):
        response = as_anna.post(reverse("incidents:maintenance_new"),
                                form_data(customer, [file_server], **DUTCH, **in_english(**ENGLISH)))
        assert response.status_code == 302
        maintenance = Maintenance.objects.get()
        assert (maintenance.title, maintenance.expected_impact, maintenance.customer_action) == tuple(DUTCH.values())
        assert maintenance.translations == {"en": ENGLISH}
        page = as_anna.get(response.url).text
        assert "English" in page and ENGLISH["expected_impact"] in page  # the detail shows the English version


class TestServiceKeepsTranslations:
    def test_schedule_stores_only_the_windows_texts_in_other_languages(self, clock, customer, file_server):
        maintenance, _warnings = schedule(customer, [file_server], translations={
            "en": {"title": " Firmware ", "business_impact": "not a maintenance text"},
            "nl": {"title": "the customer's own language is the field itself"},
            "xx": {"title": "no such language"}, "de": {"title": ""}})
        assert maintenance.translations == {"en": {"title": "Firmware"}}

    def test_edit_changes_what_it_is_given_and_keeps_the_rest(self, clock, customer, file_server):
        maintenance, _warnings = schedule(customer, [file_server], **DUTCH, translations={"en": ENGLISH})
        changed = maintenance_flow.edit_texts(
            maintenance=maintenance, title="Firmware-update firewall (2e poging)",
            translations={"en": {"title": "Firewall firmware update (second attempt)", "customer_action": ""},
                          "de": {"title": "Firewall-Firmware-Update"}})
        assert changed is True
        maintenance.refresh_from_db()
        assert maintenance.title == "Firmware-update firewall (2e poging)"
        assert maintenance.expected_impact == DUTCH["expected_impact"]  # None: kept
        assert maintenance.translations == {
            "en": {"title": "Firewall firmware update (second attempt)", "expected_impact": ENGLISH["expected_impact"]},
            "de": {"title": "Firewall-Firmware-Update"}}
        assert maintenance_flow.edit_texts(maintenance=maintenance, translations={"en": {}}) is False

    def test_a_closed_window_keeps_its_texts(self, clock, customer, file_server):
        maintenance, _warnings = schedule(customer, [file_server], **DUTCH)
        maintenance_flow.cancel(maintenance=maintenance)
        with pytest.raises(ValidationError):
            maintenance_flow.edit_texts(maintenance=maintenance, title="Something else")
        maintenance.refresh_from_db()
        assert maintenance.title == DUTCH["title"]


class TestEditTexts:
    @pytest.fixture
    def window(self, clock, customer, file_server, english_reader):
        maintenance, _warnings = schedule(customer, [file_server], starts_at=T0 + 8 * DAY, **DUTCH,
                                          translations={"en": ENGLISH})
        return maintenance

    def url(self, window) -> str:
        return reverse("incidents:maintenance_edit", args=[window.pk])

    def test_the_page_shows_each_text_in_each_language(self, as_anna, window):
        page = as_anna.get(reverse("incidents:maintenance_detail", args=[window.pk])).text
        assert self.url(window) in page
        page = as_anna.get(self.url(window)).text
        for text in (*DUTCH.values(), *ENGLISH.values()):
            assert text in page

    def test_a_field_the_page_did_not_show_is_not_wiped(self, as_anna, window):
        response = as_anna.post(self.url(window), {"title": "Firmware-update firewall en switches",
                                                   "title__en": "Firewall and switch firmware update"})
        assert response.status_code == 302
        window.refresh_from_db()
        assert window.title == "Firmware-update firewall en switches"
        assert window.expected_impact == DUTCH["expected_impact"]
        assert window.translations["en"] == ENGLISH | {"title": "Firewall and switch firmware update"}

    def test_changing_a_text_without_its_other_language_warns(self, as_anna, window):
        response = as_anna.post(self.url(window), {**DUTCH, **in_english(**ENGLISH),
                                                   "expected_impact": "Internet valt drie keer weg.",
                                                   "expected_impact__en": ""})
        assert response.status_code == 422
        assert "No English version of: Expected impact" in response.context["form"].non_field_errors()[0]
        window.refresh_from_db()
        assert window.expected_impact == DUTCH["expected_impact"]

    def test_adding_a_language_later_needs_no_confirmation(self, as_anna, customer, file_server, english_reader,
                                                          clock):
        bare, _warnings = schedule(customer, [file_server], **DUTCH)
        response = as_anna.post(reverse("incidents:maintenance_edit", args=[bare.pk]),
                                {**DUTCH, **in_english(**ENGLISH)}, follow=True)
        bare.refresh_from_db()
        assert bare.translations == {"en": ENGLISH}
        assert "Texts saved" in response.text

    def test_a_closed_window_is_refused_with_422(self, as_anna, window):
        maintenance_flow.cancel(maintenance=window)
        page = as_anna.get(reverse("incidents:maintenance_detail", args=[window.pk])).text
        assert self.url(window) not in page
        response = as_anna.post(self.url(window), {**DUTCH, "title": "Anders", "title__en": "Different"}, **HTMX)
        assert response.status_code == 422 and "<html" not in response.text
        assert "The window is closed" in response.text

    def test_another_account_managers_window_is_404(self, client, window, other_account_manager):
        client.force_login(other_account_manager)
        assert client.get(self.url(window)).status_code == 404
        assert client.post(self.url(window), {"title": "Hijacked"}).status_code == 404
