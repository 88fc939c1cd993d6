"""The alert inbox (the draft policy): a person publishes an alert group as an incident, adds it
to an open incident, or dismisses it; nobody acting within the customer's acknowledgment
target publishes it anyway, and the account managers are told. An alert's group moves as one."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit import services as audit
from comms.messages import staff_notices
from incidents.models import OPEN_STATUSES, Incident, Status
from intake import actions
from intake.models import Alert, AlertState, Integration


def _lock_integration(alert: Alert) -> None:
    """The lock order of a request (intake.ingest): the integration first, so a notification of the
    same group arriving now waits, and then sees what was decided."""
    Integration.objects.select_for_update().filter(pk=alert.integration_id).first()


def _group(alert: Alert) -> list[Alert]:
    """The alert's inbox group, locked; a ValidationError when it has left the inbox meanwhile."""
    _lock_integration(alert)
    group = list(Alert.objects.select_for_update().filter(
        integration_id=alert.integration_id, group_key=alert.group_key, state=AlertState.INBOX).order_by("pk"))
    if not group:
        raise ValidationError({"alert": _("This alert is no longer in the inbox: someone acted on it already.")})
    return group


@transaction.atomic
def publish(alert: Alert, *, actor: AbstractBaseUser | None) -> Incident:
    group = _group(alert)
    incident = actions.open_incident_for(group, author=actor)
    _record(audit.Action.ALERT_PUBLISHED, group, actor, incident)
    return incident


@transaction.atomic
def merge(alert: Alert, incident: Incident, *, actor: AbstractBaseUser | None) -> Incident:
    if incident.status not in OPEN_STATUSES:
        raise ValidationError({"incident": _("Choose an open incident.")})
    group = _group(alert)
    actions.attach(group, incident)
    if incident.status == Status.MONITORING:
        actions.recur(incident)
    _record(audit.Action.ALERT_MERGED, group, actor, incident)
    return incident


@transaction.atomic
def dismiss(alert: Alert, *, actor: AbstractBaseUser | None) -> int:
    group = _group(alert)
    Alert.objects.filter(pk__in=[a.pk for a in group]).update(state=AlertState.DISMISSED)
    _record(audit.Action.ALERT_DISMISSED, group, actor, None)
    return len(group)


@transaction.atomic
def release_at_target(alert: Alert) -> Incident | None:
    """The tick: the group waited the acknowledgment target with nobody acting, so it goes out."""
    _lock_integration(alert)
    group = list(Alert.objects.select_for_update().filter(
        integration_id=alert.integration_id, group_key=alert.group_key, state=AlertState.INBOX, firing=True))
    if not group:
        return None
    incident = actions.open_incident_for(group, author=None)
    _record(audit.Action.ALERT_PUBLISHED, group, None, incident)
    staff_notices.alert_published_unattended(incident=incident, alerts=len(group),
                                             waited_minutes=alert.integration.customer.ack_target_minutes)
    return incident


def _record(action: str, group: list[Alert], actor: AbstractBaseUser | None, incident: Incident | None) -> None:
    lead = group[0]
    audit.record(action=action, actor=actor, customer=lead.integration.customer, incident=incident, target=lead,
                 detail=", ".join(alert.title for alert in group)[:2000])
