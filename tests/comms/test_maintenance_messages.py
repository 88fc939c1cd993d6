"""Planned maintenance: announcement on scheduling, reminders a day and an hour before, the
start and completion notices, and component statuses switched by the tick and back."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from cadence import tick as cadence_tick
from comms.models import Communication, Stakeholder
from comms.outbox.maintenance import maintenance_context
from flows.maintenance import cancel as maintenance_cancel
from flows.maintenance import schedule as maintenance_schedule
from incidents.models import Component, Maintenance
from tests.comms.texts import rendered

T0 = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)  # summer time (CEST) …
START = datetime(2026, 11, 3, 17, 0, tzinfo=UTC)  # … for a window in winter time: 18:00 CET
END = START + timedelta(hours=2)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(customer, erp):
    def person(name, role, audience, language="nl"):
        return Stakeholder.objects.create(customer=customer, name=name, role=role, audience=audience,
                                          language=language, email=f"{name.lower()}@midsize.example")

    staff = person("Staff", "affected_users", "end_user")
    staff.components.add(erp)  # only wants to hear about the ERP
    return {"it": person("IT", "customer_it", "technical"), "ops": person("Ops", "management", "operational"),
            "ceo": person("CEO", "executives", "executive"), "desk": person("Desk", "internal_msp", "technical", "en"),
            "staff": staff}


def schedule(customer, author, components, starts_at=START, ends_at=END):
    maintenance, warnings = maintenance_schedule(
        customer=customer, title="Firmware update of the file server", components=components, starts_at=starts_at,
        ends_at=ends_at, expected_impact="Shared files are unavailable.", customer_action="Close open files.",
        author=author)
    return maintenance, warnings


def sent(kind: str) -> list[Communication]:
    return list(Communication.objects.filter(kind=kind).order_by("id"))


def recipients(kind: str) -> set[int]:
    return {i for communication in sent(kind) for i in communication.recipient_ids}


def test_scheduling_announces_to_the_routed_and_interested(customer, file_server, people, account_manager, clock):
    maintenance, warnings = schedule(customer, account_manager, [file_server])
    assert warnings == []
    announcements = sent("maintenance_announcement")
    # Management hears of maintenance, executives do not; Staff only follows the ERP.
    assert recipients("maintenance_announcement") == {people["it"].pk, people["ops"].pk, people["desk"].pk}
    assert all(c.incident is None and c.update is None and c.customer == customer for c in announcements)
    assert all(c.author == account_manager and not c.is_automatic for c in announcements)
    technical_nl = next(c for c in rendered(announcements) if (c.audience, c.language) == ("technical", "nl"))
    assert "03-11-2026 18:00" in technical_nl.body_text and "03-11-2026 20:00" in technical_nl.body_text
    assert "Close open files." in technical_nl.body_text


def test_window_times_are_local_with_the_zone_of_the_window(customer, file_server, clock):
    maintenance, _ = schedule(customer, None, [file_server])
    context = maintenance_context(maintenance=maintenance, language="en")
    assert (context["window_start"], context["window_end"]) == ("3 Nov 2026 18:00", "3 Nov 2026 20:00")
    assert context["time_zone"] == "CET"  # not today's CEST: the reader needs the window's zone
    assert context["components_text"] == "File server" and context["number"] == ""


def test_a_window_less_than_a_week_ahead_is_still_announced(customer, file_server, people, account_manager, clock):
    _, warnings = schedule(customer, account_manager, [file_server], starts_at=T0 + timedelta(days=2),
                           ends_at=T0 + timedelta(days=2, hours=1))
    assert len(warnings) == 1 and "7 days" in warnings[0]
    assert recipients("maintenance_announcement") == {people["it"].pk, people["ops"].pk, people["desk"].pk}


def test_the_whole_flow_announce_remind_start_complete(customer, file_server, erp, people, account_manager, clock,
                                                       django_capture_on_commit_callbacks):
    maintenance, _ = schedule(customer, account_manager, [file_server])

    def tick(at: datetime) -> dict[str, int]:
        clock.move_to(at)
        with django_capture_on_commit_callbacks(execute=True):
            return dict(cadence_tick.tick().done)

    assert tick(START - timedelta(days=1, minutes=1)) == {}
    assert tick(START - timedelta(days=1)) == {"maintenance_reminder": 1}
    assert tick(START - timedelta(hours=3)) == {}
    assert tick(START - timedelta(hours=1)) == {"maintenance_reminder": 1}
    assert len(sent("maintenance_reminder")) == 4  # two reminders × IT (nl) and the desk (en)
    assert recipients("maintenance_reminder") == {people["it"].pk, people["desk"].pk}  # not management

    assert tick(START) == {"maintenance_start": 1}
    file_server.refresh_from_db()
    erp.refresh_from_db()
    assert (file_server.status, erp.status) == ("under_maintenance", "operational")
    assert recipients("maintenance_started") == {people["it"].pk, people["desk"].pk}
    assert tick(START + timedelta(minutes=1)) == {}

    assert tick(END) == {"maintenance_complete": 1}
    file_server.refresh_from_db()
    maintenance.refresh_from_db()
    assert file_server.status == "operational" and maintenance.status == "completed"
    assert [len(sent(kind)) for kind in ("maintenance_announcement", "maintenance_reminder", "maintenance_started",
                                         "maintenance_completed")] == [3, 4, 2, 2]
    assert all(c.is_automatic for c in sent("maintenance_completed"))
    assert tick(END + timedelta(hours=1)) == {}


def test_a_window_scheduled_for_tomorrow_morning_gets_only_the_hour_reminder(customer, file_server, people,
                                                                            account_manager, clock):
    schedule(customer, account_manager, [file_server], starts_at=T0 + timedelta(hours=20),
             ends_at=T0 + timedelta(hours=21))
    for hours in (0, 1, 19):
        clock.move_to(T0 + timedelta(hours=hours))
        cadence_tick.tick()
    assert [c.language for c in sent("maintenance_reminder")] == ["en", "nl"]  # once, at 19 h


def test_a_tick_that_missed_the_whole_window_starts_then_completes_it(customer, file_server, people,
                                                                     account_manager, clock):
    maintenance, _ = schedule(customer, account_manager, [file_server])
    clock.move_to(END + timedelta(minutes=5))
    report = cadence_tick.tick()
    assert dict(report.done) == {"maintenance_start": 1, "maintenance_complete": 1}
    assert sent("maintenance_started")[-1].pk < sent("maintenance_completed")[0].pk
    assert Component.objects.get(pk=file_server.pk).status == "operational"
    assert sent("maintenance_reminder") == []  # stale once the window has begun


def test_a_cancelled_window_is_neither_reminded_nor_started(customer, file_server, people, account_manager, clock):
    maintenance, _ = schedule(customer, account_manager, [file_server])
    maintenance_cancel(maintenance=maintenance)
    for at in (START - timedelta(hours=1), START, END):
        clock.move_to(at)
        assert cadence_tick.tick().done == {}
    assert sent("maintenance_reminder") == sent("maintenance_started") == []


def test_the_announcement_arrives_by_mail(customer, file_server, people, account_manager, clock, smtp_server,
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        schedule(customer, account_manager, [file_server])
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp_server.messages}
    assert set(received) == {"it@midsize.example", "ops@midsize.example", "desk@midsize.example"}
    subject = received["desk@midsize.example"]["Subject"]
    assert "[MAINTENANCE]" in subject and "Firmware update of the file server" in subject
    assert "X-Kalm-Incident" not in received["desk@midsize.example"]


# --- every word in the reader's language ---------------------------------------------------

DUTCH = {"title": "Firmware-update van de bestandsserver", "expected_impact": "Gedeelde mappen zijn onbereikbaar.",
         "customer_action": "Sluit open bestanden af."}
ENGLISH = {"title": "Firmware update of the file server", "expected_impact": "Shared folders are unavailable.",
           "customer_action": "Close any open files."}


@pytest.fixture
def bestandsserver(customer):
    return Component.objects.create(customer=customer, name="Bestandsserver", group="Servers",
                                    translations={"en": {"name": "File server"}})


def test_each_reader_gets_the_window_in_their_own_language(client, customer, bestandsserver, account_manager, clock,
                                                          smtp_server, django_capture_on_commit_callbacks):
    """A Dutch customer with a Dutch and an English contact schedules in the console with both texts."""
    for name, language in (("jan", "nl"), ("john", "en")):
        Stakeholder.objects.create(customer=customer, name=name, role="customer_it", audience="technical",
                                   language=language, email=f"{name}@midsize.example")
    client.force_login(account_manager)
    form = {"customer": customer.pk, "components": [bestandsserver.pk],
            "starts_at": "2026-11-03T18:00", "ends_at": "2026-11-03T20:00",
            **DUTCH, **{f"{name}__en": text for name, text in ENGLISH.items()}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("incidents:maintenance_new"), form)
    assert response.status_code == 302

    received = {mail.rcpt_tos[0]: mail.message for mail in smtp_server.messages}
    assert set(received) == {"jan@midsize.example", "john@midsize.example"}
    english, dutch = (received[f"{name}@midsize.example"] for name in ("john", "jan"))
    english_body, dutch_body = (mail.get_body(("plain",)).get_content() for mail in (english, dutch))

    assert ENGLISH["title"] in english["Subject"] and DUTCH["title"] in dutch["Subject"]
    assert all(text in english_body for text in ENGLISH.values())
    assert "3 Nov 2026 18:00 to 3 Nov 2026 20:00 (CET)" in english_body  # the window's zone, not today's CEST
    assert all(text in dutch_body for text in DUTCH.values())
    assert "03-11-2026 18:00" in dutch_body and "(CET)" in dutch_body
    for mail, body, other in ((english, english_body, DUTCH), (dutch, dutch_body, ENGLISH)):
        assert not any(text in body or text in mail["Subject"] for text in other.values())

    maintenance = Maintenance.objects.get()
    assert maintenance_context(maintenance=maintenance, language="en")["components_text"] == "File server"
    assert maintenance_context(maintenance=maintenance, language="nl")["components_text"] == "Bestandsserver"
    assert maintenance_context(maintenance=maintenance, language="de")["components_text"] == "Bestandsserver"
