"""Signed, expiring links to a customer's current report, for the post-incident summary message.

The token names the incident and the customer (signed with ``SECRET_KEY``, salted, with a
timestamp); it is checked for 14 days. It always serves the newest finished version, so
a report regenerated after a correction reaches the customer through the same link.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from incidents.models import Customer, Incident
from reports.attachments import attachment_name
from reports.models import ReportRender
from reports.services import current_render

SALT = "kalm.reports.link"
MAX_AGE = timedelta(days=14)


def report_token(incident_id: int, customer_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"i": incident_id, "c": customer_id})


def report_link(incident: Incident, customer: Customer | None = None) -> str | None:
    """The absolute link to ``customer``'s current report (the incident's first customer by default).

    None while no finished report exists, so the message can leave the line out.
    """
    if customer is None:
        link = incident.customer_links.select_related("customer").order_by("added_at", "id").first()
        if link is None:
            return None
        customer = link.customer
    if current_render(incident, customer) is None:
        return None
    return settings.SITE_URL + reverse("reports:public", args=[report_token(incident.pk, customer.pk)])


def summary_facts(incident: Incident, customer: Customer) -> dict[str, Any]:
    """The report in ``customer``'s post-incident summary: ``report_attached`` + ``report_filename`` when
    the e-mail carries the PDF itself (the customer's setting, a finished report), else ``report_url``
    (empty while no report is finished)."""
    filename = attachment_name(incident, customer)
    if filename:
        return {"report_attached": True, "report_filename": filename}
    return {"report_url": report_link(incident, customer) or ""}


def render_for_token(token: str) -> ReportRender | None:
    """The current report a token points to; None for a tampered, expired or unknown token."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("c"), int):
        return None
    return current_render(data["i"], data["c"])
