"""The tick on the 1st renders last month's report and mails it once; the console and the API serve it.

Runs in this process (tasks inline after commit, the SMTP server is aiosmtpd); the same with
a real Celery worker is test_monthly_worker.py.
"""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from api.models import ApiToken
from cadence.tick import tick
from insight.models import ServiceReport, ServiceReportSetting
from insight.monthly.services import report_request
from tests.insight.monthly_month import (
    NOVEMBER,
    add_management,
    make_customer,
    make_month,
)

pytestmark = pytest.mark.django_db

BEFORE_MIDNIGHT = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 23:30 on 30 November in Amsterdam
AFTER_MIDNIGHT = datetime(2026, 11, 30, 23, 5, tzinfo=UTC)  # 00:05 on 1 December in Amsterdam




@pytest.fixture
def acme(db):
    customer = make_customer()
    make_month(customer)
    add_management(customer, email="directie@acme.example", language="nl")
    add_management(customer, email="board@acme.example", language="en")
    customer.stakeholders.create(name="IT", role="customer_it", audience="technical", language="nl",
                                 email="it@acme.example")
    return customer


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def run_tick(now, capture):
    with capture(execute=True):
        return tick(now)


def test_the_tick_on_the_1st_mails_the_link_to_management_once(acme, smtp_server, client,
                                                              django_capture_on_commit_callbacks):
    assert run_tick(BEFORE_MIDNIGHT, django_capture_on_commit_callbacks).done["service_report"] == 0
    assert not ServiceReport.objects.exists()
    report = run_tick(AFTER_MIDNIGHT, django_capture_on_commit_callbacks)
    assert report.done["service_report"] == 1
    again = run_tick(AFTER_MIDNIGHT.replace(minute=6), django_capture_on_commit_callbacks)
    assert again.done["service_report"] == 0

    row = ServiceReport.objects.get()
    assert (row.month, row.status, row.delivered_as) == (NOVEMBER, "done", "link")
    mails = smtp_server.messages
    assert sorted(rcpt for mail in mails for rcpt in mail.rcpt_tos) == ["board@acme.example",
                                                                        "directie@acme.example"]
    dutch = next(mail.message for mail in mails if mail.rcpt_tos == ["directie@acme.example"])
    english = next(mail.message for mail in mails if mail.rcpt_tos == ["board@acme.example"])
    assert dutch["Subject"] == "Maandelijks servicerapport november 2026: Acme Logistiek BV"
    assert english["Subject"] == "Monthly service report November 2026: Acme Logistiek BV"
    body = dutch.get_body(preferencelist=("plain",)).get_content()
    assert "staat klaar" in body and "30 dagen geldig" in body
    assert not list(dutch.iter_attachments())
    link = next(word for word in body.split() if "/service-reports/" in word)
    response = client.get(link[link.index("/service-reports/"):])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Maandelijks servicerapport" in pdf_text(b"".join(response.streaming_content))
    assert client.get("/service-reports/not-a-token/").status_code == 404


def test_attachment_customers_get_the_pdf_in_the_mail(acme, smtp_server, django_capture_on_commit_callbacks):
    ServiceReportSetting.objects.create(customer=acme, delivery="attachment")
    run_tick(AFTER_MIDNIGHT, django_capture_on_commit_callbacks)
    dutch = next(mail.message for mail in smtp_server.messages if mail.rcpt_tos == ["directie@acme.example"])
    [attachment] = list(dutch.iter_attachments())
    assert attachment.get_filename() == "acme-2026-11.pdf"
    assert "99,72 %" in pdf_text(attachment.get_content())
    assert "als bijlage" in dutch.get_body(preferencelist=("plain",)).get_content()


def test_a_customer_who_switched_it_off_gets_none(acme, smtp_server, django_capture_on_commit_callbacks):
    ServiceReportSetting.objects.create(customer=acme, enabled=False)
    assert run_tick(AFTER_MIDNIGHT, django_capture_on_commit_callbacks).done["service_report"] == 0
    assert not ServiceReport.objects.exists() and smtp_server.messages == []


def test_console_pages_are_per_customer(acme, client, account_manager, other_account_manager, manager,
                                        django_capture_on_commit_callbacks):
    call_command("service_report", "acme", "2026-11", stdout=io.StringIO())
    acme.account_managers.add(account_manager)
    client.force_login(account_manager)
    listing = client.get(reverse("service_reports:list"))
    assert listing.status_code == 200 and "2026-11" in listing.content.decode()
    download = client.get(reverse("service_reports:download", args=["acme", "2026-11"]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert client.get(reverse("service_reports:download", args=["acme", "2026-10"])).status_code == 404
    page = client.post(reverse("service_reports:customer", args=["acme"]),
                       {"enabled": "on", "delivery": "attachment"})
    assert page.status_code == 302 and ServiceReportSetting.objects.get(customer=acme).delivery == "attachment"
    bad = client.post(reverse("service_reports:customer", args=["acme"]), {"enabled": "on", "delivery": "fax"})
    assert bad.status_code == 422 and ServiceReportSetting.objects.get(customer=acme).delivery == "attachment"
    month = client.post(reverse("service_reports:render", args=["acme"]), {"month": "2026-13"})
    assert month.status_code == 422 and "YYYY-MM" in month.content.decode()

    client.force_login(other_account_manager)
    assert client.get(reverse("service_reports:download", args=["acme", "2026-11"])).status_code == 404
    assert client.get(reverse("service_reports:customer", args=["acme"])).status_code == 404
    assert "acme" not in client.get(reverse("service_reports:list")).content.decode()
    client.logout()
    assert client.get(reverse("service_reports:list")).status_code == 302


def test_api_serves_the_pdf_and_refuses_bad_input(acme, account_manager, other_customer):
    acme.account_managers.add(account_manager)
    _row, raw = ApiToken.issue(user=account_manager, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    call_command("service_report", "acme", "2026-11", stdout=io.StringIO())
    api = Client()
    ok = api.get("/api/v1/customers/acme/service-reports/2026-11.pdf", **auth)
    assert ok.status_code == 200 and ok["Content-Type"] == "application/pdf"
    assert "november 2026" in pdf_text(ok.content)
    bad = api.get("/api/v1/customers/acme/service-reports/2026-13.pdf", **auth)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "month"
    assert api.get("/api/v1/customers/acme/service-reports/2099-01.pdf", **auth).status_code == 422
    assert api.get("/api/v1/customers/northwind/service-reports/2026-11.pdf", **auth).status_code == 404
    assert api.get("/api/v1/customers/acme/service-reports/2026-11.pdf").status_code == 401


def test_a_render_no_worker_took_is_queued_again(acme, django_capture_on_commit_callbacks):
    fresh = timezone.now() - timedelta(minutes=2)
    row = ServiceReport.objects.create(customer=acme, month=NOVEMBER, language="nl", requested_at=fresh)
    with django_capture_on_commit_callbacks(execute=True):
        report_request(customer=acme, month=NOVEMBER)
    row.refresh_from_db()
    assert row.status == "pending"  # still waiting for its worker: not queued twice
    ServiceReport.objects.filter(pk=row.pk).update(requested_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        report_request(customer=acme, month=NOVEMBER)
    row.refresh_from_db()
    assert row.status == "done" and row.pages >= 1 and row.sent_at is None
