"""The cadence tick: a rule table per job (due, not due, boundaries), the ledger's claims,
restarts, concurrent ticks, and the DST change.

The clock is time-machine's, stopped (``tick=False``): every test says exactly when it is.
T0 is 10:00 in Amsterdam; the ``customer`` fixture's contract is the default one: critical
updates every 30 minutes, reminder 10 minutes before, holding updates on, escalation 15
minutes after a missed update, acknowledgment target 15 minutes, management after 4 hours.
Staff e-mails go to a real SMTP server on loopback.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext, ngettext

from cadence import incident_jobs, ledger, tasks, tick
from cadence.models import CadenceEvent
from comms.models import Communication, Stakeholder
from comms.outbox import sweeper
from flows import incidents as incident_flow
from flows.incidents import release_acknowledgment as incident_release_acknowledgment
from flows.maintenance import schedule as maintenance_schedule
from incidents.cadence import incident_mark_post_incident_sent
from incidents.models import IncidentUpdate, RegulatoryClock
from incidents.regulatory import regulatory_clock_file
from tests.comms.texts import rendered

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
AM, MANAGER = "anna@msp.example", "maria@msp.example"


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(customer):
    def person(name, role, audience, language="nl"):
        return Stakeholder.objects.create(customer=customer, name=name, role=role, audience=audience,
                                          language=language, email=f"{name.lower()}@midsize.example")

    return {"it": person("IT", "customer_it", "technical"), "ops": person("Ops", "management", "operational"),
            "msp": person("Desk", "internal_msp", "technical", "en")}


@pytest.fixture
def staff(account_manager, manager):
    assert (account_manager.email, manager.email) == (AM, MANAGER)


@pytest.fixture
def tick_at(clock, django_capture_on_commit_callbacks):
    """``tick_at(minutes=31)``: move the clock to T0 + delta, run one tick, and what it sends after commit."""

    def run(**delta) -> ledger.TickReport:
        clock.move_to(T0 + timedelta(**delta))
        with django_capture_on_commit_callbacks(execute=True):
            return tick.tick()

    return run


def open_incident(customer, author, severity="critical", **extra):
    return incident_flow.open_incident(customer=customer, title="File server outage", category="server",
                                  severity=severity, message="We are investigating.", author=author, **extra)


def contract(customer, **terms):
    for name, value in terms.items():
        setattr(customer, name, value)
    customer.save()


def mails(smtp_server, address: str) -> list[str]:
    return [mail.message["Subject"].strip() for mail in smtp_server.messages if address in mail.rcpt_tos]


def holding_updates(incident) -> list[IncidentUpdate]:
    return list(incident.updates.filter(kind="holding").order_by("id"))


def holding_body(incident) -> str:
    """The technical message of the latest holding update: what the customer's IT reads."""
    # As the worker renders it after commit (comms.outbox.texts).
    [communication] = rendered(Communication.objects.filter(update=holding_updates(incident)[-1],
                                                            audience="technical")[:1])
    return communication.body_text


# --- holding updates --------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "holding_on", "expected"), [
    (29, True, 0),    # the promise (30) is still ahead
    (30, True, 1),    # due exactly now
    (95, True, 1),    # three promises missed while nobody ticked: one holding update, not three
    (30, False, 0),   # a contract without holding updates
])
def test_holding_update_rule_table(customer, people, account_manager, clock, tick_at, minutes, holding_on, expected):
    contract(customer, holding_updates=holding_on)
    incident = open_incident(customer, account_manager)
    tick_at(minutes=minutes)
    tick_at(minutes=minutes)  # a re-run changes nothing
    assert len(holding_updates(incident)) == expected


