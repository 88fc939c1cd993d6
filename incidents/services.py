"""Writes to the incident facts: every lifecycle change, after the rules it must satisfy (``incidents.rules``).

Views, forms, the API and tasks call these functions; they never write incident rows
themselves. Each function is one transaction, validates before it writes, and raises
``django.core.exceptions.ValidationError`` keyed by field name for bad input, so callers
can show the error next to the right field and nothing is half-written.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.texts import Translations, merged
from incidents import rules
from incidents.components import (
    ComponentStatuses,
    all_operational,
    apply_component_statuses,
    check_component_values,
    restore_components_cleared_by_resolution,
)
from incidents.models import (
    Customer,
    CustomerIncident,
    Incident,
    IncidentNumberCounter,
    IncidentUpdate,
    Status,
    UpdateKind,
)
from incidents.regulatory import regulatory_clocks_start
from incidents.visibility import INCIDENT_TEXTS

# Reaching a later status implies the earlier milestones happened; their timestamps are
# filled in on the way so the report never shows "monitoring" without "identified".
_MILESTONES = [
    (Status.IDENTIFIED, "identified_at"),
    (Status.MONITORING, "monitoring_at"),
    (Status.RESOLVED, "resolved_at"),
]
_STATUS_ORDER = list(Status.values)


def incident_number_next(*, customer: Customer, at: datetime) -> str:
    """Draw the next ``PREFIX-YYYY-MMDD-NNN`` for the customer's local day of ``at``.

    Must run inside a transaction: the counter row stays locked until commit, which is
    what makes concurrent openings on PostgreSQL receive distinct numbers.
    """
    day = timezone.localtime(at, customer.tzinfo).date()
    counter, _created = IncidentNumberCounter.objects.select_for_update().get_or_create(customer=customer, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{customer.incident_prefix}-{day:%Y-%m%d}-{counter.last:03d}"


def next_update_due(*, incident: Incident, after: datetime) -> datetime | None:
    """When the next public update is promised: the tightest cadence of the affected customers."""
    if incident.status == Status.RESOLVED:
        return None
    cadences = [c.cadence_minutes(incident.severity, incident.status) for c in incident.customers.all()]
    if not cadences:
        return None
    return after + timedelta(minutes=min(cadences))


@transaction.atomic
def incident_open(
    *,
    customer: Customer,
    title: str,
    category: str,
    severity: str,
    message: str,
    author: AbstractBaseUser | None,
    status: str = Status.INVESTIGATING,
    business_impact: str = "",
    workaround: str = "",
    component_statuses: ComponentStatuses | None = None,
    eta: datetime | None = None,
    started_at: datetime | None = None,
    detected_by: str = "msp",
    personal_data_involved: bool = False,
    language: str | None = None,
    translations: Translations | None = None,
    is_drill: bool = False,
) -> Incident:
    """Open an incident for one customer with its first public message (the acknowledgment).

    The texts are written in ``language`` (default: the customer's); ``translations`` holds
    them in other languages, ``{"en": {"title": …, "message": …, "workaround": …}}``.
    """
    now = timezone.now()
    component_statuses = component_statuses or {}
    rules.check_open(customer=customer, status=status, message=message, component_statuses=component_statuses,
                started_at=started_at, eta=eta, now=now)
    incident_texts, message_texts = split_translations(translations)
    incident = Incident(
        title=title.strip(),
        language=language or customer.language,
        translations=merged({}, incident_texts),
        category=category,
        severity=severity,
        status=status,
        business_impact=business_impact.strip(),
        workaround=workaround.strip(),
        detected_by=detected_by,
        personal_data_involved=personal_data_involved,
        started_at=started_at or now,
        detected_at=now,
        # With approval required, the acknowledgment is released by the account manager (or by
        # the tick at the contract's target): incidents.cadence.incident_release_acknowledgment.
        acknowledged_at=None if customer.ack_requires_approval else now,
        last_public_update_at=now,
        eta=eta,
        created_by=author if is_user(author) else None,
        is_drill=is_drill,  # a practice run (flows.drills): internal messages only, never public
    )
    _stamp_milestones(incident, status, now)
    incident.full_clean()
    incident.save()
    CustomerIncident.objects.create(
        incident=incident, customer=customer, number=incident_number_next(customer=customer, at=now)
    )
    update = timeline_entry_add(incident=incident, kind=UpdateKind.OPENED, author=author, message=message,
                                translations=message_texts, at=now)
    apply_component_statuses(incident, update, component_statuses)
    incident.next_update_due_at = next_update_due(incident=incident, after=now)
    incident.save(update_fields=["next_update_due_at"])
    if personal_data_involved:
        regulatory_clocks_start(incident=incident, at=now)
    return incident


@transaction.atomic
def incident_post_update(
    *,
    incident: Incident,
    author: AbstractBaseUser | None,
    message: str = "",
    is_internal: bool = False,
    status: str | None = None,
    severity: str | None = None,
    component_statuses: ComponentStatuses | None = None,
    eta: datetime | None = None,
    workaround: str | None = None,
    root_cause: str | None = None,
    resolution_summary: str | None = None,
    business_impact: str | None = None,
    title: str | None = None,
    external_impact: bool | None = None,
    personal_data_involved: bool | None = None,
    translations: Translations | None = None,
    promise: datetime | None = None,
    customers: Iterable[Customer] | None = None,
) -> IncidentUpdate:
    """Add a timeline entry and apply the facts it changes (status, severity, components, …).

    Rules: a resolved incident must be reopened first; an internal note changes nothing
    public (it may record internal facts: business impact, external impact, personal data);
    resolving needs a public message; an update must say or change something. Setting the
    personal-data flag starts the regulatory clocks.

    ``translations`` carries the message and changed texts in other languages than the
    incident's (``{"en": {"message": …, "workaround": …}}``). ``promise`` is a next-update
    time the account manager already approved in the composer's text: it is kept when it
    lies in the future and no later than the cadence allows, so the message and the due
    time agree to the minute.

    ``customers`` are the ones whose components the author may change on a shared incident
    (``incidents.selectors.incident_customers_for_user``); None means all of the incident's (the
    tick). Resolving still clears every customer's components: the incident ends for all of them.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    now = timezone.now()
    status = status or incident.status
    severity = severity or incident.severity
    component_statuses = dict(component_statuses or {})
    rules.check_component_scope(component_statuses, customers)
    message = message.strip()
    if status == Status.RESOLVED:
        component_statuses = all_operational(incident) | component_statuses
    incident_texts, message_texts = split_translations(translations)
    texts = {"workaround": workaround, "root_cause": root_cause, "resolution_summary": resolution_summary,
             "business_impact": business_impact, "title": title}
    changed = _changed_facts(incident, texts=texts, flags={"external_impact": external_impact,
                                                           "personal_data_involved": personal_data_involved})
    changed |= _changed_translations(incident, incident_texts)
    if eta is not None and eta != incident.eta:
        changed["eta"] = eta  # recorded like the other facts: a new ETA is news (comms.outbox.coalescing)
    rules.check_update(incident=incident, message=message, is_internal=is_internal, status=status,
                  severity=severity, component_statuses=component_statuses, changed=changed, now=now)

    update = timeline_entry_add(
        incident=incident, kind=_update_kind(is_internal=is_internal, status=status), author=author,
        message=message, translations=message_texts, is_internal=is_internal, status=status, severity=severity,
        facts_changed=sorted(changed), at=now,
    )
    apply_component_statuses(incident, update, component_statuses)
    incident.status, incident.severity = status, severity
    for field, value in changed.items():
        if field != "translations":
            setattr(incident, field, value)
    incident.translations = merged(incident.translations, incident_texts)
    _stamp_milestones(incident, status, now)
    if changed.get("personal_data_involved"):
        regulatory_clocks_start(incident=incident, at=now)
    if message and not is_internal:
        incident.last_public_update_at = now
    # Severity or status may change the cadence, so the promise is recomputed every time.
    incident.next_update_due_at = _kept_promise(
        promise, next_update_due(incident=incident, after=incident.last_public_update_at or now), now)
    incident.full_clean()
    incident.save()
    return update


