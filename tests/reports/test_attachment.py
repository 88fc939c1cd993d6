"""The report attached to the post-incident summary e-mail (Customer.report_delivery), over real SMTP/HTTP."""

import io
import json

import pytest
from django.urls import reverse
from pypdf import PdfReader

from comms.models import Communication, Delivery, Stakeholder
from flows.incidents import send_post_incident_summary as incident_send_post_incident_summary
from incidents.models import ReportDelivery
from reports import attachments, services
from reports.models import RenderStatus

LINK_PATH = reverse("reports:public", args=["token"]).removesuffix("token/")  # "/reports/"
SUMMARY = "De schijf is vervangen en we bewaken de RAID-status nu actief."


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    # The story's own messages went out moments ago (at test time); the summary must not be held back.
    settings.KALM_COALESCE_MINUTES = 0
    attachments.clear_cache()
    yield
    attachments.clear_cache()


@pytest.fixture
def rendered(story, customer, django_capture_on_commit_callbacks):
    """The story with a finished report (a real render: Celery runs eagerly in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        render = services.render_request(incident=story, customer=customer)
    render.refresh_from_db()
    assert render.status == RenderStatus.DONE, render.error
    return story


def send_summary(incident, author, capture) -> Communication:
    with capture(execute=True):
        update = incident_send_post_incident_summary(incident=incident, author=author, message=SUMMARY)
    return Communication.objects.filter(update=update, audience="technical").get()


def mails_to(smtp_server, address):
    return [mail.message for mail in smtp_server.messages if mail.rcpt_tos == [address]]


def parts(message) -> tuple[str, list]:
    """(the text of the body, the attachments) of a received e-mail."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    return text, list(message.iter_attachments())


def test_attachment_customer_gets_the_pdf_and_no_link(rendered, customer, account_manager, smtp_server,
                                                      django_capture_on_commit_callbacks):
    customer.report_delivery = ReportDelivery.ATTACHMENT
    customer.save()
    communication = send_summary(rendered, account_manager, django_capture_on_commit_callbacks)
    number = rendered.customer_links.get().number
    [mail] = mails_to(smtp_server, f"jan@{customer.slug}.example")
    text, files = parts(mail)
    assert "pdf-bijlage" in text and f"{number}-report.pdf" in text  # Dutch: the customer's language
    assert LINK_PATH not in text and LINK_PATH not in communication.body_html
    [pdf] = files
    assert pdf.get_filename() == f"{number}-report.pdf" and pdf.get_content_type() == "application/pdf"
    document = PdfReader(io.BytesIO(pdf.get_content()))
    assert number in document.pages[0].extract_text()
    # Every e-mail recipient of the summary got the file, every one the same bytes.
    received = [parts(message)[1] for address in ("jan", "els") for message in
                mails_to(smtp_server, f"{address}@{customer.slug}.example")]
    assert len(received) == 2 and len({files[0].get_content() for files in received}) == 1


def test_link_customer_gets_the_link_and_no_file(rendered, customer, account_manager, smtp_server,
                                                 django_capture_on_commit_callbacks):
    assert customer.report_delivery == ReportDelivery.LINK  # the default
    send_summary(rendered, account_manager, django_capture_on_commit_callbacks)
    [mail] = mails_to(smtp_server, f"jan@{customer.slug}.example")
    text, files = parts(mail)
    assert "http://" in text and LINK_PATH in text and "pdf-bijlage" not in text
    assert files == []


@pytest.fixture
def ops_hook(customer, http_sink):
    """A webhook contact from before the incident (who was told of it, so hears its summary)."""
    return Stakeholder.objects.create(customer=customer, name="Ops hook", role="customer_it", audience="technical",
                                      language="nl", webhook_url=http_sink.url("/hook"))


@pytest.fixture
def four_it(customer):
    for n in range(4):
        Stakeholder.objects.create(customer=customer, name=f"IT {n}", role="customer_it", audience="technical",
                                   language="nl", email=f"it{n}@{customer.slug}.example")