def test_holding_update_promises_the_next_update_and_is_automatic(customer, people, account_manager, clock,
                                                                    tick_at):
    incident = open_incident(customer, account_manager)
    report = tick_at(minutes=31)
    [update] = holding_updates(incident)
    incident.refresh_from_db()
    # 09:31 UTC + 30 minutes = 10:01 UTC = 11:01 in Amsterdam, said in the customer's language.
    assert incident.next_update_due_at == T0 + timedelta(minutes=61)
    # The words are in every language (the incident's Dutch, and English and German beside it) and carry
    # no time: the templates state the promise once, in the reader's language.
    with translation.override("nl"):
        assert update.message == gettext("We are still working on it. There is no new information yet.")
    assert update.translations["en"]["message"] == "We are still working on it. There is no new information yet."
    assert set(update.translations) == {"en", "de"}
    assert not update.is_internal and update.author is None and report.done["holding"] == 1
    sent = Communication.objects.filter(update=update)
    assert {c.kind for c in sent} == {"holding"} and all(c.is_automatic for c in sent)
    assert all(c.body_text.count("11:01") == 1 for c in sent)


def test_no_holding_update_for_a_resolved_incident(customer, people, account_manager, clock, tick_at):
    incident = open_incident(customer, account_manager)
    clock.move_to(T0 + timedelta(minutes=10))
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    assert tick_at(minutes=45).done == {}
    assert holding_updates(incident) == []


def test_a_real_update_moves_the_promise_and_no_holding_update_follows(customer, people, account_manager, clock,
                                                                         tick_at):
    incident = open_incident(customer, account_manager)
    clock.move_to(T0 + timedelta(minutes=25))
    incident_flow.post_update(incident=incident, author=account_manager, message="Disk replaced.")
    tick_at(minutes=31)
    assert holding_updates(incident) == []
    tick_at(minutes=55)
    assert len(holding_updates(incident)) == 1


# --- reminders to the account manager ---------------------------------------------------------


@pytest.mark.parametrize(("minutes", "lead", "reminded"), [
    (19, 10, False),  # 11 minutes before the promise
    (20, 10, True),   # exactly 10 minutes before
    (29, 10, True),
    (30, 10, False),  # the due time has come: the holding update speaks now, not a reminder
    (25, 0, False),   # reminders switched off
])
def test_reminder_rule_table(customer, account_manager, staff, clock, tick_at, smtp_server, minutes, lead,
                             reminded):
    contract(customer, reminder_minutes_before=lead)
    incident = open_incident(customer, account_manager)
    tick_at(minutes=minutes)
    expected = [f"Update due at 10 Mar 2026 10:30 CET: {incident.first_link.number} File server outage"]
    assert mails(smtp_server, AM) == (expected if reminded else [])
    assert mails(smtp_server, MANAGER) == []


def test_one_reminder_per_promise(customer, account_manager, staff, clock, tick_at, smtp_server):
    incident = open_incident(customer, account_manager)
    tick_at(minutes=20)
    tick_at(minutes=25)
    assert len(mails(smtp_server, AM)) == 1
    clock.move_to(T0 + timedelta(minutes=26))
    incident_flow.post_update(incident=incident, author=account_manager, message="Still on it.")  # due 56
    tick_at(minutes=46)
    assert len(mails(smtp_server, AM)) == 2
    body = smtp_server.messages[-1].message.get_content()
    assert "holding update goes out" in body and f"/console/incidents/{incident.pk}/" in body


# --- escalation of an overdue update ----------------------------------------------------------


@pytest.mark.parametrize(("minutes", "holding_on", "escalated"), [
    (45, False, False),  # exactly 15 minutes late: not more than the threshold
    (46, False, True),
    (46, True, False),   # the holding update (due at 30, handled first) kept the promise
])
def test_overdue_escalation_rule_table(customer, people, account_manager, staff, clock, tick_at, smtp_server,
                                       minutes, holding_on, escalated):
    contract(customer, holding_updates=holding_on)
    incident = open_incident(customer, account_manager)
    tick_at(minutes=minutes)
    tick_at(minutes=minutes)
    assert len(mails(smtp_server, MANAGER)) == (1 if escalated else 0)
    escalations = Communication.objects.filter(incident=incident, kind="escalation")
    # UPDATE_OVERDUE reaches the MSP's own desk by default, not the customer's people.
    assert [set(c.recipient_ids) for c in escalations] == ([{people["msp"].pk}] if escalated else [])


