"""The incidents API: open incidents, read them, post updates, reopen.

Thin on purpose: parse (``api_schemas``), ask ``selectors`` what the caller may see and
``services`` to write, then serialize. An incident of a customer the caller cannot see
answers 404 exactly like one that does not exist. Callers are MSP staff (the API's auth
makes sure), so internal notes are included.

Texts are written in the incident's ``language``; ``translations`` carries them in other
languages (``core.texts``), in and out by the request body's names (``impact``).
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja import Status as HttpStatus  # incidents.models has a Status of its own
from ninja.errors import ValidationError as BodyError

from api.schemas import (
    NOT_FOUND,
    READ_ERRORS,
    WRITE_ERRORS,
    ByLanguage,
    ComponentChangeOut,
    ComponentOut,
    ComponentRef,
    IncidentDetail,
    IncidentListQuery,
    IncidentNumber,
    IncidentOpenIn,
    IncidentPage,
    IncidentSummary,
    IncidentUpdateIn,
    NumberOut,
    ReopenIn,
    UpdateOut,
    UpdateResult,
)
from core.formatting import label
from core.texts import Translations
from flows import incidents as incident_flow
from incidents.models import OPEN_STATUSES, Component, Incident, IncidentUpdate, Language, Status
from incidents.selectors import (
    components_for_customer,
    customer_for_user,
    incident_by_number_for_user,
    incident_customers_for_user,
    incidents_for_user,
    timeline,
    with_console_details,
)
from incidents.visibility import INCIDENT_TEXTS

router = Router(tags=["incidents"])

_STATUS_FILTERS = {"open": Q(status__in=OPEN_STATUSES), "resolved": Q(status=Status.RESOLVED), "all": Q()}
# Services name fields after the model; clients know them by the request body's names.
_BODY_NAMES = {"business_impact": "impact", "is_internal": "internal"}
_SERVICE_NAMES = {body: field for field, body in _BODY_NAMES.items()}


@router.post("", response={201: IncidentDetail, **WRITE_ERRORS})
def open_incident(request: HttpRequest, payload: IncidentOpenIn) -> HttpStatus:
    customer = customer_for_user(request.auth, slug=payload.customer)
    if customer is None:  # the same answer whether it does not exist or is not the caller's
        raise ValidationError({"customer": _("Unknown customer: %(slug)s") % {"slug": payload.customer}})
    component_statuses = _component_statuses(payload.components, components_for_customer(customer))
    language = payload.language or customer.language
    translations = _translations(payload.translations, written_in=language)
    with _named_as_body():
        incident = incident_flow.open_incident(
            customer=customer, title=payload.title, category=payload.category, severity=payload.severity,
            message=payload.message, author=request.auth, status=payload.status, business_impact=payload.impact,
            workaround=payload.workaround, component_statuses=component_statuses, eta=payload.eta,
            detected_by=payload.detected_by, personal_data_involved=payload.personal_data_involved,
            language=language, translations=translations,
        )
    return HttpStatus(201, _detail(request.auth, incident.customer_links.get().number))


@router.get("", response={200: IncidentPage, **READ_ERRORS})
def list_incidents(request: HttpRequest, query: Query[IncidentListQuery]) -> IncidentPage:
    _refuse_unknown_parameters(request, IncidentListQuery)
    # Drills are practice in the console: integrations reading the API never see them (nor by number, below).
    incidents = incidents_for_user(request.auth).filter(_STATUS_FILTERS[query.status], is_drill=False)
    ordered = with_console_details(incidents, user=request.auth).order_by("-started_at", "-pk")
    page = list(ordered[query.offset : query.offset + query.limit])
    return IncidentPage(
        count=incidents.count(), limit=query.limit, offset=query.offset,
        items=[_summary(incident) for incident in page],
    )


@router.get("/{number}", response={200: IncidentDetail, **READ_ERRORS, **NOT_FOUND})
def get_incident(request: HttpRequest, number: IncidentNumber) -> IncidentDetail:
    return _detail(request.auth, number)


@router.post("/{number}/updates", response={201: UpdateResult, **WRITE_ERRORS, **NOT_FOUND})
def post_update(request: HttpRequest, number: IncidentNumber, payload: IncidentUpdateIn) -> HttpStatus:
    incident = _incident_or_404(request.auth, number)
    customers = incident_customers_for_user(request.auth, incident)
    component_statuses = _component_statuses(payload.components, Component.objects.filter(customer__in=customers))
    translations = _translations(payload.translations, written_in=incident.language)
    with _named_as_body():
        update = incident_flow.post_update(
            incident=incident, author=request.auth, message=payload.message, is_internal=payload.internal,
            status=payload.status, severity=payload.severity, component_statuses=component_statuses,
            eta=payload.eta, workaround=payload.workaround, root_cause=payload.root_cause,
            resolution_summary=payload.resolution_summary, translations=translations, customers=customers,
        )
    return HttpStatus(201, _update_result(request.auth, number, update))


@router.post("/{number}/reopen", response={201: UpdateResult, **WRITE_ERRORS, **NOT_FOUND})
def reopen(request: HttpRequest, number: IncidentNumber, payload: ReopenIn) -> HttpStatus:
    incident = _incident_or_404(request.auth, number)
    translations = _translations(payload.translations, written_in=incident.language)
    with _named_as_body():
        update = incident_flow.reopen(incident=incident, author=request.auth, message=payload.message,
                                          translations=translations)
    return HttpStatus(201, _update_result(request.auth, number, update))


# --- parsing -------------------------------------------------------------------------


def _incident_or_404(user: AbstractBaseUser, number: str) -> Incident:
    incident = incident_by_number_for_user(user, number=number)
    if incident is None or incident.is_drill:
        raise Http404("No such incident")
    return incident


def _refuse_unknown_parameters(request: HttpRequest, known: type[Schema]) -> None:
    """A misspelt ``?stauts=open`` would list every incident: refused (422), like an unknown body key."""
    unknown = sorted(set(request.GET) - set(known.model_fields))
    if unknown:
        raise BodyError([{"loc": ["query", name], "msg": _("Unknown parameter."), "type": "extra_forbidden"}
                         for name in unknown])


def _component_statuses(refs: list[ComponentRef], candidates: QuerySet[Component]) -> dict[Component, str]:
    """Resolve each reference among ``candidates``: unknown, ambiguous or repeated → 422 on components."""
    if not refs:
        return {}
    pool = list(candidates)
    statuses: dict[Component, str] = {}
    problems: list[str] = []
    for ref in refs:
        matches = [c for c in pool if ref.id == c.pk or ref.name == c.name]
        label = ref.name or f"#{ref.id}"
        if not matches:
            problems.append(_("Unknown component: %(component)s") % {"component": label})
        elif len(matches) > 1:
            problems.append(_("%(component)s names several components; use its id.") % {"component": label})
        elif matches[0] in statuses:
            problems.append(_("%(component)s is listed twice.") % {"component": label})
        else:
            statuses[matches[0]] = ref.status
    if problems:
        raise ValidationError({"components": problems})
    return statuses


def _translations(given: ByLanguage[Any] | None, *, written_in: str) -> Translations:
    """The services' ``{language: {field: text}}``; a version in the written language itself → 422 on it."""
    versions: dict[str, dict[str, str]] = given.model_dump(exclude_unset=True, exclude_none=True) if given else {}
    if written_in in versions:
        raise BodyError([{
            "loc": ["body", "translations", written_in], "type": "value_error",
            "msg": _("The texts are written in %(language)s; give only other languages here.") % {
                "language": label(Language, written_in)},
        }])
    return {language: {_SERVICE_NAMES.get(name, name): text for name, text in texts.items()}
            for language, texts in versions.items()}