def _kept_promise(promise: datetime | None, cadence_due: datetime | None, now: datetime) -> datetime | None:
    """The approved promise when it is in the future and no later than the cadence; else the cadence's time."""
    if promise is None or cadence_due is None or not (now < promise <= cadence_due):
        return cadence_due
    return promise


def split_translations(translations: Translations | None) -> tuple[Translations, Translations]:
    """(the incident's texts, the entry's message) of a form's or client's per-language texts."""
    incident_texts: Translations = {}
    message_texts: Translations = {}
    for language, texts in (translations or {}).items():
        for field, text in texts.items():
            if field == "message":
                message_texts.setdefault(language, {})[field] = text
            elif field in INCIDENT_TEXTS:
                incident_texts.setdefault(language, {})[field] = text
    return incident_texts, message_texts


def _changed_translations(incident: Incident, incident_texts: Translations) -> dict[str, Any]:
    """{"<field>": current value} for each text whose version in some language changes (marks it changed)."""
    after = merged(incident.translations, incident_texts)
    return {field: getattr(incident, field) for field in INCIDENT_TEXTS
            if any((after.get(language) or {}).get(field) != (incident.translations.get(language) or {}).get(field)
                   for language in set(after) | set(incident.translations))}


def timeline_entry_add(*, incident: Incident, kind: str, author: AbstractBaseUser | None, message: str = "",
                       translations: Translations | None = None, is_internal: bool = False,
                       status: str | None = None, severity: str | None = None,
                       facts_changed: list[str] | None = None, at: datetime) -> IncidentUpdate:
    """Write one timeline entry; status and severity default to the incident's (before any change)."""
    return IncidentUpdate.objects.create(
        incident=incident, kind=kind, author=author if is_user(author) else None, message=message.strip(),
        translations=merged({}, translations), is_internal=is_internal,
        status=status or incident.status, previous_status=incident.status,
        severity=severity or incident.severity, previous_severity=incident.severity,
        facts_changed=facts_changed or [], created_at=at,
    )


