"""The communication log, the delivery page, the CSV export, and the delivery alerts.

Deliveries are written directly (the sending pipeline is not the subject here). Personas:
anna manages MidSize, otto manages Northwind, maria the manager sees both.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comms.models import Communication, Delivery, DeliveryAttempt, EndpointHealth, Stakeholder
from console.context_processors import delivery_alerts
from incidents.models import CustomerIncident, Incident
from incidents.selectors import VIEW_ALL_PERMISSION

HTMX = {"HTTP_HX_REQUEST": "true"}
TEAMS_URL = "https://midsize.webhook.office.com/webhookb2/abc"
PROCESSOR = "console.context_processors.delivery_alerts"
ALERTS_INCLUDE = '{% include "comms/_alerts.html" %}'


def make_incident(customer, *, number: str, title: str = "Server outage") -> Incident:
    now = timezone.now()
    incident = Incident.objects.create(title=title, category="server", severity="critical", started_at=now,
                                       detected_at=now)
    CustomerIncident.objects.create(incident=incident, customer=customer, number=number)
    return incident


def make_delivery(customer, *, incident=None, kind="update", audience="technical", language="nl",
                  channel="email", address="it@midsize.example", state="sent", last_error="",
                  subject="Update on the outage", body="All is well.", age=None) -> Delivery:
    now = timezone.now()
    communication = Communication.objects.create(
        incident=incident, customer=customer, kind=kind, audience=audience, language=language, subject=subject,
        body_text=body, body_html="", short_text=body[:100], send_at=now, state="done",
    )
    delivery = Delivery.objects.create(communication=communication, channel=channel, address=address, state=state,
                                       attempts=1, last_error=last_error, next_attempt_at=now)
    if age is not None:
        Delivery.objects.filter(pk=delivery.pk).update(created_at=now - age)
    return delivery


def shown_pks(response) -> list[int]:
    return [delivery.pk for delivery in response.context["page"].items]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def outage(customer):
    return make_incident(customer, number="MSM-2025-0531-001")


@pytest.fixture
def mine(customer, outage):
    return make_delivery(customer, incident=outage)


@pytest.fixture
def theirs(other_customer):
    incident = make_incident(other_customer, number="NWL-2025-0531-001", title="Northwind mail")
    return make_delivery(other_customer, incident=incident, address="ops@northwind.example")


class TestScope:
    def test_anonymous_is_sent_to_login(self, client, mine):
        for url in [reverse("comms:log"), reverse("comms:log_csv"), reverse("comms:delivery", args=[mine.pk]),
                    reverse("comms:incident_log", args=[mine.communication.incident_id])]:
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_account_manager_sees_only_her_customers(self, as_anna, mine, theirs):
        response = as_anna.get(reverse("comms:log"))
        assert shown_pks(response) == [mine.pk]
        assert "ops@northwind.example" not in response.text

    def test_other_account_manager_sees_none_of_it(self, client, other_account_manager, mine, theirs):
        client.force_login(other_account_manager)
        assert shown_pks(client.get(reverse("comms:log"))) == [theirs.pk]
        assert client.get(reverse("comms:delivery", args=[mine.pk])).status_code == 404
        assert client.get(reverse("comms:incident_log", args=[mine.communication.incident_id])).status_code == 404
        exported = csv_rows(client.get(reverse("comms:log_csv")))
        assert [row[1] for row in exported[1:]] == ["Northwind Ltd"]

    def test_manager_sees_every_customer(self, client, manager, mine, theirs):
        client.force_login(manager)
        assert set(shown_pks(client.get(reverse("comms:log")))) == {mine.pk, theirs.pk}

    def test_foreign_customer_filter_is_ignored_not_obeyed(self, as_anna, mine, theirs):
        response = as_anna.get(reverse("comms:log"), {"customer": "northwind"})
        assert "customer" in response.context["form"].errors
        assert shown_pks(response) == [mine.pk]


class TestLogPage:
    @pytest.fixture
    def spread(self, customer, other_customer, outage, account_manager):
        other_customer.account_managers.add(account_manager)
        second = make_incident(customer, number="MSM-2025-0601-001", title="Mail")
        return {
            "failed": make_delivery(customer, incident=outage, state="failed", last_error="550 no such user"),
            "sms": make_delivery(customer, incident=outage, channel="sms", address="+31612345678"),
            "executive": make_delivery(customer, incident=outage, audience="executive", address="ceo@midsize.example"),
            "resolution": make_delivery(customer, incident=second, kind="resolution", address="x@midsize.example"),
            "northwind": make_delivery(other_customer, address="ops@northwind.example"),
            "old": make_delivery(customer, address="old@midsize.example", age=timedelta(days=10)),
        }

    @pytest.mark.parametrize(("query", "expected"), [
        ({"state": "failed"}, ["failed"]),
        ({"channel": "sms"}, ["sms"]),
        ({"audience": "executive"}, ["executive"]),
        ({"kind": "resolution"}, ["resolution"]),
        ({"number": "0601"}, ["resolution"]),
        ({"customer": "northwind"}, ["northwind"]),
        ({"customer": "midsize", "state": "sent", "channel": "email", "audience": "technical", "kind": "update",
          "period": "7"}, []),
        ({"period": "7", "audience": "technical", "customer": "midsize", "channel": "email", "kind": "update"},
         ["failed"]),
    ])
    def test_filters(self, as_anna, spread, query, expected):
        response = as_anna.get(reverse("comms:log"), query)
        assert sorted(shown_pks(response)) == sorted(spread[name].pk for name in expected)

    def test_newest_first_and_old_rows_without_period(self, as_anna, spread):
        pks = shown_pks(as_anna.get(reverse("comms:log")))
        assert len(pks) == 6
        assert pks[-1] == spread["old"].pk

    def test_failed_rows_stand_out_with_class_and_text(self, as_anna, spread):
        html = as_anna.get(reverse("comms:log"), {"channel": "email", "audience": "technical"}).text
        assert html.count('class="delivery-row failed"') == 1
        assert "Failed" in html and "550 no such user" in html

    def test_phone_numbers_are_masked(self, as_anna, spread):
        html = as_anna.get(reverse("comms:log"), {"channel": "sms"}).text
        assert "*********678" in html
        assert "+31612345678" not in html

    def test_htmx_gets_the_table_partial(self, as_anna, spread):
        response = as_anna.get(reverse("comms:log"), {"state": "failed"}, **HTMX)
        assert response.text.lstrip().startswith('<div id="log-table">')
        assert "<html" not in response.text and "550 no such user" in response.text

    def test_filter_form_is_htmx_and_plain_get(self, as_anna, spread):
        html = as_anna.get(reverse("comms:log")).text
        assert 'method="get"' in html and 'hx-push-url="true"' in html and 'hx-target="#log-table"' in html

    def test_pages_of_fifty(self, as_anna, customer):
        for index in range(55):
            make_delivery(customer, address=f"user{index}@midsize.example")
        first = as_anna.get(reverse("comms:log"))
        older = first.context["page"].older
        assert f"?older={older}" in first.text, "the Older link carries the last row's cursor"
        second = as_anna.get(reverse("comms:log"), {"older": older})
        assert len(shown_pks(first)) == 50 and len(shown_pks(second)) == 5
        assert set(shown_pks(first)).isdisjoint(shown_pks(second))
        assert shown_pks(first) + shown_pks(second) == sorted(shown_pks(first) + shown_pks(second), reverse=True)
        back = as_anna.get(reverse("comms:log"), {"newer": second.context["page"].newer})
        assert shown_pks(back) == shown_pks(first), "Newer leads back to the same first page"

    def test_a_broken_cursor_is_a_400_naming_it(self, as_anna, customer):
        response = as_anna.get(reverse("comms:log"), {"older": "20261207T010203.000000_x\x00"})
        assert response.status_code == 400 and "older" in response.text

    def test_query_count_does_not_grow_with_rows(self, as_anna, customer, outage):
        def count_for(rows: int) -> int:
            Delivery.objects.all().delete()
            for index in range(rows):
                make_delivery(customer, incident=outage, address=f"u{index}@midsize.example")
            as_anna.get(reverse("comms:log"))  # the banner's failure count is cached from here on
            with CaptureQueriesContext(connection) as queries:
                response = as_anna.get(reverse("comms:log"))
            assert len(shown_pks(response)) == rows
            return len(queries)

        assert count_for(5) == count_for(25)


class TestIncidentLog:
    def test_only_this_incident_with_header_and_way_back(self, as_anna, customer, mine, outage):
        other = make_delivery(customer, incident=make_incident(customer, number="MSM-2025-0601-002"))
        response = as_anna.get(reverse("comms:incident_log", args=[outage.pk]))
        assert shown_pks(response) == [mine.pk]
        assert other.pk not in shown_pks(response)
        assert "MSM-2025-0531-001" in response.text
        assert f'href="{reverse("incidents:detail", args=[outage.pk])}"' in response.text

    def test_export_link_keeps_the_incident(self, as_anna, mine, outage):
        html = as_anna.get(reverse("comms:incident_log", args=[outage.pk])).text
        assert f'{reverse("comms:log_csv")}?incident={outage.pk}' in html


class TestCsvExport:
    def test_streams_an_attachment_with_the_columns(self, as_anna, mine):
        response = as_anna.get(reverse("comms:log_csv"))
        assert response.streaming
        assert response["Content-Type"].startswith("text/csv")
        today = timezone.localdate().strftime("%Y%m%d")
        assert response["Content-Disposition"] == f'attachment; filename="kalm-communications-{today}.csv"'
        header, row = csv_rows(response)
        assert header == ["time", "customer", "incident", "kind", "audience", "language", "channel", "address",
                          "state", "attempts", "last_error", "subject", "message_id", "deferred_until", "superseded_by"]
        assert row[1:10] == ["MidSize Manufacturing BV", "MSM-2025-0531-001", "update", "technical", "nl", "email",
                             "it@midsize.example", "sent", "1"]
        assert row[11] == "Update on the outage" and row[12] == mine.message_id
        assert row[13:] == ["", ""]

    def test_honours_the_filters(self, as_anna, customer, mine):
        make_delivery(customer, state="failed", address="bad@midsize.example", last_error="bounced")
        rows = csv_rows(as_anna.get(reverse("comms:log_csv"), {"state": "failed"}))
        assert [row[7] for row in rows[1:]] == ["bad@midsize.example"]
        by_incident = csv_rows(as_anna.get(reverse("comms:log_csv"), {"incident": mine.communication.incident_id}))
        assert [row[7] for row in by_incident[1:]] == ["it@midsize.example"]

    def test_formula_injection_is_escaped_and_phones_masked(self, as_anna, customer):
        make_delivery(customer, channel="sms", address="+31612345678", subject="=HYPERLINK(\"http://x\")",
                      last_error="@SUM(1)", state="failed")
        make_delivery(customer, address="a@midsize.example", subject="-2+3", last_error="+cmd")
        rows = {row[7]: row for row in csv_rows(as_anna.get(reverse("comms:log_csv")))[1:]}
        assert rows["*********678"][11] == "'=HYPERLINK(\"http://x\")"
        assert rows["*********678"][10] == "'@SUM(1)"
        assert rows["a@midsize.example"][11] == "'-2+3" and rows["a@midsize.example"][10] == "'+cmd"


class TestDeliveryDetail:
    def test_shows_message_escaped_and_attempt_history(self, as_anna, customer, outage):
        delivery = make_delivery(customer, incident=outage, body="<script>alert(1)</script>\nLine two",
                                 state="failed", last_error="timeout")
        now = timezone.now()
        DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=now, finished_at=now, outcome="retry",
                                       error="connection refused")
        DeliveryAttempt.objects.create(delivery=delivery, number=2, started_at=now, finished_at=now,
                                       outcome="failed", error="timeout")
        html = as_anna.get(reverse("comms:delivery", args=[delivery.pk])).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
        assert '<pre class="message-body">' in html
        assert "connection refused" in html and html.count('class="delivery-row failed"') == 1
        assert delivery.message_id.replace("<", "&lt;").replace(">", "&gt;") in html


@pytest.fixture
def with_alerts(settings):
    templates = [dict(engine, OPTIONS=dict(engine["OPTIONS"])) for engine in settings.TEMPLATES]
    templates[0]["OPTIONS"]["context_processors"] = [*templates[0]["OPTIONS"]["context_processors"], PROCESSOR]
    settings.TEMPLATES = templates


@pytest.fixture
def quarantined(customer):
    Stakeholder.objects.create(customer=customer, name="IT channel", role="customer_it", audience="technical",
                               teams_webhook_url=TEAMS_URL)
    return EndpointHealth.objects.create(channel="teams", address=TEAMS_URL, consecutive_failures=5,
                                         last_error="404", quarantined_at=timezone.now())


def render_alerts(rf, user, path: str = "/console/") -> str:
    request = rf.get(path)
    request.user = user
    return render_to_string("comms/_alerts.html", request=request)


class TestAlerts:
    def test_banner_counts_recent_failures_of_my_customers(self, rf, account_manager, with_alerts, customer,
                                                           other_customer):
        for index in range(2):
            make_delivery(customer, state="failed", address=f"f{index}@midsize.example")
        make_delivery(customer, state="failed", address="old@midsize.example", age=timedelta(days=8))
        make_delivery(other_customer, state="failed", address="ops@northwind.example")
        html = render_alerts(rf, account_manager)
        assert "2 messages failed to deliver in the last 7 days." in html
        assert f'{reverse("comms:log")}?state=failed&amp;period=7' in html

    def test_no_banner_for_other_account_manager_or_outside_console(self, rf, other_account_manager, with_alerts,
                                                                     customer, quarantined):
        make_delivery(customer, state="failed")
        assert render_alerts(rf, other_account_manager).strip() == ""
        request = rf.get("/status/midsize/")
        request.user = other_account_manager
        assert delivery_alerts(request) == {}

    def test_reads_nothing_until_shown_then_at_most_three_queries(self, rf, account_manager, quarantined,
                                                                  django_assert_num_queries,
                                                                  django_assert_max_num_queries):
        request = rf.get(reverse("incidents:dashboard"))
        request.user = account_manager
        account_manager.has_perm(VIEW_ALL_PERMISSION)  # the console's staff check has loaded the permissions
        with django_assert_num_queries(0):
            alerts = delivery_alerts(request)["delivery_alerts"]
        with django_assert_max_num_queries(5):  # staff check, the newest failure, one COUNT, one EXISTS, one SELECT
            assert (alerts.failed_count, [e.address for e in alerts.quarantined]) == (0, [TEAMS_URL])
        again = delivery_alerts(request)["delivery_alerts"]
        with django_assert_max_num_queries(2):  # staff check, the newest failure: the count comes from the cache
            assert again.failed_count == 0

    def test_with_nothing_quarantined_or_failing_to_publish_a_page_asks_one_short_question_each(
            self, rf, account_manager, django_assert_num_queries):
        request = rf.get(reverse("incidents:dashboard"))
        request.user = account_manager
        alerts = delivery_alerts(request)["delivery_alerts"]
        assert alerts._is_staff
        with django_assert_num_queries(2):  # EXISTS on the endpoints, EXISTS on the publish failures
            assert (alerts.quarantined, alerts.page_failures) == ([], [])

    def test_quarantined_endpoint_listed_with_release_form(self, rf, account_manager, with_alerts, quarantined,
                                                           other_customer):
        Stakeholder.objects.create(customer=other_customer, name="NW", role="customer_it", audience="technical",
                                   slack_webhook_url="https://hooks.slack.com/services/NW")
        EndpointHealth.objects.create(channel="slack", address="https://hooks.slack.com/services/NW",
                                      quarantined_at=timezone.now())
        html = render_alerts(rf, account_manager, path=reverse("comms:log"))
        assert TEAMS_URL in html and "hooks.slack.com" not in html
        assert f'action="{reverse("comms:endpoint_release")}"' in html and "csrfmiddlewaretoken" in html
        assert f'name="next" value="{reverse("comms:log")}"' in html

    def test_every_console_page_shows_the_banner(self, as_anna, settings, tmp_path, with_alerts, customer):
        base = (settings.BASE_DIR / "templates" / "base.html").read_text()
        if ALERTS_INCLUDE not in base:  # until base.html has the line: check the line proposed for it
            patched = base.replace('<main id="main">\n', f'<main id="main">\n    {ALERTS_INCLUDE}\n')
            (tmp_path / "base.html").write_text(patched)
            settings.TEMPLATES = [dict(settings.TEMPLATES[0], DIRS=[tmp_path, *settings.TEMPLATES[0]["DIRS"]])]
        make_delivery(customer, state="failed")
        for url in [reverse("incidents:dashboard"), reverse("comms:stakeholders", args=[customer.slug])]:
            assert "1 message failed to deliver in the last 7 days." in as_anna.get(url).text


class TestEndpointRelease:
    def test_post_only(self, as_anna, quarantined):
        assert as_anna.get(reverse("comms:endpoint_release")).status_code == 405

    def test_releases_and_redirects_back(self, as_anna, quarantined):
        back = reverse("comms:log") + "?state=failed"
        response = as_anna.post(reverse("comms:endpoint_release"),
                                {"channel": "teams", "address": TEAMS_URL, "next": back})
        assert response.status_code == 302 and response.url == back
        quarantined.refresh_from_db()
        assert quarantined.quarantined_at is None and quarantined.consecutive_failures == 0

    def test_foreign_next_url_is_not_followed(self, as_anna, quarantined):
        response = as_anna.post(reverse("comms:endpoint_release"),
                                {"channel": "teams", "address": TEAMS_URL, "next": "https://evil.example/"})
        assert response.url == reverse("comms:log")

    def test_other_account_manager_gets_404_and_quarantine_stays(self, client, other_account_manager, quarantined):
        client.force_login(other_account_manager)
        response = client.post(reverse("comms:endpoint_release"), {"channel": "teams", "address": TEAMS_URL})
        assert response.status_code == 404
        quarantined.refresh_from_db()
        assert quarantined.quarantined_at is not None

    def test_anonymous_cannot_release(self, client, quarantined):
        response = client.post(reverse("comms:endpoint_release"), {"channel": "teams", "address": TEAMS_URL})
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        quarantined.refresh_from_db()
        assert quarantined.quarantined_at is not None


def test_webhook_and_chat_urls_show_only_their_host():
    from console.views.log import masked_address

    assert masked_address("slack", "https://hooks.slack.com/services/T0/B0/secret") == "https://hooks.slack.com/…"
    assert masked_address("webhook", "https://hooks.example/kalm?token=abc") == "https://hooks.example/…"
    assert masked_address("email", "it@midsize.example") == "it@midsize.example"
    assert masked_address("sms", "+31612345678") == "*********678"