def test_overdue_escalation_says_what_is_late(customer, people, account_manager, staff, clock, tick_at,
                                              smtp_server):
    contract(customer, holding_updates=False)
    incident = open_incident(customer, account_manager)
    tick_at(minutes=46)
    [subject] = mails(smtp_server, MANAGER)
    assert subject == f"Overdue update (16 min): {incident.first_link.number} File server outage"
    escalation = Communication.objects.get(incident=incident, kind="escalation")
    assert escalation.update is None and escalation.is_automatic
    assert "The update promised for 10:30 has not been sent yet." in escalation.body_text


# --- acknowledgment with approval -------------------------------------------------------------


def test_held_acknowledgment_waits_for_the_target_without_a_tick(customer, people, account_manager, clock,
                                                                  django_capture_on_commit_callbacks):
    contract(customer, ack_requires_approval=True)
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_incident(customer, account_manager)
    held = Communication.objects.filter(incident=incident)
    assert held and {(c.kind, c.state, c.send_at) for c in held} == {
        ("acknowledgment", "queued", T0 + timedelta(minutes=15))}
    assert incident.acknowledged_at is None
    clock.move_to(T0 + timedelta(minutes=14))
    assert sweeper.sweep().communications == []
    clock.move_to(T0 + timedelta(minutes=15))  # no tick ran: the sweeper still sends them on time
    assert sorted(sweeper.sweep().communications) == sorted(c.pk for c in held)


