"""The drill report for a scripted drill: every figure from a known timeline, against the contract,
and the console page that shows it in the reader's language."""

from datetime import timedelta

import pytest

from flows import incidents as incident_flow
from flows.drills import start_drill
from insight.drill_report import drill_report
from playbook import services as playbook
from playbook.models import ChecklistItem
from tests.drills.conftest import minutes

pytestmark = pytest.mark.django_db


@pytest.fixture
def scripted(customer, desk, account_manager, manager, clock, commit):
    """Approval needed (target 15 min), critical cadence 30 min. Acknowledged after 10 min; updates after
    25 (on time), 70 (45 min gap: late) and 90 min (resolved, on time); 2 roles given, 2 checklist items done."""
    customer.ack_requires_approval = True
    customer.save(update_fields=["ack_requires_approval"])
    with commit():
        incident = start_drill(customer, "midsize-outage", started_by=account_manager)
    clock.move_to(minutes(10))
    with commit():
        incident_flow.release_acknowledgment(incident=incident, author=account_manager)
    for at, status in ((25, "identified"), (70, "identified"), (90, "resolved")):
        clock.move_to(minutes(at))
        with commit():
            incident_flow.post_update(incident=incident, author=account_manager, status=status,
                                      message=f"Stand van zaken na {at} minuten.")
    playbook.role_assign(incident=incident, role="incident_lead", user=account_manager, assigned_by=manager)
    playbook.role_assign(incident=incident, role="communications_lead", user=manager, assigned_by=manager)
    playbook.checklist_start(incident)
    for item in ChecklistItem.objects.filter(incident=incident).order_by("pk")[:2]:
        playbook.checklist_item_set_done(item=item, user=account_manager, done=True)
    clock.move_to(minutes(120))
    incident.refresh_from_db()
    return incident


def test_figures_of_a_scripted_drill(scripted):
    report = drill_report(scripted)
    assert report.scenario == "midsize-outage" and report.number.startswith("MSM-")
    assert report.acknowledgment.elapsed == timedelta(minutes=10)
    assert report.ack_target == timedelta(minutes=15) and report.acknowledgment.met
    assert [gap.length for gap in report.cadence.gaps] == [timedelta(minutes=m) for m in (25, 45, 20)]
    assert (report.cadence.on_time, report.cadence.counted, report.cadence.on_time_percent) == (2, 3, 66.7)
    assert report.cadence_met is False
    assert (report.roles.done, report.roles.total, report.roles.met) == (2, 5, False)
    total = ChecklistItem.objects.filter(incident=scripted).count()
    assert total >= 2 and (report.checklist.done, report.checklist.total) == (2, total)
    assert report.deliveries == {"email": 4} and report.outside == 0  # ack, two updates, resolution: to the desk


def test_report_page_in_dutch(scripted, client, account_manager):
    client.force_login(account_manager)
    page = client.get(f"/console/drills/{scripted.pk}/report/", headers={"Accept-Language": "nl"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Oefenrapport" in text and "OEFENING" in text
    assert "Tijd tot ontvangstbevestiging" in text
    assert "10 minuten" in text and "15 minuten" in text  # elapsed and the contract's target
    assert "2 van 3 updates op tijd (66,7 %)" in text  # a Dutch decimal comma
    assert "2 van 5 rollen ingevuld" in text
    assert "Alleen interne ontvangers" in text
