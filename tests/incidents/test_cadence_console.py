"""The console's cadence features: dashboard countdowns and acknowledgment timer, the incident page's
"Next update" panel, the new update-form facts, and the contract & cadence policy page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flows import incidents as incident_flow
from flows.maintenance import schedule as maintenance_schedule
from incidents import cadence
from incidents.models import Component, Customer, Incident
from tests.factories import CustomerFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
MINUTE = timedelta(minutes=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


def open_incident(customer, author=None, **overrides) -> Incident:
    arguments = {"customer": customer, "title": "Mail down", "category": "email", "severity": "critical",
                 "message": "We are looking into it.", "author": author} | overrides
    return incident_flow.open_incident(**arguments)


@pytest.fixture
def critical(clock, customer, account_manager):
    """Opened at T0, critical: the next update is due at T0 + 30 min (10:30 in Amsterdam)."""
    return open_incident(customer, account_manager, title="Mail down")


@pytest.fixture
def held(clock, customer, account_manager):
    """Opened at T0 for a customer whose contract wants the acknowledgment approved (target 15 min)."""
    Customer.objects.filter(pk=customer.pk).update(ack_requires_approval=True)
    customer.refresh_from_db()
    return open_incident(customer, account_manager, title="VPN down")


def detail(pk: int) -> str:
    return reverse("incidents:detail", args=[pk])


def update_form_data(incident, **overrides):
    """What the incident page's update form posts when nothing is touched."""
    data = {"message": "", "status": incident.status, "severity": incident.severity,
            "business_impact": incident.business_impact, "workaround": incident.workaround,
            "root_cause": incident.root_cause, "resolution_summary": incident.resolution_summary,
            "impact_flags_shown": "True"}
    for flag in ("external_impact", "personal_data_involved"):
        if getattr(incident, flag):
            data[flag] = "on"
    return data | overrides


class TestPermissions:
    """Every new console URL: anonymous → login, other account manager → 404, nothing written."""

    def test_anonymous_is_sent_to_login_and_nothing_is_written(self, client, held, customer):
        posts = [reverse("incidents:extend_due", args=[held.pk]), reverse("incidents:acknowledge", args=[held.pk]),
                 reverse("incidents:contract", args=[customer.slug])]
        for url in posts:
            response = client.post(url, {"until": "2026-11-23T12:00", "reason": "x", "cadence_critical_minutes": 5})
            assert response.status_code == 302 and response.url.startswith(reverse("login"))
        assert client.get(reverse("incidents:contract", args=[customer.slug])).status_code == 302
        held.refresh_from_db()
        assert held.acknowledged_at is None and held.updates.count() == 1

    def test_other_account_manager_gets_404_everywhere(self, client, other_account_manager, held, customer):
        client.force_login(other_account_manager)
        assert client.post(reverse("incidents:acknowledge", args=[held.pk])).status_code == 404
        assert client.post(reverse("incidents:extend_due", args=[held.pk]),
                           {"until": "2026-11-23T12:00", "reason": "x"}).status_code == 404
        assert client.get(reverse("incidents:contract", args=[customer.slug])).status_code == 404
        assert client.post(reverse("incidents:contract", args=[customer.slug]), {}).status_code == 404
        held.refresh_from_db()
        assert held.acknowledged_at is None and held.updates.count() == 1

    @pytest.mark.parametrize("persona", ["account_manager", "manager"])
    def test_assigned_account_manager_and_manager_act(self, client, held, persona, request):
        client.force_login(request.getfixturevalue(persona))
        assert client.post(reverse("incidents:acknowledge", args=[held.pk])).status_code == 302
        response = client.post(reverse("incidents:extend_due", args=[held.pk]),
                               {"until": "2026-11-23T11:00", "reason": "Vendor on site at 11."})
        assert response.status_code == 302
        held.refresh_from_db()
        assert held.acknowledged_at == T0 and held.next_update_due_at == T0 + 60 * MINUTE


