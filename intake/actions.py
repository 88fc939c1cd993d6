"""What alerts do to incidents: open one (with its acknowledgment), join an open one, say the
service is back when every alert has cleared, say it is not when one fires again, and resolve.

Every change goes through ``flows.incidents``, so the messages, the status page and the audit
trail follow exactly as when a person makes it. The texts are Kalm's default wording in every
language (``incidents.defaults``); the alert's own summary becomes the title, and its
technical details stay on the console (the incident page's alert panel), never in a message.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from flows import incidents as incident_flow
from incidents.bounds import BACK, MAX_TITLE
from incidents.defaults import (
    first_messages,
    message_and_translations,
    recovered_messages,
    recurred_messages,
    resolved_messages,
)
from incidents.models import OPEN_STATUSES, Component, ComponentStatus, Customer, Incident, Severity, Status
from intake.models import Alert, AlertState
from intake.signals import clean_text

OUTAGE_FOR_SEVERITY = {
    Severity.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
    Severity.HIGH: ComponentStatus.PARTIAL_OUTAGE,
    Severity.MEDIUM: ComponentStatus.DEGRADED_PERFORMANCE,
    Severity.LOW: ComponentStatus.DEGRADED_PERFORMANCE,
}


def open_incident_for(alerts: list[Alert], *, author: AbstractBaseUser | None = None) -> Incident:
    """One incident for a group of alerts: the first customer opens it, the others are added
    (a shared incident, each customer with its own number), and the alerts join it."""
    lead = min(alerts, key=lambda alert: (Severity.rank(alert.severity), alert.first_seen_at, alert.pk))
    severity = lead.severity
    customers = _customers(lead.customer_ids)
    components = list(Component.objects.filter(pk__in={pk for alert in alerts for pk in alert.component_ids}))
    outage = OUTAGE_FOR_SEVERITY[severity]
    first, *others = customers
    message, translations = message_and_translations(first_messages(), first.language)
    incident = incident_flow.open_incident(
        customer=first, title=clean_text(lead.title, MAX_TITLE), category=lead.category, severity=severity,
        message=message, translations=translations, author=author, language=first.language,
        started_at=_plausible_start(min(alert.started_at for alert in alerts)), detected_by="msp",
        component_statuses={c: outage for c in components if c.customer_id == first.pk},
    )
    for customer in others:
        incident_flow.add_customer(incident=incident, customer=customer, author=author,
                                   component_statuses={c: outage for c in components if c.customer_id == customer.pk})
    attach(alerts, incident)
    return incident


def attach(alerts: Iterable[Alert], incident: Incident) -> None:
    Alert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(state=AlertState.OPEN, incident=incident)


def join(alert: Alert, incident: Incident) -> None:
    """A new alert of the same group joins the incident; if it had recovered, it has not after all."""
    attach([alert], incident)
    if incident.status == Status.MONITORING:
        recur(incident)


def recover_if_clear(incident: Incident) -> bool:
    """Every alert of the open incident has cleared: it moves to monitoring, its components
    operational again (what the customers see), with Kalm's "working again" text."""
    if incident.status not in (Status.INVESTIGATING, Status.IDENTIFIED) or _still_firing(incident):
        return False
    message, translations = message_and_translations(recovered_messages(), incident.language)
    incident_flow.post_update(incident=incident, author=None, status=Status.MONITORING, message=message,
                              translations=translations,
                              component_statuses=_affected(incident, ComponentStatus.OPERATIONAL))
    return True


def recur(incident: Incident) -> None:
    """An alert fired again: a monitoring incident goes back to investigating with its components
    out again, a resolved one reopens (which restores them)."""
    message, translations = message_and_translations(recurred_messages(), incident.language)
    if incident.status == Status.RESOLVED:
        incident_flow.reopen(incident=incident, author=None, message=message, translations=translations)
    elif incident.status == Status.MONITORING:
        incident_flow.post_update(incident=incident, author=None, status=Status.INVESTIGATING, message=message,
                                  translations=translations,
                                  component_statuses=_affected(incident, OUTAGE_FOR_SEVERITY[incident.severity]))


def resolve_quietly_recovered(incident: Incident) -> bool:
    """The resolution policy's "resolve by itself": only a monitoring incident whose alerts all stayed clear."""
    if incident.status != Status.MONITORING or _still_firing(incident):
        return False
    message, translations = message_and_translations(resolved_messages(), incident.language)
    incident_flow.post_update(incident=incident, author=None, status=Status.RESOLVED, message=message,
                              translations=translations)
    return True


def open_incident_of_group(alert: Alert) -> Incident | None:
    """The open incident another alert of this group (same integration) is in, if any."""
    return (Incident.objects.filter(status__in=OPEN_STATUSES, alerts__integration_id=alert.integration_id,
                                    alerts__group_key=alert.group_key)
            .order_by("-detected_at").first())


def _still_firing(incident: Incident) -> bool:
    return incident.alerts.filter(firing=True).exists()


def _affected(incident: Incident, status: str) -> dict[Component, str]:
    """Every component the incident affects, set to ``status``."""
    return {affected.component: status for affected in incident.affected.select_related("component")}


def _customers(pks: list[int]) -> list[Customer]:
    found = {customer.pk: customer for customer in Customer.objects.filter(pk__in=pks)}
    return [found[pk] for pk in pks if pk in found]


def _plausible_start(started_at):
    """The source's start time within what an incident may name (its clock may run ahead)."""
    now = timezone.now()
    return max(min(started_at, now), now - BACK + timedelta(days=1))

