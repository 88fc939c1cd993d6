"""Coalescing: a routine update waits out the recipient's interval instead of being dropped (issue 10).

Someone who heard about an incident less than ``KALM_COALESCE_MINUTES`` ago does not need
a routine update at once (the rule: ``is_routine``). Such a delivery is DEFERRED until the
interval ends; a change of status, severity, components, ETA or workaround, and every other
kind of message, always goes at once. The interval is per address *and incident*, and only
a message on its way (queued, sending, sent) starts one: a maintenance notice, another
incident's message, or a deferred or superseded one never holds an update.

A deferred delivery ends in one of two ways, and nothing a person wrote is lost:

- another message about the incident goes to that address first (``absorb_deferred``, when
  it is expanded): the deferred ones become SUPERSEDED by it, and it carries their public
  messages under "Earlier updates" (``comms.outbox.earlier_updates``);
- otherwise the interval ends and the sweeper (``release_due``, every minute) queues the newest
  deferred one, carrying the older ones' messages; they become SUPERSEDED by it.

Both places lock the rows they change with SKIP LOCKED and change only rows still DEFERRED,
so two workers never both decide about one delivery; the release is one transaction, so a
worker killed in the middle leaves every row deferred for the next sweep. One narrow race
remains: a message expanded while the sweeper holds the rows skips them, and if it commits
before the sweeper looks for later messages, the deferred ones are superseded by it without
their text in it (their state is in it).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce

from comms.models import LIVE_DELIVERY_STATES, Communication, Delivery, DeliveryState, MessageKind
from incidents.models import IncidentUpdate, UpdateKind

Pair = tuple[str, str]  # channel, address

# Message kinds that may wait. Every other kind (acknowledgment, escalation, resolution,
# regulatory notice, summaries, maintenance notices) says something nothing later repeats.
ROUTINE_KINDS = frozenset({MessageKind.UPDATE, MessageKind.HOLDING})
ROUTINE_ENTRIES = frozenset({UpdateKind.UPDATE, UpdateKind.HOLDING})
SUPERSEDE_BATCH = 500

logger = logging.getLogger(__name__)


def interval() -> timedelta:
    return timedelta(minutes=settings.KALM_COALESCE_MINUTES)


def is_routine(update: IncidentUpdate | None) -> bool:
    """Whether a timeline entry is routine, i.e. its messages may wait out a recipient's interval.

    The rule: a public status update or holding update that changed no fact — not the
    status, the severity, a component's status, the ETA, the workaround, nor any other fact
    in ``facts_changed``. Its message repeats a state the recipient knows, plus words,
    so it may wait a few minutes and go out merged with what follows. A change is news
    and is never held.
    """
    if update is None or update.kind not in ROUTINE_ENTRIES or update.is_internal:
        return False
    if update.status_changed or update.severity_changed or update.facts_changed:
        return False
    return not update.component_changes.exists()


def may_defer(communication: Communication) -> bool:
    """A routine message about an incident, with coalescing switched on (KALM_COALESCE_MINUTES > 0)."""
    return (settings.KALM_COALESCE_MINUTES > 0 and communication.incident_id is not None
            and communication.kind in ROUTINE_KINDS and is_routine(communication.update))


def deferred_until(communication: Communication, pairs: set[Pair], now: datetime) -> dict[Pair, datetime]:
    """For each address inside its interval: when the interval ends (last message about the incident + N minutes).

    A message's time is when it was sent, or, not sent yet, when it is due: a deferred
    update released at 10:10 starts an interval at 10:10, not when it was written. Empty for
    a message that may not wait. One grouped query over this incident's live deliveries,
    whatever the number of recipients.
    """
    if not pairs or not may_defer(communication):
        return {}
    recent = (
        Delivery.objects.filter(communication__incident_id=communication.incident_id, state__in=LIVE_DELIVERY_STATES)
        .exclude(communication=communication)
        .annotate(heard=Coalesce("sent_at", "next_attempt_at")).filter(heard__gt=now - interval())
        .values("channel", "address").annotate(last=Max("heard")).order_by()
        .values_list("channel", "address", "last")
    )
    return {(channel, address): last + interval() for channel, address, last in recent
            if (channel, address) in pairs}


def merged_update_ids(*parts: Iterable[int | None], own: int | None) -> list[int]:
    """The timeline entries a carrying delivery shows under "Earlier updates": distinct, without its own."""
    seen: list[int] = []
    for part in parts:
        for update_id in part:
            if update_id is not None and update_id != own and update_id not in seen:
                seen.append(update_id)
    return seen


# --- a message going out now takes over the deferred ones ---------------------------------


@dataclass
class Absorbed:
    """Deferred deliveries a message's outgoing deliveries replace, by (channel, address)."""

    ids: dict[Pair, list[int]] = field(default_factory=dict)
    communications: set[int] = field(default_factory=set)  # theirs: may be done once these are final