def test_webhooks_and_chat_carry_no_file_and_link_customers_keep_the_link(
        ops_hook, rendered, customer, account_manager, http_sink, smtp_server, django_capture_on_commit_callbacks):
    send_summary(rendered, account_manager, django_capture_on_commit_callbacks)
    summary = [json.loads(request.body) for request in http_sink.requests if request.path == "/hook"][-1]
    assert summary["kind"] == "post_incident" and LINK_PATH in summary["text"]
    hook = Delivery.objects.filter(channel="webhook").latest("id")
    assert hook.state == "sent"
    customer.report_delivery = ReportDelivery.ATTACHMENT
    customer.save()
    hook = Delivery.objects.select_related("communication__customer").get(pk=hook.pk)
    assert attachments.report_extras(hook) is None  # only e-mail carries files; SMS and chat the same
    sms = Delivery.objects.select_related("communication__customer").filter(channel="sms").first()
    assert sms is not None and attachments.report_extras(sms) is None


def test_no_finished_report_falls_back_and_attaches_nothing_later(story, customer, account_manager,
                                                                    smtp_server,
                                                                    django_capture_on_commit_callbacks):
    customer.report_delivery = ReportDelivery.ATTACHMENT
    customer.save()
    communication = send_summary(story, account_manager, django_capture_on_commit_callbacks)
    [mail] = mails_to(smtp_server, f"jan@{customer.slug}.example")
    text, files = parts(mail)
    assert files == [] and "pdf-bijlage" not in text and LINK_PATH not in text
    assert "beschikbaar als pdf" in text  # the standing offer: reply and we send it
    # A report finished after the summary was written is not attached to its later deliveries:
    # the text never announced it.
    with django_capture_on_commit_callbacks(execute=True):
        services.render_request(incident=story, customer=customer)
    email = Delivery.objects.select_related("communication__customer").filter(
        communication=communication, channel="email").first()
    assert attachments.report_extras(email) is None


def test_one_query_round_per_communication_not_per_delivery(four_it, rendered, customer, account_manager,
                                                            django_capture_on_commit_callbacks,
                                                            django_assert_num_queries):
    customer.report_delivery = ReportDelivery.ATTACHMENT
    customer.save()
    with django_capture_on_commit_callbacks(execute=False):  # written, not sent: we call the provider ourselves
        update = incident_send_post_incident_summary(incident=rendered, author=account_manager, message=SUMMARY)
    communication = Communication.objects.get(update=update, audience="technical")
    from comms.outbox.expansion import communication_expand

    ids = communication_expand(communication.pk)
    deliveries = list(Delivery.objects.select_related("communication__incident", "communication__customer")
                      .filter(pk__in=ids, channel="email"))
    assert len(deliveries) >= 5
    first = attachments.report_extras(deliveries[0])
    assert first is not None and first.attachments[0].content.startswith(b"%PDF")
    with django_assert_num_queries(0):
        extras = [attachments.report_extras(one) for one in deliveries[1:]]
    assert all(one is not None and one.attachments == first.attachments for one in extras)


def test_the_cache_keeps_the_newest_few_communications(monkeypatch):
    loaded = []
    monkeypatch.setattr(attachments, "_load", lambda communication: loaded.append(communication.pk))
    for pk in [*range(1, attachments.CACHE_SIZE + 3), 1, attachments.CACHE_SIZE + 2]:
        attachments._attachment_for(Communication(pk=pk))
    assert len(attachments._cache) == attachments.CACHE_SIZE
    # 1 had been pushed out, so it was read again; the newest was still there.
    assert loaded == [*range(1, attachments.CACHE_SIZE + 3), 1]


def test_the_setting_is_in_the_customer_admin(admin_client, customer):
    response = admin_client.get(reverse("admin:incidents_customer_change", args=[customer.pk]))
    assert response.status_code == 200 and b'name="report_delivery"' in response.content
    assert b'value="attachment"' in response.content


def test_the_delivery_engine_loads_the_attachment_from_the_setting():
    """An extension point declared in settings (KALM_DELIVERY_EXTRAS), loaded once, not registered at start-up."""
    from comms.outbox import delivery

    assert delivery.extras_providers().count(attachments.report_extras) == 1