def _changed_facts(incident: Incident, *, texts: Mapping[str, str | None],
                   flags: Mapping[str, bool | None]) -> dict[str, Any]:
    """The given facts whose value differs from the incident's (texts stripped); None means "not given"."""
    changed: dict[str, Any] = {}
    for field, value in texts.items():
        if value is not None and value.strip() != getattr(incident, field):
            changed[field] = value.strip()
    for field, flag in flags.items():
        if flag is not None and flag != getattr(incident, field):
            changed[field] = flag
    return changed


def _update_kind(*, is_internal: bool, status: str) -> str:
    if is_internal:
        return UpdateKind.NOTE
    return UpdateKind.RESOLVED if status == Status.RESOLVED else UpdateKind.UPDATE


@transaction.atomic
def incident_reopen(*, incident: Incident, author: AbstractBaseUser | None, message: str,
                    translations: Translations | None = None) -> IncidentUpdate:
    """Reopen a resolved incident; counted and recorded on the timeline (flows.incidents tells everyone)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status != Status.RESOLVED:
        raise ValidationError({"status": _("Only a resolved incident can be reopened.")})
    if not message.strip():
        raise ValidationError({"message": _("Tell stakeholders why the incident is reopened.")})
    now = timezone.now()
    update = timeline_entry_add(incident=incident, kind=UpdateKind.REOPENED, author=author, message=message,
                                translations=split_translations(translations)[1], status=Status.INVESTIGATING,
                                at=now)
    restore_components_cleared_by_resolution(incident, update)
    incident.status = Status.INVESTIGATING
    incident.resolved_at = None
    incident.monitoring_at = None
    incident.reopen_count += 1
    incident.last_public_update_at = now
    incident.next_update_due_at = next_update_due(incident=incident, after=now)
    incident.save()
    return update


@transaction.atomic
def incident_add_customer(
    *,
    incident: Incident,
    customer: Customer,
    author: AbstractBaseUser | None,
    component_statuses: ComponentStatuses | None = None,
    translations: Translations | None = None,
) -> CustomerIncident:
    """Add another affected customer (an upstream outage): it gets its own number and components.

    ``translations`` adds the incident's texts in the languages the new customer's people read,
    before their acknowledgment is written.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    component_statuses = component_statuses or {}
    errors: dict[str, str] = {}
    if incident.status == Status.RESOLVED:
        errors["customer"] = _("This incident is resolved. Reopen it first.")
    elif incident.customer_links.filter(customer=customer).exists():
        errors["customer"] = _("%(customer)s is already affected by this incident.") % {"customer": customer}
    if any(c.customer_id != customer.pk for c in component_statuses):
        errors["components"] = _("Choose components of the customer you are adding.")
    check_component_values(component_statuses, errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    link = CustomerIncident.objects.create(
        incident=incident, customer=customer, number=incident_number_next(customer=customer, at=now)
    )
    incident_texts = split_translations(translations)[0]
    if incident_texts:
        incident.translations = merged(incident.translations, incident_texts)
        incident.save(update_fields=["translations", "updated_at"])
    update = timeline_entry_add(incident=incident, kind=UpdateKind.CUSTOMER_ADDED, author=author,
                                is_internal=True, at=now)
    apply_component_statuses(incident, update, component_statuses)
    return link


def _stamp_milestones(incident: Incident, status: str, now: datetime) -> None:
    reached = _STATUS_ORDER.index(status)
    for milestone, field in _MILESTONES:
        if _STATUS_ORDER.index(milestone) <= reached and getattr(incident, field) is None:
            setattr(incident, field, now)


def is_user(author: AbstractBaseUser | None) -> bool:
    return author is not None and author.is_authenticated