def absorb_deferred(communication: Communication, deliveries: list[Delivery]) -> Absorbed:
    """Lock the deferred deliveries that this message's outgoing ones replace; note what they carry.

    Called in the expansion's transaction before its deliveries are written: each queued
    delivery gets the earlier messages of the deferred ones to its address about this
    incident. Rows a releasing sweeper holds are skipped (they go out on their own).
    ``supersede_absorbed`` links them once the new deliveries have ids.
    """
    outgoing = {(d.channel, d.address): d for d in deliveries if d.state == DeliveryState.QUEUED}
    absorbed = Absorbed()
    if communication.incident_id is None or not outgoing:
        return absorbed
    pending = (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(communication__incident_id=communication.incident_id, state=DeliveryState.DEFERRED)
        .exclude(communication=communication).order_by("id")
        .values_list("id", "channel", "address", "communication_id", "communication__update_id",
                     "earlier_update_ids")
    )
    for pk, channel, address, communication_id, update_id, earlier in pending:
        carrier = outgoing.get((channel, address))
        if carrier is not None:
            absorbed.ids.setdefault((channel, address), []).append(pk)
            absorbed.communications.add(communication_id)
            carrier.earlier_update_ids = merged_update_ids(carrier.earlier_update_ids, earlier, [update_id],
                                                           own=communication.update_id)
    return absorbed


def supersede_absorbed(communication: Communication, absorbed: Absorbed) -> None:
    """Mark the absorbed deferred deliveries SUPERSEDED by this message's delivery to the same address."""
    if not absorbed.ids:
        return
    carriers = {(channel, address): pk for pk, channel, address
                in communication.deliveries.values_list("id", "channel", "address")}
    rows = [Delivery(pk=pk, state=DeliveryState.SUPERSEDED, superseded_by_id=carriers[pair])
            for pair, ids in absorbed.ids.items() if pair in carriers for pk in ids]
    Delivery.objects.filter(state=DeliveryState.DEFERRED).bulk_update(rows, ["state", "superseded_by"],
                                                                      batch_size=SUPERSEDE_BATCH)


# --- the interval ends: the sweeper releases what waited -----------------------------------

RELEASE_LIMIT = 5000  # deferred deliveries looked at per sweep; the rest waits a minute


@dataclass(frozen=True)
class _Row:
    pk: int
    incident_id: int
    channel: str
    address: str
    communication_id: int
    update_id: int | None
    earlier: list[int]

    @property
    def group(self) -> tuple[int, str, str]:
        return self.incident_id, self.channel, self.address


@dataclass
class Release:
    """What one sweep decided: deliveries to queue now, and deliveries superseded (by whom)."""

    queued: list[Delivery] = field(default_factory=list)
    superseded: list[Delivery] = field(default_factory=list)
    communications: set[int] = field(default_factory=set)


class _Taken(Exception):
    """A row changed under us (another sweeper without row locks, i.e. SQLite): roll back, retry next sweep."""