@contextmanager
def _named_as_body() -> Iterator[None]:
    """Re-key a service's field errors by the request body's names."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {_BODY_NAMES.get(field, field): errors for field, errors in exc.error_dict.items()}
        raise ValidationError(renamed) from exc


# --- serializing ---------------------------------------------------------------------
# The incidents come from ``incidents.selectors``, which load only the caller's customers'
# parts of a shared incident (numbers, components, component changes): other customers stay
# out of answers.


def _summary_fields(incident: Incident, number: str | None) -> dict[str, Any]:
    """``number`` is the one the caller asked for; a listing shows the first one they may see."""
    numbers = [NumberOut(number=link.number, customer=link.customer.slug) for link in incident.customer_links.all()]
    return {
        "number": number or numbers[0].number, "numbers": numbers, "title": incident.title,
        "language": incident.language, "translations": _versions(incident.translations, INCIDENT_TEXTS),
        "category": incident.category, "severity": incident.severity, "status": incident.status,
        "started_at": incident.started_at, "resolved_at": incident.resolved_at, "eta": incident.eta,
        "next_update_due_at": incident.next_update_due_at,
    }


def _summary(incident: Incident, number: str | None = None) -> IncidentSummary:
    return IncidentSummary(**_summary_fields(incident, number))


def _detail(user: AbstractBaseUser, number: str) -> IncidentDetail:
    incident = _incident_or_404(user, number)
    components = [
        ComponentOut(id=a.component_id, name=a.component.name, customer=a.component.customer.slug, status=a.status)
        for a in incident.affected.all()
    ]
    return IncidentDetail(
        **_summary_fields(incident, number),
        impact=incident.business_impact, workaround=incident.workaround, root_cause=incident.root_cause,
        resolution_summary=incident.resolution_summary, detected_by=incident.detected_by,
        personal_data_involved=incident.personal_data_involved, detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at, identified_at=incident.identified_at,
        monitoring_at=incident.monitoring_at, last_public_update_at=incident.last_public_update_at,
        created_at=incident.created_at, updated_at=incident.updated_at, reopen_count=incident.reopen_count,
        components=components, updates=[_update_out(update) for update in timeline(incident, user=user)],
    )


def _update_out(update: IncidentUpdate) -> UpdateOut:
    changes = [
        ComponentChangeOut(
            id=change.component_id, name=change.component.name, customer=change.component.customer.slug,
            previous_status=change.previous_status or None, status=change.status,
        )
        for change in update.component_changes.all()
    ]
    return UpdateOut(
        id=update.pk, kind=update.kind, status=update.status, severity=update.severity, message=update.message,
        translations=_versions(update.translations, ["message"]), internal=update.is_internal,
        created_at=update.created_at, author=update.author.get_username() if update.author else None,
        component_changes=changes,
    )


def _versions(translations: Mapping[str, Mapping[str, str]] | None, fields: Sequence[str]) -> Translations:
    """Stored versions by the body's names; only Kalm's languages and these fields, empty ones left out."""
    stored = translations or {}
    named = {language: {_BODY_NAMES.get(field, field): text for field in fields
                        if (text := (stored.get(language) or {}).get(field))}
             for language in Language.values}
    return {language: texts for language, texts in named.items() if texts}


def _update_result(user: AbstractBaseUser, number: str, update: IncidentUpdate) -> UpdateResult:
    incident = _incident_or_404(user, number)
    update = timeline(incident, user=user).get(pk=update.pk)
    return UpdateResult(update=_update_out(update), incident=_summary(incident, number))
