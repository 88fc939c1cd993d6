"""The console: personas, the open form, the incident page with and without htmx."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from incidents.models import Incident
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


def open_form_data(chosen, **overrides):
    return {"customer": chosen.pk, "title": "Mail is down", "category": "email", "severity": "high",
            "status": "investigating", "detected_by": "msp", "message": "We are on it."} | overrides


class TestPermissions:
    """Assigned account manager, other account manager, manager, anonymous, staff without customers."""

    def test_anonymous_is_sent_to_login(self, client, incident):
        for url in [reverse("incidents:dashboard"), reverse("incidents:open"),
                    reverse("incidents:detail", args=[incident.pk])]:
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_anonymous_post_writes_nothing(self, client, incident):
        response = client.post(reverse("incidents:post_update", args=[incident.pk]), {"message": "x"})
        assert response.status_code == 302
        assert incident.updates.count() == 1

    def test_assigned_account_manager_sees_and_acts(self, as_anna, incident):
        assert incident.title in as_anna.get(reverse("incidents:dashboard")).text
        response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                                {"message": "Disk replaced.", "status": "identified", "severity": "critical"})
        assert response.status_code == 302
        assert incident.updates.count() == 2

    def test_other_account_manager_gets_404_and_writes_nothing(self, client, other_account_manager, incident):
        client.force_login(other_account_manager)
        assert incident.title not in client.get(reverse("incidents:dashboard")).text
        assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
        response = client.post(reverse("incidents:post_update", args=[incident.pk]),
                               {"message": "hijack", "status": "investigating", "severity": "low"})
        assert response.status_code == 404
        assert incident.updates.count() == 1

    def test_other_account_manager_cannot_open_for_a_customer_not_theirs(self, client, other_account_manager,
                                                                          customer):
        client.force_login(other_account_manager)
        response = client.post(reverse("incidents:open"), open_form_data(customer))
        assert response.status_code == 422
        assert "customer" in response.context["form"].errors
        assert Incident.objects.count() == 0

    def test_manager_sees_everything(self, client, manager, incident):
        client.force_login(manager)
        assert incident.title in client.get(reverse("incidents:dashboard")).text
        assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 200

    def test_logged_in_user_without_customers_is_forbidden(self, client, db):
        client.force_login(UserFactory(username="nobody", is_staff=False))
        assert client.get(reverse("incidents:dashboard")).status_code == 403


class TestOpenIncident:
    def test_form_lists_only_the_users_customers(self, as_anna, customer, other_customer):
        page = as_anna.get(reverse("incidents:open")).text
        assert customer.name in page and other_customer.name not in page

    def test_component_fields_for_the_chosen_customer(self, as_anna, customer, file_server, erp):
        response = as_anna.get(reverse("incidents:component_fields"), {"customer": customer.pk}, **HTMX)
        assert f'name="component_{file_server.pk}"' in response.text
        assert "<html" not in response.text

    def test_component_fields_ignore_foreign_or_garbage_customer(self, as_anna, other_customer):
        for value in [other_customer.pk, "abc", ""]:
            response = as_anna.get(reverse("incidents:component_fields"), {"customer": value}, **HTMX)
            assert response.status_code == 200 and 'name="component_' not in response.text

    def test_open_redirects_to_the_incident_page(self, as_anna, customer, file_server, time_machine):
        time_machine.move_to(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), tick=False)  # 10:00 in Amsterdam
        data = open_form_data(customer, **{f"component_{file_server.pk}": "major_outage"},
                              started_at="2026-11-23T09:30", eta="2026-11-23T14:00")
        response = as_anna.post(reverse("incidents:open"), data)
        incident = Incident.objects.get()
        assert response.status_code == 302 and response.url == reverse("incidents:detail", args=[incident.pk])
        assert incident.affected.get().status == "major_outage"
        # 09:30 typed for an Amsterdam customer is 08:30 UTC in November.
        assert incident.started_at.isoformat() == "2026-11-23T08:30:00+00:00"
        page = as_anna.get(response.url).text
        assert incident.first_link.number in page and "14:00" in page

    @pytest.mark.parametrize("field,value", [
        ("title", ""), ("title", "x" * 201), ("severity", "apocalyptic"), ("category", "plumbing"),
        ("status", "resolved"), ("message", ""), ("started_at", "yesterday"), ("customer", "999999"),
    ])
    def test_bad_input_is_shown_and_writes_nothing(self, as_anna, customer, field, value):
        response = as_anna.post(reverse("incidents:open"), open_form_data(customer, **{field: value}))
        assert response.status_code == 422
        assert field in response.context["form"].errors
        assert Incident.objects.count() == 0

    def test_bad_component_status_is_refused(self, as_anna, customer, file_server):
        response = as_anna.post(reverse("incidents:open"),
                                open_form_data(customer, **{f"component_{file_server.pk}": "on_fire"}))
        assert response.status_code == 422 and Incident.objects.count() == 0

    def test_no_javascript_customer_pick_shows_components_without_opening(self, as_anna, customer, file_server):
        response = as_anna.post(reverse("incidents:open"), {"customer": customer.pk, "pick_customer": "1"})
        assert f'name="component_{file_server.pk}"' in response.text
        assert Incident.objects.count() == 0


class TestIncidentPage:
    def test_htmx_update_returns_the_live_partial_with_the_new_entry(self, as_anna, incident):
        response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                                {"message": "Replacement disk arrived.", "status": "identified",
                                 "severity": "critical"}, **HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="incident-live"' in response.text
        assert "Replacement disk arrived." in response.text

    def test_htmx_error_is_shown_in_place_with_422(self, as_anna, incident):
        response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                                {"message": "", "status": "resolved", "severity": "critical"}, **HTMX)
        assert response.status_code == 422
        assert "Resolving needs a public message" in response.text
        incident.refresh_from_db()
        assert incident.status == "investigating"

    def test_internal_note_is_marked_internal(self, as_anna, incident):
        as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                     {"message": "Vendor ticket 123", "is_internal": "on", "status": "investigating",
                      "severity": "critical"})
        note = incident.updates.first()
        assert note.is_internal and note.kind == "note"

    def test_unchanged_selects_do_not_count_as_changes(self, as_anna, incident, file_server, erp):
        response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]), {
            "message": "", "status": "investigating", "severity": "critical",
            f"component_{file_server.pk}": "major_outage", f"component_{erp.pk}": "partial_outage",
        })
        assert response.status_code == 422
        assert incident.updates.count() == 1

    def test_resolve_and_reopen_through_the_page(self, as_anna, incident):
        as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                     {"message": "All back.", "status": "resolved", "severity": "critical"})
        incident.refresh_from_db()
        assert incident.status == "resolved"
        page = as_anna.get(reverse("incidents:detail", args=[incident.pk])).text
        assert "Reopen incident" in page
        as_anna.post(reverse("incidents:reopen", args=[incident.pk]), {"message": "Down again."})
        incident.refresh_from_db()
        assert incident.status == "investigating" and incident.reopen_count == 1

    def test_add_customer_in_the_console(self, client, manager, incident, other_customer):
        client.force_login(manager)
        url = reverse("incidents:add_customer", args=[incident.pk])
        # Northwind reads English and the incident is written in Dutch: first the English texts.
        response = client.post(url, {"customer": other_customer.pk})
        assert response.status_code == 422 and "No English version" in response.text
        assert not incident.customer_links.filter(customer=other_customer).exists()
        client.post(url, {"customer": other_customer.pk, "title__en": "Server outage",
                          "business_impact__en": "Production planning is down."})
        assert incident.customer_links.filter(customer=other_customer).exists()
        incident.refresh_from_db()
        assert incident.translations["en"]["title"] == "Server outage"

    def test_account_manager_cannot_add_a_customer_they_do_not_manage(self, as_anna, incident, other_customer):
        response = as_anna.post(reverse("incidents:add_customer", args=[incident.pk]),
                                {"customer": other_customer.pk})
        assert response.status_code == 422
        assert incident.customer_links.count() == 1

    def test_user_text_is_escaped(self, as_anna, incident):
        as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                     {"message": "<script>alert(1)</script>", "status": "investigating", "severity": "critical"})
        page = as_anna.get(reverse("incidents:detail", args=[incident.pk])).text
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page

    def test_dashboard_poll_returns_partial(self, as_anna, incident):
        response = as_anna.get(reverse("incidents:dashboard"), **HTMX)
        assert "<html" not in response.text and incident.title in response.text

    def test_pages_carry_a_strict_csp(self, as_anna, incident):
        response = as_anna.get(reverse("incidents:detail", args=[incident.pk]))
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp


class TestSeverityPills:
    """Pills carry the short label (the full one is the title); they never wrap."""

    @pytest.mark.parametrize(("language", "short"), [("en", "Critical"), ("nl", None), ("de", None)])
    def test_short_label_in_pills_everywhere(self, client, account_manager, incident, customer, settings, language,
                                             short):
        import re

        from django.utils import translation

        from incidents.models import Severity

        with translation.override(language):
            full = str(Severity.CRITICAL.label)
        short = short or full.split(" – ")[0]
        client.force_login(account_manager)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        pages = [reverse("incidents:dashboard"), reverse("incidents:detail", args=[incident.pk]),
                 reverse("incidents:contract", args=[customer.slug]), reverse("reports:review", args=[incident.pk])]
        for url in pages:
            html = client.get(url).text
            pills = re.findall(r'<span class="badge severity-critical"[^>]*>([^<]*)</span>', html)
            assert pills and set(pills) == {short}, (url, pills)
            assert f'title="{full}"' in html, url

    def test_pills_do_not_wrap(self):
        from pathlib import Path

        from django.conf import settings

        css = (Path(settings.BASE_DIR) / "static/css/console.css").read_text()
        badge = css.split(".badge {", 1)[1].split("}", 1)[0]
        assert "white-space: nowrap" in badge
