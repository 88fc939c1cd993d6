"""Coalescing delays, never discards (issue 10): what recipients find in their inbox, and when.

Everything goes through the real path: the services publish, the outbox expands, the
delivery engine sends to a real SMTP server on loopback, and the sweeper (what beat runs
every minute) releases deferred messages. The clock is time-machine's, stopped: T0 is
10:00 in Amsterdam; the interval is the default 10 minutes.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from comms.models import Communication, Delivery, DeliveryState, Stakeholder
from comms.outbox.coalescing import is_routine
from flows import incidents as incident_flow
from flows.maintenance import schedule as maintenance_schedule
from tests.comms.coalescing.conftest import IT, STAFF, T0, deliveries, html, inbox, open_incident, plain, post


def exported(client, address):
    """The CSV export's rows for ``address``, as dicts by column."""
    text = b"".join(client.get(reverse("comms:log_csv")).streaming_content).decode()
    return [row for row in csv.DictReader(io.StringIO(text)) if row["address"] == address]


# --- the reproduction ----------------------------------------------------------------


def test_a_status_change_a_minute_after_opening_goes_out_at_once(customer, people, account_manager, smtp_server, at):
    incident = at(0, lambda: open_incident(customer, account_manager))
    identified = at(1, post(incident, account_manager, "Cause found: a failed disk.", status="identified"))

    for address in (IT, STAFF):
        assert len(inbox(smtp_server, address)) == 2, address
    assert "Cause found: a failed disk." in plain(inbox(smtp_server, IT)[1])
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert not is_routine(identified)


# --- a routine update waits, then goes out once ---------------------------------------------------


def test_a_routine_update_waits_for_the_interval_then_goes_out_once(
    customer, people, account_manager, smtp_server, at, sweep_at, client
):
    incident = at(0, lambda: open_incident(customer, account_manager))
    update = at(2, post(incident, account_manager, "We are replacing the disk."))

    assert len(inbox(smtp_server, IT)) == 1  # the acknowledgment only
    waiting = deliveries(update).get()
    assert waiting.state == DeliveryState.DEFERRED and waiting.next_attempt_at == T0 + timedelta(minutes=10)
    client.force_login(account_manager)
    log = client.get(reverse("comms:incident_log", args=[incident.pk])).text
    assert "Deferred until 10:10" in log
    assert "less than 10 minutes ago wait until 10 minutes have passed" in log  # the rule, stated
    page = client.get(reverse("incidents:detail", args=[incident.pk])).text
    assert "2 routine messages are deferred until 10:10" in page  # IT and staff
    assert exported(client, IT)[0]["deferred_until"] == "2026-03-10T09:10:00+00:00"

    sweep_at(9)
    assert len(inbox(smtp_server, IT)) == 1
    sweep_at(10)
    [_ack, merged] = inbox(smtp_server, IT)
    assert "We are replacing the disk." in plain(merged) and "Eerdere updates" not in plain(merged)
    sweep_at(11)
    assert len(inbox(smtp_server, IT)) == 2  # nothing twice
    assert deliveries(update).get().state == DeliveryState.SENT
    assert Communication.objects.get(update=update, audience="technical").state == "done"
    assert "deferred" not in client.get(reverse("incidents:detail", args=[incident.pk])).text


def test_two_routine_updates_go_out_as_one_with_the_earlier_text_in_the_recipients_language(
    customer, people, account_manager, smtp_server, at, sweep_at
):
    incident = at(0, lambda: open_incident(customer, account_manager))
    first = at(2, post(incident, account_manager, "We are replacing the disk."))
    second = at(5, post(incident, account_manager, "The new disk is in; the array is rebuilding."))
    assert len(inbox(smtp_server, IT)) == 1

    sweep_at(10)
    [_ack, merged] = inbox(smtp_server, IT)
    text = plain(merged)
    assert "The new disk is in; the array is rebuilding." in text
    assert "Eerdere updates\n\n10:02 — We are replacing the disk." in text  # Dutch heading, Amsterdam time
    assert "Eerdere updates" in html(merged) and "We are replacing the disk." in html(merged)
    [_ack, english] = inbox(smtp_server, STAFF)
    assert "Earlier updates\n\n10:02 — We are replacing the disk." in plain(english)

    older, newer = deliveries(first).get(), deliveries(second).get()
    assert newer.state == DeliveryState.SENT and newer.earlier_update_ids == [first.pk]
    assert older.state == DeliveryState.SUPERSEDED and older.superseded_by_id == newer.pk
    sweep_at(12)
    assert len(inbox(smtp_server, IT)) == 2


def test_an_sms_names_the_earlier_updates_it_carries(customer, people, account_manager, smtp_server, sms_outbox,
                                                     at, sweep_at):
    Stakeholder.objects.filter(email=IT).update(phone="+31612345678")
    incident = at(0, lambda: open_incident(customer, account_manager))
    at(2, post(incident, account_manager, "We are replacing the disk."))
    at(5, post(incident, account_manager, "The array is rebuilding."))
    assert len(sms_outbox) == 1
    sweep_at(10)
    [_ack, merged] = [sms.text for sms in sms_outbox]
    assert merged.endswith("(Eerdere updates: 10:02)")