class TestDashboardCountdowns:
    def test_countdown_before_the_due_time(self, as_anna, critical):
        page = as_anna.get(reverse("incidents:dashboard")).text
        assert "10:30" in page and '<span class="countdown">in 30 min</span>' in page
        assert "due soon" not in page

    def test_due_soon_within_the_reminder_time(self, as_anna, critical, clock):
        clock.move_to(T0 + 21 * MINUTE)  # 9 minutes left; the contract reminds 10 minutes before
        page = as_anna.get(reverse("incidents:dashboard"), **HTMX).text
        assert "in 9 min" in page and 'class="badge due-soon"' in page

    def test_overdue_in_red(self, as_anna, critical, clock):
        clock.move_to(T0 + 37 * MINUTE + 30 * timedelta(seconds=1))
        page = as_anna.get(reverse("incidents:dashboard"), **HTMX).text
        assert '<span class="countdown overdue">overdue 7 min</span>' in page
        assert '<tr class="late">' in page and "due soon" not in page

    def test_the_refreshed_partial_keeps_polling(self, as_anna, critical):
        response = as_anna.get(reverse("incidents:dashboard"), **HTMX)
        assert "<html" not in response.text
        assert 'id="incident-tables"' in response.text and 'hx-trigger="every 30s"' in response.text


