"""The audit trail: every state change and security event, newest first, for managers only
(anyone else gets 404, as for what they may not see). Filter by customer, incident, event and
dates; export the filtered list as CSV, streamed. Read-only: nothing here writes, and the
trail cannot be edited or deleted anywhere (audit.models)."""

import csv
import json
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit import selectors
from audit.models import AuditEvent
from console.access import staff_required
from console.forms.audit import AuditFilterForm
from console.views.log import csv_safe
from core.keyset import CursorError, keyset_page
from incidents.models import Customer

PAGE_SIZE = 50
CSV_HEADER = ["time", "actor", "actor_ip", "action", "customer", "incident", "object_type", "object_id", "object",
              "before", "after", "detail"]


def _events_and_form(request: HttpRequest):
    if not selectors.user_may_read_audit(request.user):
        raise Http404("No audit trail here")  # as for anything else an account manager may not see
    form = AuditFilterForm(request.GET, customers=Customer.objects.order_by("name"))
    events = selectors.events_filtered(selectors.events_for_user(request.user), **form.filters())
    return events.prefetch_related("incident__customer_links"), form


@require_GET
@staff_required
def audit_events(request: HttpRequest) -> HttpResponse:
    events, form = _events_and_form(request)
    try:
        page = keyset_page(events, older=request.GET.get("older", ""), newer=request.GET.get("newer", ""),
                           size=PAGE_SIZE, field="at")
    except CursorError as error:
        return HttpResponseBadRequest(_("The %(parameter)s link is not valid.") % {"parameter": error.parameter})
    context = {"form": form, "page": page, "time_zone": settings.KALM_DEFAULT_TIME_ZONE,
               "incident": form.cleaned_data.get("incident") if form.is_valid() else None}
    template = "audit/events.html#audit-table" if request.htmx else "audit/events.html"
    return render(request, template, context)


@require_GET
@staff_required
def audit_events_csv(request: HttpRequest) -> StreamingHttpResponse:
    events, _form = _events_and_form(request)
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in _csv_rows(events.iterator(chunk_size=1000)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kalm-audit-{timezone.localdate():%Y%m%d}.csv"'
    return response


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can stream."""

    def write(self, value: str) -> str:
        return value


def _csv_rows(events: Iterable[AuditEvent]) -> Iterator[list[str]]:
    """Times in UTC (ISO 8601), codes rather than labels: the file is read by tools in any language."""
    yield CSV_HEADER
    for event in events:
        row = [
            event.at.isoformat(), event.actor_username, event.actor_ip or "", event.action,
            event.customer.slug if event.customer else "", _number(event), event.object_type, event.object_id,
            event.object_repr, _json(event.before), _json(event.after), event.detail,
        ]
        yield [csv_safe(value) for value in row]


def _number(event: AuditEvent) -> str:
    if event.incident is None:
        return ""
    links = list(event.incident.customer_links.all())
    return links[0].number if links else ""


def _json(values: dict) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""