def release_due(now: datetime) -> Release:
    """Decide every (incident, channel, address) whose deferred deliveries are due, in one transaction.

    Per group: if a delivery to that address about that incident was written after the
    newest deferred one and is on its way, it carried the state: all of them become
    SUPERSEDED by it. Otherwise the newest is queued now, carrying the older ones' messages
    ("Earlier updates"), and the older ones become SUPERSEDED by it. Rows are locked with
    SKIP LOCKED and changed only while still DEFERRED; if any was changed by someone else the
    whole release rolls back, so a crash or a race leaves every row deferred for the next sweep.
    """
    try:
        with transaction.atomic():
            groups = _due_groups(now)
            release = _decide(groups, _later_live(groups), now)
            _apply(release, now)
    except _Taken:
        logger.warning("deferred deliveries changed during the release; left for the next sweep")
        return Release()
    return release


def _due_groups(now: datetime) -> dict[tuple[int, str, str], list[_Row]]:
    """Due deferred rows, locked, grouped and ordered oldest first; a group cut by the limit waits whole."""
    rows = [_Row(*values) for values in (
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=DeliveryState.DEFERRED, next_attempt_at__lte=now)
        .order_by("communication__incident_id", "channel", "address", "id")
        .values_list("id", "communication__incident_id", "channel", "address", "communication_id",
                     "communication__update_id", "earlier_update_ids")[:RELEASE_LIMIT + 1]
    )]
    groups: dict[tuple[int, str, str], list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    if len(rows) > RELEASE_LIMIT and len(groups) > 1:
        groups.popitem()  # the last group may have more rows than were read
    return groups


def _later_live(groups: dict[tuple[int, str, str], list[_Row]]) -> dict[tuple[int, str, str], list[int]]:
    """Per group key: ids of deliveries on their way to that address about the incident, oldest first.

    Only those written after the newest deferred row of some group of the incident (one
    query per incident); ``_decide`` keeps, per group, the ones after its own newest row.
    """
    after: dict[int, int] = {}
    for (incident_id, _channel, _address), rows in groups.items():
        after[incident_id] = min(after.get(incident_id, rows[-1].pk), rows[-1].pk)
    found: dict[tuple[int, str, str], list[int]] = {}
    for incident_id, pk in after.items():
        for later, channel, address in (
            Delivery.objects.filter(communication__incident_id=incident_id, state__in=LIVE_DELIVERY_STATES, pk__gt=pk)
            .order_by("id").values_list("id", "channel", "address")
        ):
            found.setdefault((incident_id, channel, address), []).append(later)
    return found


def _decide(groups: dict[tuple[int, str, str], list[_Row]], later: dict[tuple[int, str, str], list[int]],
            now: datetime) -> Release:
    release = Release()
    for key, rows in groups.items():
        newest = rows[-1]
        carrier = next((pk for pk in later.get(key, ()) if pk > newest.pk), None)
        if carrier is None:
            carrier = newest.pk
            earlier = merged_update_ids(*(row.earlier for row in rows), [row.update_id for row in rows[:-1]],
                                        own=newest.update_id)
            release.queued.append(Delivery(pk=newest.pk, state=DeliveryState.QUEUED, next_attempt_at=now,
                                           earlier_update_ids=earlier))
            rows = rows[:-1]
        release.superseded += [Delivery(pk=row.pk, state=DeliveryState.SUPERSEDED, superseded_by_id=carrier)
                               for row in rows]
        release.communications.update(row.communication_id for row in rows)
    return release


def _apply(release: Release, now: datetime) -> None:
    deferred = Delivery.objects.filter(state=DeliveryState.DEFERRED)
    plain = [row.pk for row in release.queued if not row.earlier_update_ids]
    merged = [row for row in release.queued if row.earlier_update_ids]
    changed = sum(deferred.filter(pk__in=plain[start:start + SUPERSEDE_BATCH])
                  .update(state=DeliveryState.QUEUED, next_attempt_at=now)
                  for start in range(0, len(plain), SUPERSEDE_BATCH))
    changed += deferred.bulk_update(merged, ["state", "next_attempt_at", "earlier_update_ids"],
                                    batch_size=SUPERSEDE_BATCH)
    changed += deferred.bulk_update(release.superseded, ["state", "superseded_by"], batch_size=SUPERSEDE_BATCH)
    if changed != len(release.queued) + len(release.superseded):
        raise _Taken