class TestDashboardAcknowledgment:
    def test_timer_against_the_contract_target(self, as_anna, critical, held, clock):
        clock.move_to(T0 + 6 * MINUTE)
        page = as_anna.get(reverse("incidents:dashboard")).text
        section = page.split('id="ack-heading"')[1].split("</section>")[0]
        assert "VPN down" in section and "Mail down" not in section  # the other one went out at opening
        assert "detected 6 min ago, target 15 min" in section and "9 min left" in section
        assert "Approve acknowledgment" in section

    def test_past_the_target_in_red(self, as_anna, held, clock):
        clock.move_to(T0 + 20 * MINUTE)
        page = as_anna.get(reverse("incidents:dashboard"), **HTMX).text
        assert '<span class="countdown overdue">5 min past the target</span>' in page

    def test_approve_with_htmx_refreshes_the_tables(self, as_anna, held, clock):
        clock.move_to(T0 + 4 * MINUTE)
        response = as_anna.post(reverse("incidents:acknowledge", args=[held.pk]), {"from": "dashboard"}, **HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="incident-tables"' in response.text
        assert "Awaiting acknowledgment" not in response.text
        held.refresh_from_db()
        assert held.acknowledged_at == T0 + 4 * MINUTE

    def test_approve_without_javascript_returns_to_the_dashboard(self, as_anna, held):
        response = as_anna.post(reverse("incidents:acknowledge", args=[held.pk]), {"from": "dashboard"})
        assert response.status_code == 302 and response.url == reverse("incidents:dashboard")
        held.refresh_from_db()
        assert held.acknowledged_at is not None


def _busy_world(count: int, manager, account_manager, customer):
    """``count`` open incidents over two customers: unacknowledged ones, clocks, a shared incident, maintenance."""
    nis2 = CustomerFactory(slug="nis2-co", incident_prefix="NIS", nis2_applies=True, ack_requires_approval=True)
    nis2.account_managers.add(account_manager)
    component, _created = Component.objects.get_or_create(customer=customer, name="Core switch")
    for n in range(count):
        owner = customer if n % 2 else nis2
        incident = open_incident(owner, manager, title=f"Incident {n}", personal_data_involved=True,
                                 component_statuses={component: "degraded_performance"} if owner == customer else {})
        if n == 2:
            incident_flow.add_customer(incident=incident, customer=customer, author=manager)
    resolved = open_incident(customer, manager, title="Old one")
    incident_flow.post_update(incident=resolved, author=manager, status="resolved", message="Fixed.")
    maintenance_schedule(customer=customer, title="Switch firmware", components=[component],
                         starts_at=T0 + 2 * timedelta(days=1), ends_at=T0 + timedelta(days=2, hours=1), author=None)


@pytest.mark.parametrize("persona", ["manager", "account_manager"])
def test_dashboard_query_count_does_not_grow_with_incidents(client, clock, manager, account_manager, customer,
                                                            persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    def count_queries(incidents: int) -> tuple[int, str]:
        Incident.objects.all().delete()
        _busy_world(incidents, manager, account_manager, customer)
        cache.clear()  # the failed-delivery count of the banner is cached: count it in both runs
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("incidents:dashboard")).text
        return len(queries), page

    few, few_page = count_queries(1)
    many, many_page = count_queries(6)
    assert "Incident 5" in many_page and "Regulatory clocks" in many_page and "Switch firmware" in many_page
    assert many_page.count("Approve acknowledgment") == 3  # the NIS2 customer's incidents 0, 2, 4
    assert few == many


class TestIncidentPagePanel:
    def test_next_update_in_the_customers_zone_with_countdown(self, as_anna, critical):
        page = as_anna.get(detail(critical.pk)).text
        panel = page.split('id="next-heading"')[1].split("</section>")[0]
        assert "Mon 23 Nov, 10:30 CET" in panel and "in 30 min" in panel and "Postpone" in panel
        assert "Approve acknowledgment" not in panel

    def test_the_timers_refresh_themselves(self, as_anna, critical, clock):
        page = as_anna.get(detail(critical.pk)).text
        assert 'hx-select="#incident-timers"' in page
        clock.move_to(T0 + 40 * MINUTE)
        partial = as_anna.get(detail(critical.pk), **HTMX).text
        assert 'id="incident-timers"' in partial and "overdue 10 min" in partial

    def test_postpone_typed_in_the_customers_zone_is_logged_on_the_timeline(self, as_anna, critical):
        response = as_anna.post(reverse("incidents:extend_due", args=[critical.pk]),
                                {"until": "2026-11-23T11:15", "reason": "Vendor engineer arrives at 11:00."})
        assert response.status_code == 302
        critical.refresh_from_db()
        assert critical.next_update_due_at == datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
        page = as_anna.get(detail(critical.pk)).text
        assert "Next update postponed" in page and "Vendor engineer arrives at 11:00." in page
        assert "The next public update was postponed. Reason:" in page

    @pytest.mark.parametrize("data,field", [
        ({"until": "", "reason": "Waiting."}, "until"),
        ({"until": "tomorrow-ish", "reason": "Waiting."}, "until"),
        ({"until": "2026-11-23T09:00", "reason": "Waiting."}, "until"),   # in the past (service)
        ({"until": "2026-11-23T10:20", "reason": "Waiting."}, "until"),   # before the current due time
        ({"until": "2026-11-23T11:00", "reason": "  "}, "reason"),        # no reason (service)
    ])
    def test_bad_postpone_is_422_naming_the_field_and_writes_nothing(self, as_anna, critical, data, field):
        response = as_anna.post(reverse("incidents:extend_due", args=[critical.pk]), data, **HTMX)
        assert response.status_code == 422
        assert field in response.context["extend_form"].errors
        assert "<html" not in response.text and "<details open>" in response.text
        critical.refresh_from_db()
        assert critical.next_update_due_at == T0 + 30 * MINUTE and critical.updates.count() == 1

    def test_htmx_postpone_returns_the_live_partial(self, as_anna, critical):
        response = as_anna.post(reverse("incidents:extend_due", args=[critical.pk]),
                                {"until": "2026-11-23T11:00", "reason": "Waiting for parts."}, **HTMX)
        assert response.status_code == 200
        assert 'id="incident-live"' in response.text and "Waiting for parts." in response.text
        assert "Mon 23 Nov, 11:00 CET" in response.text

    def test_approve_acknowledgment_while_unacknowledged(self, as_anna, held, clock):
        clock.move_to(T0 + 3 * MINUTE)
        page = as_anna.get(detail(held.pk)).text
        assert "Acknowledgment awaits your approval." in page and "12 min left" in page
        response = as_anna.post(reverse("incidents:acknowledge", args=[held.pk]), **HTMX)
        assert response.status_code == 200 and 'id="incident-live"' in response.text
        assert "Acknowledgment awaits your approval." not in response.text
        assert "The held acknowledgment was approved and sent." in response.text
        as_anna.post(reverse("incidents:acknowledge", args=[held.pk]))
        assert held.updates.filter(kind="acknowledged").count() == 1

    def test_holding_updates_are_marked_automatic(self, as_anna, critical, clock):
        clock.move_to(T0 + 31 * MINUTE)
        cadence.incident_post_holding(incident=critical, message="We are still working on it.")
        page = as_anna.get(detail(critical.pk)).text
        entry = page.split('class="entry holding"')[1].split("</li>")[0]
        assert "Holding update (automatic)" in entry and '<span class="badge automatic">' in entry

    def test_resolved_incident_has_no_postpone_or_approval(self, as_anna, held):
        incident_flow.post_update(incident=held, author=None, status="resolved", message="Fixed.")
        page = as_anna.get(detail(held.pk)).text
        assert "Resolved: no further update is due." in page
        assert "Postpone the update" not in page and "Approve acknowledgment" not in page


class TestUpdateFormFacts:
    def test_untouched_new_fields_change_nothing(self, as_anna, incident):
        response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                                update_form_data(incident, message="Still on it."))
        assert response.status_code == 302
        assert incident.updates.first().facts_changed == []

    def test_business_impact_change_is_passed_and_recorded(self, as_anna, incident):
        as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                     update_form_data(incident, message="Sales affected too.", is_internal="on",
                                      business_impact="Production planning and sales are down."))
        incident.refresh_from_db()
        assert incident.business_impact == "Production planning and sales are down."
        assert incident.updates.first().facts_changed == ["business_impact"]

    def test_external_impact_shows_the_communication_prompt(self, as_anna, incident):
        assert "External communication" not in as_anna.get(detail(incident.pk)).text
        response = as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                                update_form_data(incident, external_impact="on"), **HTMX)
        assert response.status_code == 200
        assert "External communication" in response.text
        assert "Decide who informs the customer's own customers and the press." in response.text
        incident.refresh_from_db()
        assert incident.external_impact is True

    def test_unticking_a_shown_flag_clears_it(self, as_anna, incident):
        Incident.objects.filter(pk=incident.pk).update(external_impact=True)
        incident.refresh_from_db()
        data = update_form_data(incident)
        data.pop("external_impact")
        as_anna.post(reverse("incidents:post_update", args=[incident.pk]), data)
        incident.refresh_from_db()
        assert incident.external_impact is False

    def test_a_client_that_does_not_show_the_flags_leaves_them(self, as_anna, incident):
        Incident.objects.filter(pk=incident.pk).update(external_impact=True)
        as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                     {"message": "Disk replaced.", "status": "investigating", "severity": "critical"})
        incident.refresh_from_db()
        assert incident.external_impact is True
        assert incident.business_impact == "Production planning is down."

    def test_personal_data_from_the_update_form_starts_the_clocks(self, as_anna, incident):
        as_anna.post(reverse("incidents:post_update", args=[incident.pk]),
                     update_form_data(incident, personal_data_involved="on"))
        assert list(incident.regulatory_clocks.values_list("regime", flat=True)) == ["gdpr"]
        assert "Regulatory clocks" in as_anna.get(detail(incident.pk)).text

    def test_the_composer_shares_the_new_facts(self, as_anna, incident):
        page = as_anna.get(reverse("comms:compose", args=[incident.pk])).text
        assert "Impact, workaround, root cause, resolution" in page
        assert 'name="business_impact"' in page and 'name="external_impact"' in page


