"""Date-time inputs in the console language's format (not the browser's): shown, read, refused."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from console.forms import ExtendDueForm, IncidentOpenForm, LocalDateTimeField, MaintenanceForm
from console.forms.datetimes import LocalDateTimeInput, format_date, parse_date
from incidents.models import Incident, Maintenance

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
HTMX = {"HTTP_HX_REQUEST": "true"}
WALL = datetime(2025, 5, 31, 14, 0)  # noqa: DTZ001 - what the user typed, read in the current zone


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


class TestField:
    @pytest.mark.parametrize(("language", "typed"), [
        ("nl", "31-05-2025 14:00"), ("de", "31.05.2025 14:00"), ("en", "31/05/2025 14:00"),
        ("nl", "2025-05-31T14:00"), ("de", "2025-05-31 14:00"), ("en", "2025-05-31T14:00"),
        ("nl", " 31-5-2025 14:00 "),  # spaces and an unpadded month are forgiven
        ("de", "31/05/2025 14:00"),   # another language's day-month-year is not ambiguous
    ])
    def test_reads_the_languages_format_and_iso(self, language, typed):
        with translation.override(language):
            assert naive(LocalDateTimeField().clean(typed)) == WALL

    @pytest.mark.parametrize(("language", "hint", "example"), [
        ("nl", "dd-mm-jjjj uu:mm", "31-05-2025 14:00"),
        ("de", "TT.MM.JJJJ hh:mm", "31.05.2025 14:00"),
        ("en", "dd/mm/yyyy hh:mm", "31/05/2025 14:00"),
    ])
    def test_shows_the_languages_format_with_a_placeholder(self, language, hint, example):
        with translation.override(language):
            html = LocalDateTimeInput().render("eta", WALL)
        assert 'type="text"' in html and f'value="{example}"' in html and f'placeholder="{hint}"' in html

    @pytest.mark.parametrize("typed", ["tomorrow", "31-13-2025 14:00", "05/31/2025 14:00", "31-05-25 14:00",
                                       "31-05-2025 25:00"])
    def test_a_bad_value_names_the_format(self, typed):
        with translation.override("nl"):
            field = LocalDateTimeField()
            with pytest.raises(Exception) as caught:
                field.clean(typed)
        [message] = caught.value.messages
        assert "dd-mm-jjjj uu:mm" in message and "31-05-2025 14:00" in message

    def test_dates_alone(self):
        with translation.override("de"):
            assert format_date(WALL.date()) == "31.05.2025"
        assert parse_date("31.05.2025") == parse_date("31-05-2025") == parse_date("2025-05-31") == WALL.date()
        assert parse_date("2025-02-30") is None


class TestForms:
    def test_no_console_form_uses_the_browsers_date_picker(self, customer, incident):
        forms = [IncidentOpenForm(customers=type(customer).objects.all()), ExtendDueForm(incident=incident),
                 MaintenanceForm(customers=type(customer).objects.all())]
        for form in forms:
            html = str(form)
            assert "datetime-local" not in html and 'type="date"' not in html

    def test_postpone_shows_its_suggestion_in_dutch(self, clock, incident):
        incident.refresh_from_db()
        zone = incident.customer_links.get().customer.tzinfo
        with translation.override("nl"), timezone.override(zone):  # the page renders it in the incident's zone
            html = str(ExtendDueForm(incident=incident)["until"])
        due = incident.next_update_due_at + timedelta(minutes=15)
        assert f'value="{due.astimezone(zone):%d-%m-%Y %H:%M}"' in html
        assert 'placeholder="dd-mm-jjjj uu:mm"' in html


class TestConsole:
    """Typed in the console's language, read in the customer's zone (Amsterdam)."""

    @pytest.fixture
    def as_anna(self, client, account_manager, settings):
        client.force_login(account_manager)
        return client

    @pytest.mark.parametrize(("language", "starts", "ends"), [
        ("nl", "05-12-2026 22:00", "06-12-2026 01:00"),
        ("de", "05.12.2026 22:00", "06.12.2026 01:00"),
        ("en", "05/12/2026 22:00", "06/12/2026 01:00"),
    ])
    def test_maintenance_window_typed_in_each_language(self, clock, as_anna, customer, file_server, settings,
                                                        language, starts, ends):
        as_anna.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = as_anna.post(reverse("incidents:maintenance_new"), {
            "customer": customer.pk, "title": "Firewall firmware", "starts_at": starts, "ends_at": ends,
            "components": [file_server.pk]})
        assert response.status_code == 302, response.context["form"].errors
        window = Maintenance.objects.get()
        assert window.starts_at == datetime(2026, 12, 5, 21, 0, tzinfo=UTC)  # 22:00 CET
        assert window.ends_at == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)

    def test_a_bad_value_is_a_field_error_with_422(self, clock, as_anna, customer, file_server, settings):
        as_anna.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
        response = as_anna.post(reverse("incidents:maintenance_new"), {
            "customer": customer.pk, "title": "Firewall firmware", "starts_at": "12/05/2026 10pm",
            "ends_at": "06.12.2026 01:00"}, **HTMX)
        assert response.status_code == 422
        [error] = response.context["form"].errors["starts_at"]
        assert "TT.MM.JJJJ hh:mm" in error and "31.05.2025 14:00" in error
        assert "12/05/2026 10pm" in response.text  # what was typed stays in the field
        assert not Maintenance.objects.exists()

    def test_opening_with_a_dutch_start_time(self, clock, as_anna, customer, file_server, settings):
        as_anna.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
        response = as_anna.post(reverse("incidents:open"), {
            "customer": customer.pk, "title": "Mail down", "category": "email", "severity": "high",
            "status": "investigating", "detected_by": "msp", "message": "We kijken ernaar.",
            "started_at": "23-11-2026 09:45", f"component_{file_server.pk}": "major_outage"})
        assert response.status_code == 302, response.context["form"].errors
        assert Incident.objects.get().started_at == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)

    def test_iso_from_an_old_bookmark_still_works(self, clock, as_anna, incident):
        response = as_anna.post(reverse("incidents:extend_due", args=[incident.pk]),
                                {"until": "2026-11-23T23:15", "reason": "Vendor arrives."})
        assert response.status_code == 302
