"""The communication log: every delivery, who it went to, and whether it arrived.

Thin views over ``comms.selectors``; everything is scoped by the user's customers, so
another account manager's delivery answers 404. With htmx the log answers with its table
partial; without JavaScript the filter form is an ordinary GET form.
"""

import csv
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comms import selectors
from comms.directory.addresses import masked_address
from comms.models import Delivery, DeliveryState
from comms.outbox import delivery as delivery_engine
from comms.outbox.earlier_updates import message_texts
from console.access import staff_required
from console.forms.comms import DeliveryFilterForm
from core.keyset import CursorError, KeysetPage, keyset_page
from incidents.models import Incident
from incidents.selectors import customers_for_user, incident_for_user_or_404

PAGE_SIZE = 50
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ["time", "customer", "incident", "kind", "audience", "language", "channel", "address", "state",
              "attempts", "last_error", "subject", "message_id", "deferred_until", "superseded_by"]


def csv_safe(value: object) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@require_GET
@staff_required
def communication_log(request: HttpRequest) -> HttpResponse:
    return _render_log(request, selectors.deliveries_for_user(request.user))


@require_GET
@staff_required
def incident_communications(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_user_or_404(request.user, pk=pk)
    deliveries = selectors.deliveries_filtered(selectors.deliveries_for_user(request.user), incident=incident)
    return _render_log(request, deliveries, incident=incident)


def _render_log(request: HttpRequest, deliveries: QuerySet[Delivery], *,
                incident: Incident | None = None) -> HttpResponse:
    form = DeliveryFilterForm(request.GET, customers=customers_for_user(request.user))
    try:
        page = _page(selectors.deliveries_filtered(deliveries, **form.filters()), request.GET)
    except CursorError as error:
        return HttpResponseBadRequest(_("The %(parameter)s link is not valid.") % {"parameter": error.parameter})
    context = {"form": form, "page": page, "incident": incident, "coalesce_minutes": settings.KALM_COALESCE_MINUTES}
    template = "comms/log.html#log-table" if request.htmx else "comms/log.html"
    return render(request, template, context)


def _page(deliveries: QuerySet[Delivery], query: QueryDict) -> KeysetPage:
    """Keyset pages on the ``(created_at, id)`` index: no OFFSET, no COUNT of millions of rows."""
    page = keyset_page(deliveries, older=query.get("older", ""), newer=query.get("newer", ""), size=PAGE_SIZE)
    for delivery in page:
        delivery.shown_address = masked_address(delivery.channel, delivery.address)
    return page


@require_GET
@staff_required
def communication_log_csv(request: HttpRequest) -> StreamingHttpResponse:
    form = DeliveryFilterForm(request.GET, customers=customers_for_user(request.user))
    deliveries = selectors.deliveries_filtered(selectors.deliveries_for_user(request.user), **form.filters())
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in _csv_rows(deliveries.iterator(chunk_size=1000)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"kalm-communications-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _csv_rows(deliveries: Iterable[Delivery]) -> Iterator[list[str]]:
    yield CSV_HEADER
    for delivery in deliveries:
        communication = delivery.communication
        row = [
            delivery.created_at.isoformat(), communication.customer.name, delivery.incident_number or "",
            communication.kind, communication.audience, communication.language, delivery.channel,
            masked_address(delivery.channel, delivery.address), delivery.state, delivery.attempts,
            delivery.last_error, communication.subject, delivery.message_id,
            delivery.next_attempt_at.isoformat() if delivery.state == DeliveryState.DEFERRED else "",
            delivery.superseded_by_id or "",
        ]
        yield [csv_safe(value) for value in row]


@require_GET
@staff_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_for_user_or_404(request.user, pk=pk)
    delivery.shown_address = masked_address(delivery.channel, delivery.address)
    context = {"delivery": delivery, "communication": delivery.communication,
               "attempts": delivery.history.all(),
               "texts": message_texts(delivery, {}),  # what the recipient reads, "Earlier updates" included
               "took_over": list(delivery.superseded.order_by("id").values_list("id", flat=True)),
               "coalesce_minutes": settings.KALM_COALESCE_MINUTES}
    return render(request, "comms/delivery.html", context)


@require_POST
@staff_required
def endpoint_release(request: HttpRequest) -> HttpResponse:
    """Lift an endpoint's quarantine; only for an address one of the user's stakeholders uses."""
    channel, address = request.POST.get("channel", ""), request.POST.get("address", "")
    if not selectors.user_may_release_endpoint(request.user, channel=channel, address=address):
        raise Http404("No such endpoint")
    if delivery_engine.endpoint_release(channel=channel, address=address):
        messages.success(request, _("The endpoint is released; new messages to it will be sent again."))
    else:
        messages.info(request, _("That endpoint was not quarantined."))
    return redirect(_next_url(request))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return "comms:log"