def test_approval_releases_the_held_acknowledgment_at_once(customer, people, account_manager, clock,
                                                           django_capture_on_commit_callbacks):
    contract(customer, ack_requires_approval=True)
    incident = open_incident(customer, account_manager)
    clock.move_to(T0 + timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        entry = incident_release_acknowledgment(incident=incident, author=account_manager)
    incident.refresh_from_db()
    assert incident.acknowledged_at - incident.detected_at == timedelta(minutes=4)  # time to acknowledge
    sent = Communication.objects.filter(incident=incident)
    assert {(c.kind, c.send_at) for c in sent} == {("acknowledgment", T0 + timedelta(minutes=4))}
    assert {c.state for c in sent} <= {"sending", "done"}  # expanded (Celery runs inline in tests)
    assert not Communication.objects.filter(update=entry).exists()  # ACKNOWLEDGED says nothing itself


@pytest.mark.parametrize(("minutes", "released"), [(14, False), (15, True)])
def test_tick_releases_the_acknowledgment_at_the_target(customer, people, account_manager, clock, tick_at,
                                                        minutes, released):
    contract(customer, ack_requires_approval=True)
    incident = open_incident(customer, account_manager)
    report = tick_at(minutes=minutes)
    incident.refresh_from_db()
    assert report.done["ack_release"] == int(released)
    assert incident.acknowledged_at == (T0 + timedelta(minutes=15) if released else None)
    states = set(Communication.objects.filter(incident=incident).values_list("state", flat=True))
    assert (states <= {"sending", "done"}) if released else states == {"queued"}


def test_without_approval_the_acknowledgment_is_immediate(customer, people, account_manager, clock, tick_at):
    incident = open_incident(customer, account_manager)
    assert incident.acknowledged_at == incident.detected_at
    assert {c.send_at for c in Communication.objects.filter(incident=incident)} == {T0}
    assert tick_at(minutes=15).done["ack_release"] == 0


# --- time thresholds: open too long, ETA passed -----------------------------------------------


@pytest.mark.parametrize(("hours", "minutes", "escalated"), [(4, 239, False), (4, 240, True), (0, 600, False)])
def test_open_too_long_rule_table(customer, people, account_manager, clock, tick_at, hours, minutes, escalated):
    contract(customer, escalate_after_hours=hours, holding_updates=False, overdue_escalation_minutes=100_000)
    incident = open_incident(customer, account_manager)
    tick_at(minutes=minutes)
    tick_at(minutes=minutes)
    escalations = Communication.objects.filter(incident=incident, kind="escalation")
    # TIME_THRESHOLD: management and the MSP's desk; customer IT is not in the matrix row.
    expected = {people["ops"].pk, people["msp"].pk} if escalated else set()
    assert {i for c in escalations for i in c.recipient_ids} == expected
    for communication in escalations:  # in each recipient's language (the catalogs translate it)
        with translation.override(communication.language):
            said = ngettext("This incident has been open for more than %(hours)d hour.",
                            "This incident has been open for more than %(hours)d hours.", 4) % {"hours": 4}
        assert said in communication.body_text


def test_eta_passed_escalates_once_per_eta(customer, people, account_manager, clock, tick_at):
    incident = open_incident(customer, account_manager, eta=T0 + timedelta(minutes=60))

    def escalations() -> int:
        return Communication.objects.filter(incident=incident, kind="escalation").values("update").count()

    tick_at(minutes=59)
    assert escalations() == 0
    tick_at(minutes=60)
    tick_at(minutes=70)
    assert escalations() == 2  # one message each for management and the desk
    clock.move_to(T0 + timedelta(minutes=75))
    incident_flow.post_update(incident=incident, author=account_manager, eta=T0 + timedelta(minutes=120),
                                  message="New ETA.")
    tick_at(minutes=120)
    assert escalations() == 4
    first = Communication.objects.filter(kind="escalation").order_by("id")[0]
    with translation.override(first.language):  # the recipient's language, translated by the catalogs
        said = gettext("The expected resolution time (%(time)s) has passed. We are still working on it.") % {
            "time": "11:00"}
    assert said in first.body_text


# --- regulatory clocks ------------------------------------------------------------------------


@pytest.mark.parametrize(("ticks", "reminders"), [
    ([35.9], []),
    ([36], ["50%"]),
    ([36, 40, 54, 64.8, 80], ["50%", "75%", "90%"]),
    ([60], ["75%"]),  # a tick that was down past 50% and 75%: only the current mark, once
])
def test_regulatory_clock_reminders(customer, account_manager, staff, clock, tick_at, smtp_server, ticks,
                                    reminders):
    contract(customer, holding_updates=False, escalate_after_hours=0, overdue_escalation_minutes=100_000)
    open_incident(customer, account_manager, personal_data_involved=True)  # GDPR: 72 hours
    for hours in ticks:
        tick_at(hours=hours)
    sent = [subject.split(" ")[0] for subject in mails(smtp_server, MANAGER)]
    assert sent == reminders and [s.split(" ")[0] for s in mails(smtp_server, AM)] == reminders
    if reminders:
        assert "GDPR" in mails(smtp_server, AM)[0]


def test_a_filed_clock_reminds_nobody(customer, account_manager, staff, clock, tick_at, smtp_server):
    incident = open_incident(customer, account_manager, personal_data_involved=True)
    regulatory_clock_file(clock=RegulatoryClock.objects.get(incident=incident), author=account_manager)
    tick_at(hours=40)
    assert not [s for s in mails(smtp_server, AM) if "deadline used" in s]


# --- post-incident summary --------------------------------------------------------------------


@pytest.mark.parametrize(("hours", "sent_at", "reminder", "overdue"), [
    (19.9, None, False, False),
    (20, None, True, False),
    (24, None, False, True),    # a tick down at 20 h: the reminder is stale, the escalation is not
    (24, 22, False, False),     # summary sent: nothing to chase
    (24 * 8, None, False, False),  # resolved more than a week ago: history
])
def test_post_incident_rule_table(customer, account_manager, staff, clock, tick_at, smtp_server, hours, sent_at,
                                  reminder, overdue):
    incident = open_incident(customer, account_manager)
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    if sent_at:
        incident_mark_post_incident_sent(incident=incident, at=T0 + timedelta(hours=sent_at))
    tick_at(hours=hours)
    tick_at(hours=hours)
    assert [s for s in mails(smtp_server, AM) if s.startswith("Post-incident summary due")] == (
        [f"Post-incident summary due at 11 Mar 2026 10:00 CET: {incident.first_link.number} File server outage"]
        if reminder else [])
    assert len([s for s in mails(smtp_server, MANAGER) if "overdue" in s]) == int(overdue)


# --- the ledger: claims, failures, restarts ----------------------------------------------------


def test_each_item_is_claimed_in_the_ledger(customer, people, account_manager, clock, tick_at):
    incident = open_incident(customer, account_manager)
    tick_at(minutes=31)
    assert list(CadenceEvent.objects.values_list("subject", "key", "due_at")) == [
        (f"incident:{incident.pk}", "holding", T0 + timedelta(minutes=30))]
    assert tick_at(minutes=31).done == {}


def test_an_item_another_tick_claimed_is_skipped(customer, people, account_manager, clock):
    incident = open_incident(customer, account_manager)
    clock.move_to(T0 + timedelta(minutes=31))
    [due] = incident_jobs.find_holding(T0 + timedelta(minutes=31))  # both ticks found it …
    job = tick.JOBS["holding"]
    assert tick._run(job, due) == "done"
    assert tick._run(job, due) == "skipped"  # … only the first to insert the ledger row does it
    assert len(holding_updates(incident)) == 1


def test_a_failing_item_is_logged_and_the_others_go_on(customer, people, account_manager, clock, tick_at,
                                                       monkeypatch, caplog):
    first = open_incident(customer, account_manager)
    second = open_incident(customer, account_manager)
    real = incident_jobs.incident_flow.post_holding

    def broken_for_first(*, incident, **texts):
        if incident.pk == first.pk:
            raise RuntimeError("template exploded")
        return real(incident=incident, **texts)

    monkeypatch.setattr(incident_jobs.incident_flow, "post_holding", broken_for_first)
    report = tick_at(minutes=31)
    assert (report.done["holding"], report.failed["holding"]) == (1, 1)
    assert "template exploded" in caplog.text
    assert holding_updates(first) == [] and len(holding_updates(second)) == 1
    assert not CadenceEvent.objects.filter(subject=f"incident:{first.pk}").exists()  # rolled back with the work
    monkeypatch.setattr(incident_jobs.incident_flow, "post_holding", real)
    assert tick_at(minutes=32).done["holding"] == 1  # the next tick tries again
    assert len(holding_updates(first)) == 1


def test_after_ten_minutes_down_one_tick_does_everything_once_in_due_order(
    customer, file_server, people, account_manager, clock, tick_at
):
    incidents = []
    for opened in (5, 0, 2):  # promises due at 35, 30 and 32
        clock.move_to(T0 + timedelta(minutes=opened))
        incidents.append(open_incident(customer, account_manager))
    maintenance, _warnings = maintenance_schedule(
        customer=customer, title="Firmware", components=[file_server], starts_at=T0 + timedelta(minutes=36),
        ends_at=T0 + timedelta(hours=2), author=account_manager)
    tick_at(minutes=29)  # the last tick before worker and beat went down

    report = tick_at(minutes=39)  # ten minutes later, everything at once
    assert report.done == {"holding": 3, "maintenance_start": 1} and not report.failed
    assert [len(holding_updates(incident)) for incident in incidents] == [1, 1, 1]
    handled = CadenceEvent.objects.filter(created_at=T0 + timedelta(minutes=39)).order_by("id")
    assert list(handled.values_list("subject", "due_at")) == [
        (f"incident:{incidents[1].pk}", T0 + timedelta(minutes=30)),
        (f"incident:{incidents[2].pk}", T0 + timedelta(minutes=32)),
        (f"incident:{incidents[0].pk}", T0 + timedelta(minutes=35)),
        (f"maintenance:{maintenance.pk}", T0 + timedelta(minutes=36)),
    ]
    assert tick_at(minutes=39).done == {}


# --- daylight saving time -----------------------------------------------------------------------


def test_holding_updates_across_the_autumn_dst_change(customer, people, account_manager):
    """Amsterdam, 25 October 2026: at 01:00 UTC the clocks go from 03:00 CEST back to 02:00 CET."""
    contract(customer, language="en")
    with time_machine.travel(datetime(2026, 10, 25, 0, 20, tzinfo=UTC), tick=False) as traveller:
        incident = open_incident(customer, account_manager)  # 02:20 CEST, next update 00:50 UTC
        traveller.move_to(datetime(2026, 10, 25, 0, 50, tzinfo=UTC))  # 02:50 CEST
        tick.tick()
        incident.refresh_from_db()
        # Due times are UTC arithmetic: exactly 30 minutes, whatever the wall clock does.
        assert incident.next_update_due_at == datetime(2026, 10, 25, 1, 20, tzinfo=UTC)
        # 01:20 UTC is 02:20 CET: earlier on the wall clock than now, so the zone says which 02:20.
        assert "update:** 02:20 CET" in holding_body(incident)
        traveller.move_to(datetime(2026, 10, 25, 1, 20, tzinfo=UTC))  # 02:20 CET
        tick.tick()
        incident.refresh_from_db()
        assert incident.next_update_due_at == datetime(2026, 10, 25, 1, 50, tzinfo=UTC)
        assert "update:** 02:50 (CET)" in holding_body(incident)


# --- two ticks at the same moment (PostgreSQL) ---------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so ticks cannot race")
@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_the_same_moment_do_everything_once(customer, file_server, people, account_manager, clock):
    incidents = [open_incident(customer, account_manager) for _ in range(6)]
    maintenance_schedule(customer=customer, title="Firmware", components=[file_server],
                         starts_at=T0 + timedelta(minutes=20), ends_at=T0 + timedelta(hours=2),
                         author=account_manager)
    clock.move_to(T0 + timedelta(minutes=31))
    barrier = threading.Barrier(2)

    def tick_in_a_thread(_: int) -> ledger.TickReport:
        try:
            barrier.wait(timeout=10)
            return tick.tick()
        finally:
            connection.close()  # each thread has its own connection; leave none behind

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(tick_in_a_thread, range(2)))

    assert sum(report.done["holding"] for report in reports) == len(incidents)
    assert sum(report.done["maintenance_start"] for report in reports) == 1
    assert not any(report.failed for report in reports)
    for incident in incidents:
        [update] = holding_updates(incident)
        groups = list(Communication.objects.filter(update=update).values_list("audience", "language"))
        assert len(groups) == len(set(groups)) == 3  # one message per audience × language, once
    assert Communication.objects.filter(kind="maintenance_started").count() == 2  # IT (nl) and the desk (en)
    assert CadenceEvent.objects.count() == len(incidents) + 1


