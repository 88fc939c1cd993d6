"""What a batch of signals does: de-duplicate by fingerprint, wait out flapping, group related
alerts into one incident, publish or hold for a person per policy, and clear.

All of a request's signals are handled in one transaction with the integration's row locked
(by a worker, ``intake.processing``, one request at a time in arrival order), so concurrent
deliveries of one source (Alertmanager sends groups in parallel, and retries) see each other's
alerts: a retry or a repeat never opens a second incident, and a storm of alerts opens no more
incidents than it has groups. What each signal did is counted in the ``Outcome`` that the
request's record shows.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from incidents.models import Status
from intake import actions
from intake.mapping import Target, target_for
from intake.models import Alert, AlertState, Integration, MappingRule, Policy
from intake.signals import AlertSignal

# A resolved incident is reopened by its alert firing again within this time; later, it is news.
REOPEN_WITHIN = timedelta(hours=24)


@dataclass
class Outcome:
    counts: Counter[str] = field(default_factory=Counter)
    incidents: set[int] = field(default_factory=set)

    def __str__(self) -> str:
        return ", ".join(f"{what} {count}" for what, count in sorted(self.counts.items())) or "nothing to do"


@transaction.atomic
def ingest(integration: Integration, signals: list[AlertSignal], now: datetime) -> Outcome:
    integration = Integration.objects.select_for_update(of=("self",)).select_related("customer").get(pk=integration.pk)
    rules = list(integration.rules.prefetch_related("customers"))
    outcome = Outcome()
    for signal in signals:
        alert = (Alert.objects.select_for_update(of=("self",)).select_related("incident")
                 .filter(integration=integration, fingerprint=signal.fingerprint).first())
        if signal.firing:
            _fire(integration, signal, alert, rules, now, outcome)
        else:
            _clear(alert, signal, now, outcome)
    return outcome


def _fire(integration: Integration, signal: AlertSignal, alert: Alert | None, rules: list[MappingRule],
          now: datetime, outcome: Outcome) -> None:
    if alert is not None and alert.firing:
        alert.last_seen_at, alert.times_received = now, alert.times_received + 1
        alert.save(update_fields=["last_seen_at", "times_received"])
        outcome.counts["repeated"] += 1
        return
    target = target_for(integration, signal, rules)
    if alert is None:
        alert = Alert(integration=integration, fingerprint=signal.fingerprint, first_seen_at=now, times_fired=0,
                      times_received=0)
    _describe(alert, signal, target, now)
    incident = alert.incident
    if incident is not None and alert.state == AlertState.OPEN and _may_reopen(incident, now):
        alert.save()
        actions.recur(incident)
        outcome.counts["recurred"] += 1
        outcome.incidents.add(incident.pk)
        return
    alert.state, alert.incident = AlertState.PENDING, None
    alert.save()
    if counts_now(alert, now):
        promote(alert, outcome)
    else:
        outcome.counts["waiting"] += 1


def _describe(alert: Alert, signal: AlertSignal, target: Target, now: datetime) -> None:
    """The alert as it fires now: the source's words and the mapping's choices."""
    alert.firing, alert.resolved_at, alert.last_seen_at = True, None, now
    alert.times_fired += 1
    alert.times_received += 1
    alert.group_key = signal.group_key or signal.fingerprint
    alert.title = signal.title
    alert.description = signal.description
    alert.labels = signal.labels
    alert.url = signal.url
    alert.started_at = min(signal.started_at or now, now)
    alert.severity, alert.category, alert.policy = target.severity, target.category, target.policy
    alert.flap_seconds = target.flap_seconds
    alert.customer_ids = [customer.pk for customer in target.customers]
    alert.component_ids = target.component_ids


def _may_reopen(incident, now: datetime) -> bool:
    if incident.status != Status.RESOLVED:
        return True
    return incident.resolved_at is not None and now - incident.resolved_at <= REOPEN_WITHIN


def counts_now(alert: Alert, now: datetime) -> bool:
    """Flap damping: an alert counts once it has fired for its rule's seconds."""
    return now - alert.started_at >= timedelta(seconds=alert.flap_seconds)


def promote(alert: Alert, outcome: Outcome | None = None) -> None:
    """A counting alert joins its group's open incident, waits in the inbox (draft), or opens one."""
    outcome = outcome or Outcome()
    incident = actions.open_incident_of_group(alert)
    if incident is not None:
        actions.join(alert, incident)
        outcome.counts["joined"] += 1
    elif alert.policy == Policy.DRAFT:
        Alert.objects.filter(pk=alert.pk).update(state=AlertState.INBOX)
        outcome.counts["inbox"] += 1
        return
    else:
        incident = actions.open_incident_for([alert, *inbox_group(alert)])
        outcome.counts["opened"] += 1
    outcome.incidents.add(incident.pk)


def inbox_group(alert: Alert) -> list[Alert]:
    """The other alerts of ``alert``'s group waiting in the inbox (they go wherever it goes)."""
    return list(Alert.objects.filter(integration_id=alert.integration_id, group_key=alert.group_key,
                                     state=AlertState.INBOX).exclude(pk=alert.pk))


def _clear(alert: Alert | None, signal: AlertSignal, now: datetime, outcome: Outcome) -> None:
    if alert is None or not alert.firing:
        outcome.counts["already_cleared"] += 1
        return
    alert.firing = False
    alert.resolved_at = min(signal.ended_at or now, now)
    alert.last_seen_at, alert.times_received = now, alert.times_received + 1
    if alert.state in (AlertState.PENDING, AlertState.INBOX):
        alert.state = AlertState.IGNORED  # cleared before it counted, or before anybody had to act
    alert.save()
    outcome.counts["cleared"] += 1
    if alert.state == AlertState.OPEN and alert.incident is not None and actions.recover_if_clear(alert.incident):
        outcome.counts["recovered"] += 1
        outcome.incidents.add(alert.incident.pk)
