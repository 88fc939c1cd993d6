"""The report attached to the post-incident summary e-mail, for customers who chose that.

``Customer.report_delivery`` is "link" (the default: a signed, expiring link, ``links.py``)
or "attachment". Two hooks into comms, registered in ``ReportsConfig.ready``:

- ``attachment_name`` (``comms.messages.context.report_attachment_namer``), when the summary is
  written: the file name, so the text says "attached" instead of showing the link.
- ``report_extras`` (named in ``settings.KALM_DELIVERY_EXTRAS``), per delivery: the PDF itself,
  for e-mail deliveries only. SMS, chat and webhooks cannot carry a file.

No finished report when the summary is written (or one too big for mail): the summary is
not held back, it falls back to what a "link" customer gets. The summary is due within
24 hours of the resolution, and a render that is slow, queued behind others or failed must
not make it late; the account manager sees on the review page whether a report exists
before pressing "send". Nothing is attached that the text did not announce: a delivery
carries the PDF only if a finished report existed when its message was written.

The attached file is the newest finished version when the message's first e-mail goes
out (the same rule as the link), read once per communication and kept in a small cache,
so every recipient of one message gets the same file and a batch costs no query per
delivery.
"""

import logging
import threading
from collections import OrderedDict

from comms.models import Communication, Delivery, MessageKind
from comms.transports import Attachment, MessageExtras
from incidents.models import Customer, CustomerIncident, Incident, ReportDelivery
from reports.models import RenderStatus, ReportRender
from reports.services import current_render

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024  # base64 makes it 13.3 MB on the wire; many mail servers refuse more than 20-25
CACHE_SIZE = 4  # communications; a huge report is a few MB, so this stays small
_cache: OrderedDict[int, Attachment | None] = OrderedDict()
_lock = threading.Lock()


def attachment_filename(number: str) -> str:
    return f"{number}-report.pdf"


def _attachable(render: ReportRender | None) -> bool:
    return render is not None and render.size <= MAX_BYTES


def attachment_name(incident: Incident, customer: Customer) -> str | None:
    """The file name the summary e-mail attaches, or None: link it (the setting, no report yet, too big)."""
    if customer.report_delivery != ReportDelivery.ATTACHMENT or not _attachable(current_render(incident, customer)):
        return None
    number = CustomerIncident.objects.values_list("number", flat=True).get(incident=incident, customer=customer)
    return attachment_filename(number)


def report_extras(delivery: Delivery) -> MessageExtras | None:
    """The PDF for an e-mail delivery of an "attachment" customer's post-incident summary; else None."""
    communication = delivery.communication  # loaded with its customer by the delivery engine: no query
    if (delivery.channel != "email" or communication.kind != MessageKind.POST_INCIDENT
            or communication.incident_id is None
            or communication.customer.report_delivery != ReportDelivery.ATTACHMENT):
        return None
    attachment = _attachment_for(communication)
    return MessageExtras(attachments=(attachment,)) if attachment is not None else None


def _attachment_for(communication: Communication) -> Attachment | None:
    with _lock:
        if communication.pk in _cache:
            _cache.move_to_end(communication.pk)
            return _cache[communication.pk]
        attachment = _load(communication)
        _cache[communication.pk] = attachment
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return attachment


def _load(communication: Communication) -> Attachment | None:
    render = current_render(communication.incident_id, communication.customer_id)
    if not _attachable(render) or not _announced(render, communication):
        return None
    number = CustomerIncident.objects.values_list("number", flat=True).get(
        incident_id=communication.incident_id, customer_id=communication.customer_id)
    try:
        with render.file.open("rb") as file:
            content = file.read()
    except OSError:  # the file is gone from storage: the text says attached, but a broken mail helps no one
        logger.exception("report %s of communication %s could not be read", render.pk, communication.pk)
        return None
    return Attachment(filename=attachment_filename(number), content=content, mimetype="application/pdf")


def _announced(render: ReportRender, communication: Communication) -> bool:
    """A finished report existed when the message was written, so its text says "attached"."""
    if render.finished_at is not None and render.finished_at <= communication.created_at:
        return True
    return ReportRender.objects.filter(incident_id=communication.incident_id, customer_id=communication.customer_id,
                                       status=RenderStatus.DONE, finished_at__lte=communication.created_at).exists()


def clear_cache() -> None:
    with _lock:
        _cache.clear()
