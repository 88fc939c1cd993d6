"""``GET /api/v1/audit``: the audit trail, read-only, for managers (403 for anyone else).

Filters: ``customer`` (slug: the customer's own events and those of incidents affecting it),
``incident`` (any of its numbers), ``action``, ``since``/``until`` (ISO 8601, UTC unless an
offset is given; ``since`` inclusive, ``until`` exclusive). Newest first, ``limit``/``offset`` paged like the incidents.
There is no way to write, change or delete an event (POST, PUT, PATCH, DELETE answer 405).
"""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import AuthorizationError, ValidationError

from api.schemas import MAX_OFFSET, MAX_PAGE, READ_ERRORS
from audit import selectors
from audit.models import Action, AuditEvent
from incidents.models import Customer

router = Router(tags=["audit"])


class AuditQuery(Schema):
    customer: str | None = Field(None, max_length=50, description="A customer's slug.")
    incident: str | None = Field(None, max_length=32, description="An incident number (any of its customers').")
    action: Action | None = None
    since: datetime | None = Field(None, description="Events at or after this moment.")
    until: datetime | None = Field(None, description="Events before this moment.")
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor: str | None = Field(description="The username; null for the system (the tick, a command).")
    actor_ip: str | None
    action: str
    action_label: str
    customer: str | None = Field(description="The customer's slug.")
    incident: str | None = Field(description="The incident's number (its first customer's).")
    object_type: str
    object_id: str
    object: str
    before: dict[str, Any] = Field(description="The changed fields as they were (secrets never).")
    after: dict[str, Any] = Field(description="The changed fields as they became (secrets never).")
    detail: str


class AuditPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditEventOut]


@router.get("", response={200: AuditPage, **READ_ERRORS}, summary="The audit trail (managers only)")
def list_events(request: HttpRequest, query: Query[AuditQuery]) -> AuditPage:
    if not selectors.user_may_read_audit(request.auth):
        raise AuthorizationError(message=_("Only managers may read the audit trail."))
    events = selectors.events_filtered(selectors.events_for_user(request.auth), **_filters(query))
    page = list(events.prefetch_related("incident__customer_links")[query.offset : query.offset + query.limit])
    return AuditPage(count=events.count(), limit=query.limit, offset=query.offset,
                     items=[_event(event) for event in page])


def _filters(query: AuditQuery) -> dict[str, Any]:
    """Unknown customers and incidents answer 422 on their parameter (managers see every customer)."""
    filters: dict[str, Any] = {"action": query.action, "since": _aware(query.since), "until": _aware(query.until)}
    errors = []
    if query.customer:
        filters["customer"] = Customer.objects.filter(slug=query.customer).first()
        if filters["customer"] is None:
            errors.append(_query_error("customer", _("Unknown customer: %(slug)s") % {"slug": query.customer}))
    if query.incident:
        filters["incident"] = selectors.incident_by_number(query.incident)
        if filters["incident"] is None:
            errors.append(_query_error("incident", _("No incident has this number.")))
    if errors:
        raise ValidationError(errors)
    return filters


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _query_error(name: str, message: str) -> dict[str, Any]:
    return {"loc": ["query", name], "msg": message, "type": "value_error"}


def _event(event: AuditEvent) -> AuditEventOut:
    links = list(event.incident.customer_links.all()) if event.incident else []
    return AuditEventOut(
        id=event.pk, at=event.at, actor=event.actor_username or None, actor_ip=event.actor_ip,
        action=event.action, action_label=event.get_action_display(),
        customer=event.customer.slug if event.customer else None, incident=links[0].number if links else None,
        object_type=event.object_type, object_id=event.object_id, object=event.object_repr,
        before=event.before, after=event.after, detail=event.detail,
    )