def test_a_status_change_takes_over_a_deferred_update_and_the_log_says_which(
    customer, people, account_manager, smtp_server, at, sweep_at, client
):
    incident = at(0, lambda: open_incident(customer, account_manager))
    routine = at(2, post(incident, account_manager, "We are replacing the disk."))
    change = at(4, post(incident, account_manager, "Cause found: a failed disk.", status="identified"))

    [_ack, sent] = inbox(smtp_server, IT)  # at once, with what the deferred update said
    assert "Cause found: a failed disk." in plain(sent)
    assert "Eerdere updates\n\n10:02 — We are replacing the disk." in plain(sent)
    carrier = deliveries(change).get()
    superseded = deliveries(routine).get()
    assert superseded.state == DeliveryState.SUPERSEDED and superseded.superseded_by_id == carrier.pk
    assert Communication.objects.get(update=routine, audience="technical").state == "done"

    sweep_at(10)
    assert len(inbox(smtp_server, IT)) == 2  # the deferred one is never sent
    client.force_login(account_manager)
    log = client.get(reverse("comms:incident_log", args=[incident.pk])).text
    assert f'<a href="{reverse("comms:delivery", args=[carrier.pk])}">Superseded by #{carrier.pk}</a>' in log
    by_state = {row["state"]: row for row in exported(client, IT)}
    assert by_state["superseded"]["superseded_by"] == str(carrier.pk)
    page = client.get(reverse("comms:delivery", args=[carrier.pk])).text
    assert f'href="{reverse("comms:delivery", args=[superseded.pk])}">#{superseded.pk}</a>' in page
    assert "We are replacing the disk." in page  # the text as sent, earlier updates included


def test_a_new_eta_or_workaround_is_never_held(customer, people, account_manager, smtp_server, at):
    incident = at(0, lambda: open_incident(customer, account_manager))
    eta = at(2, post(incident, account_manager, "We expect it back by noon.", eta=T0 + timedelta(hours=2)))
    workaround = at(3, post(incident, account_manager, "Save files locally.", workaround="Save files locally."))
    assert eta.facts_changed == ["eta"] and workaround.facts_changed == ["workaround"]
    assert len(inbox(smtp_server, IT)) == 3


# --- only messages about the same incident, on their way, start an interval -------------------


def test_a_maintenance_notice_or_another_incidents_message_does_not_hold_an_update(
    customer, people, account_manager, file_server, smtp_server, at
):
    incident = at(0, lambda: open_incident(customer, account_manager))
    at(11, lambda: maintenance_schedule(customer=customer, title="Firmware", components=[file_server],
                                        starts_at=T0 + timedelta(days=8), ends_at=T0 + timedelta(days=8, hours=2),
                                        author=account_manager))
    at(12, lambda: open_incident(customer, account_manager))
    update = at(13, post(incident, account_manager, "We are replacing the disk."))

    subjects = [message["Subject"] for message in inbox(smtp_server, IT)]
    assert len(subjects) == 4 and "replacing" in plain(inbox(smtp_server, IT)[-1])
    assert deliveries(update).get().state == DeliveryState.SENT


def test_a_deferred_message_starts_an_interval_when_it_is_sent_not_when_it_was_written(
    customer, people, account_manager, smtp_server, at, sweep_at
):
    incident = at(0, lambda: open_incident(customer, account_manager))
    at(8, post(incident, account_manager, "We are replacing the disk."))  # deferred until 10:10
    waiting = at(9, post(incident, account_manager, "Still replacing."))
    sweep_at(10)  # sent now: the recipient hears at 10:10
    soon = at(12, post(incident, account_manager, "Rebuild started."))
    assert deliveries(soon).get().next_attempt_at == T0 + timedelta(minutes=20)
    assert deliveries(waiting).get().state == DeliveryState.SENT
    late = at(21, post(incident, account_manager, "Rebuild at 50%."))  # took over the 10:12 one
    assert deliveries(late).get().state == DeliveryState.SENT
    assert deliveries(soon).get().state == DeliveryState.SUPERSEDED
    assert len(inbox(smtp_server, IT)) == 3


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "routine"), [
    ({"message": "Still replacing the disk."}, True),
    ({"message": "Cause found.", "status": "identified"}, False),
    ({"message": "Worse.", "severity": "critical"}, False),
    ({"message": "ETA.", "eta": T0 + timedelta(hours=3)}, False),
    ({"message": "Meanwhile.", "workaround": "Use webmail."}, False),
    ({"message": "Found it.", "root_cause": "A failed disk."}, False),
    ({"message": "Vendor ticket 12.", "is_internal": True}, False),
])
def test_is_routine(clock, customer, account_manager, file_server, facts, routine):
    incident = open_incident(customer, account_manager)  # at T0: the ETA above is ahead of it
    update = incident_flow.post_update(incident=incident, author=account_manager, **facts)
    assert is_routine(update) is routine


def test_a_component_change_is_not_routine(customer, account_manager, file_server):
    incident = open_incident(customer, account_manager)
    update = incident_flow.post_update(incident=incident, author=account_manager, message="Partly back.",
                                           component_statuses={file_server: "degraded_performance"})
    assert not is_routine(update)


def test_a_holding_update_is_routine(customer, account_manager):
    incident = open_incident(customer, account_manager)
    holding = incident.updates.create(kind="holding", message="Still working on it.", status=incident.status,
                                      severity=incident.severity, created_at=T0)
    assert is_routine(holding)