# --- what beat runs: dispatch per subject -------------------------------------------------------


def test_dispatch_hands_each_incident_its_items_in_due_order(customer, people, account_manager, staff, clock,
                                                             monkeypatch, django_capture_on_commit_callbacks):
    first = open_incident(customer, account_manager)
    clock.move_to(T0 + timedelta(minutes=3))
    second = open_incident(customer, account_manager)
    clock.move_to(T0 + timedelta(minutes=47))  # both promises missed, the first by more than 15 minutes
    batches: list[list[dict]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, items: batches.append(items) or True)

    report = tasks.tick_dispatch()
    assert report.dispatched == {"holding": 2, "overdue": 1} and report.done == {}
    assert [[(item["subject"], item["key"]) for item in batch] for batch in batches] == [
        [(f"incident:{first.pk}", "holding"), (f"incident:{first.pk}", "overdue")],
        [(f"incident:{second.pk}", "holding")],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for batch in batches:
            tasks.handle_due(batch)  # what the workers do
    # The holding update kept the first incident's promise, so its overdue check found nothing to do.
    assert [len(holding_updates(incident)) for incident in (first, second)] == [1, 1]
    assert not Communication.objects.filter(kind="escalation").exists()
    assert CadenceEvent.objects.count() == 2


def test_due_items_travel_as_json():
    due = ledger.Due("holding", "incident:7", "holding", T0, T0 + timedelta(seconds=1), 7, customer_id=3)
    assert ledger.Due.from_json(due.to_json()) == due


def test_the_beat_task_does_the_work_through_the_workers(customer, people, account_manager, clock,
                                                        django_capture_on_commit_callbacks):
    incident = open_incident(customer, account_manager)
    clock.move_to(T0 + timedelta(minutes=31))
    tasks.tick.delay()  # Celery runs tasks inline in tests: tick, then handle_due
    tasks.tick.delay()
    assert len(holding_updates(incident)) == 1
