"""The order in which a person hears about an incident: never a later phase first.

The rule: whoever receives a later message of an incident has received the message that
introduced it to them — the acknowledgment, or an escalation or regulatory notice.

- A routine update or holding update to someone not yet introduced becomes their
  acknowledgment, written from the current facts (a stakeholder added mid-incident, a
  subscriber who signed up, a role that severity now reaches).
- A resolution, post-incident summary or management summary goes only to people who were
  introduced: nobody first hears of an incident from the message that says it is over.
  Everyone who was introduced does hear how it ended, also when a lowered severity would no
  longer route the resolution to their role.
- ``routing_table`` (comms.directory.routing) widens each role's acknowledgment to the severities at
  which the role receives anything later, so the defaults and a customer's overrides agree
  with this rule before a single message is planned.
"""

from collections.abc import Mapping

from comms.models import Communication, MessageKind

GroupKey = tuple[str, str, str]  # kind, audience, language

INTRODUCTIONS = frozenset({MessageKind.ACKNOWLEDGMENT, MessageKind.ESCALATION, MessageKind.REGULATORY})
# Told during the incident: to someone not introduced yet they become the acknowledgment.
DURING = frozenset({MessageKind.UPDATE, MessageKind.HOLDING})
# Told once it is over: only to people who were introduced.
AFTERWARDS = frozenset({MessageKind.RESOLUTION, MessageKind.POST_INCIDENT, MessageKind.MANAGEMENT_SUMMARY})


def introduced_ids(*, incident_id: int, customer_id: int) -> set[int]:
    """Stakeholders of ``customer_id`` who were sent an introduction to the incident (one query)."""
    lists = Communication.objects.filter(incident_id=incident_id, customer_id=customer_id,
                                         kind__in=INTRODUCTIONS).values_list("recipient_ids", flat=True)
    return {stakeholder_id for ids in lists for stakeholder_id in ids}


def in_order(groups: Mapping[GroupKey, list[int]], introduced: set[int]) -> dict[GroupKey, list[int]]:
    """``groups`` with each recipient's kind made to follow the rule above."""
    result: dict[GroupKey, list[int]] = {}
    for (kind, audience, language), ids in groups.items():
        if kind in DURING:
            first_timers = [i for i in ids if i not in introduced]
            _add(result, (MessageKind.ACKNOWLEDGMENT, audience, language), first_timers)
            _add(result, (kind, audience, language), [i for i in ids if i in introduced])
        elif kind in AFTERWARDS:
            _add(result, (kind, audience, language), [i for i in ids if i in introduced])
        else:
            _add(result, (kind, audience, language), list(ids))
    return result


def _add(result: dict[GroupKey, list[int]], key: GroupKey, ids: list[int]) -> None:
    if ids:
        result[key] = sorted([*result.get(key, []), *ids])