class TestContractPage:
    def url(self, customer):
        return reverse("incidents:contract", args=[customer.slug])

    def valid(self, **overrides):
        data = {"ack_target_minutes": 10, "cadence_critical_minutes": 20, "cadence_high_minutes": 45,
                "cadence_medium_minutes": 120, "cadence_low_minutes": 240, "cadence_monitoring_minutes": 90,
                "holding_updates": "on", "reminder_minutes_before": 5, "overdue_escalation_minutes": 15,
                "escalate_after_hours": 4, "status_page_public": "on", "report_delivery": "link"}
        return data | overrides

    def test_account_manager_reads_the_policy_but_cannot_change_it(self, as_anna, customer):
        page = as_anna.get(self.url(customer)).text
        assert "Contract & cadence policy" in page and "Save contract terms" not in page
        assert "Only managers can change the contract terms." in page
        response = as_anna.post(self.url(customer), self.valid())
        assert response.status_code == 403
        customer.refresh_from_db()
        assert customer.cadence_critical_minutes == 30

    def test_cadence_table_per_severity_and_phase(self, as_anna, customer):
        page = as_anna.get(self.url(customer)).text
        rows = page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
        critical = next(row for row in rows if "severity-critical" in row)
        low = next(row for row in rows if "severity-low" in row)
        # Critical: 30 while investigating/identified, max(30, 120) = 120 while monitoring, stop when resolved.
        assert critical.count("every 30 min") == 2 and "every 120 min" in critical and "stop" in critical
        assert low.count("every 240 min") == 3  # low's 240 is longer than the monitoring 120

    def test_manager_changes_the_terms(self, client, manager, customer):
        client.force_login(manager)
        assert "Save contract terms" in client.get(self.url(customer)).text
        response = client.post(self.url(customer), self.valid(ack_requires_approval="on"))
        assert response.status_code == 302 and response.url == self.url(customer)
        customer.refresh_from_db()
        assert (customer.cadence_critical_minutes, customer.ack_target_minutes) == (20, 10)
        assert customer.ack_requires_approval is True and customer.nis2_applies is False
        assert "every 90 min" in client.get(self.url(customer)).text  # high's 45 while monitoring: max(45, 90)

    @pytest.mark.parametrize("field,value", [
        ("cadence_critical_minutes", 4),        # model minimum
        ("ack_target_minutes", "abc"),
        ("escalate_after_hours", 0),            # contract minimum (service)
        ("reminder_minutes_before", 20),        # not less than the shortest cadence (service)
        ("cadence_monitoring_minutes", ""),
    ])
    def test_bad_terms_are_422_naming_the_field_and_save_nothing(self, client, manager, customer, field, value):
        client.force_login(manager)
        response = client.post(self.url(customer), self.valid(**{field: value}))
        assert response.status_code == 422
        assert field in response.context["form"].errors
        customer.refresh_from_db()
        assert (customer.cadence_critical_minutes, customer.ack_target_minutes) == (30, 15)
        assert "every 30 min" in response.text  # the table shows the saved terms, not the rejected ones

    def test_htmx_error_swaps_the_form_and_success_redirects(self, client, manager, customer):
        client.force_login(manager)
        response = client.post(self.url(customer), self.valid(cadence_high_minutes=1), **HTMX)
        assert response.status_code == 422
        assert "<html" not in response.text and 'id="contract-form"' in response.text
        assert "greater than or equal to 5" in response.text
        response = client.post(self.url(customer), self.valid(), **HTMX)
        assert response.status_code == 200 and response.headers["HX-Redirect"] == self.url(customer)

    def test_unknown_customer_is_404(self, client, manager):
        client.force_login(manager)
        assert client.get(reverse("incidents:contract", args=["nobody"])).status_code == 404

    def test_manager_chooses_the_report_as_attachment(self, client, manager, customer):
        client.force_login(manager)
        response = client.post(self.url(customer), self.valid(report_delivery="attachment"))
        assert response.status_code == 302
        customer.refresh_from_db()
        assert customer.report_delivery == "attachment"
        response = client.post(self.url(customer), self.valid(report_delivery="carrier-pigeon"))
        assert response.status_code == 422 and "report_delivery" in response.context["form"].errors
        customer.refresh_from_db()
        assert customer.report_delivery == "attachment"
