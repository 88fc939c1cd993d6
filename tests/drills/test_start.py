"""Starting a drill: ``manage.py start_drill`` (its last line is the number) and the console's
"Start drill" form, with who may start one and what is refused."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from comms.models import Communication
from incidents.models import CustomerIncident, Drill, Incident

pytestmark = pytest.mark.django_db


def test_command_prints_the_drill_number_on_its_last_line(customer, desk, file_server, erp):
    out = StringIO()
    call_command("start_drill", "midsize", stdout=out)
    last = out.getvalue().rstrip("\n").splitlines()[-1]
    incident = Incident.objects.get()
    assert last == CustomerIncident.objects.get(incident=incident).number == incident.first_link.number
    assert last.startswith("MSM-")
    assert incident.is_drill and Drill.objects.get(incident=incident).scenario == "midsize-outage"
    assert incident.title == "Storing: bestandsserver en ERP onbereikbaar"  # MidSize writes Dutch
    assert incident.translations["de"]["title"] == "Störung: Dateiserver und ERP nicht erreichbar"
    assert incident.severity == "critical"
    assert {a.component.name: a.status for a in incident.affected.select_related("component")} == {
        "File server": "major_outage", "ERP": "major_outage"}
    file_server.refresh_from_db()
    assert file_server.status == "operational"  # a drill's outage is practice: the real status stays


@pytest.mark.parametrize(("args", "named"), [(["nosuch"], "nosuch"),
                                             (["midsize", "--scenario", "flood"], "flood")])
def test_command_names_an_unknown_customer_or_scenario(customer, desk, args, named):
    with pytest.raises(CommandError, match=named):
        call_command("start_drill", *args, stdout=StringIO())
    assert not Incident.objects.exists()


def test_command_refuses_a_customer_without_an_internal_recipient(customer):
    with pytest.raises(CommandError, match="MidSize Manufacturing BV"):  # the message names the customer
        call_command("start_drill", "midsize", stdout=StringIO())
    assert not Incident.objects.exists() and not Communication.objects.exists()


def test_account_manager_starts_a_drill_from_the_console(client, customer, desk, account_manager):
    client.force_login(account_manager)
    page = client.get("/console/drills/", headers={"Accept-Language": "de"}).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and 'value="midsize-outage"' in page and 'value="midsize"' in page
    response = client.post("/console/drills/", {"customer": "midsize", "scenario": "midsize-outage"})
    incident = Incident.objects.get(is_drill=True)
    assert response.status_code == 302 and response["Location"] == f"/console/incidents/{incident.pk}/"
    assert Drill.objects.get(incident=incident).started_by == account_manager
    assert AuditEvent.objects.filter(action="incident.opened").count() == 1
    listed = client.get("/console/drills/").content.decode()
    assert incident.first_link.number in listed and f"/console/drills/{incident.pk}/report/" in listed


def test_manager_may_start_a_drill_for_any_customer(client, other_customer, manager):
    other_customer.stakeholders.create(name="Desk", role="internal_msp", audience="technical", language="en",
                                       email="desk@msp.example")
    client.force_login(manager)
    response = client.post("/console/drills/", {"customer": "northwind", "scenario": "midsize-outage"})
    assert response.status_code == 302
    assert Incident.objects.get().title == "Outage: file server and ERP unreachable"  # Northwind reads English


def test_another_customers_account_manager_cannot_start_or_read_one(client, customer, desk, other_account_manager,
                                                                      account_manager):
    client.force_login(other_account_manager)
    assert client.post("/console/drills/", {"customer": "midsize", "scenario": "midsize-outage"}).status_code == 404
    assert not Incident.objects.exists()
    call_command("start_drill", "midsize", stdout=StringIO())
    drill = Incident.objects.get()
    assert client.get(f"/console/drills/{drill.pk}/report/").status_code == 404
    assert client.get(f"/console/incidents/{drill.pk}/").status_code == 404
    assert "MSM-" not in client.get("/console/drills/").content.decode()


def test_bad_input_is_refused_naming_the_field(client, customer, desk, account_manager):
    client.force_login(account_manager)
    response = client.post("/console/drills/", {"customer": "midsize", "scenario": "flood"})
    assert response.status_code == 422
    assert response.context["form"].errors.keys() == {"scenario"}
    customer.stakeholders.all().delete()
    response = client.post("/console/drills/", {"customer": "midsize", "scenario": "midsize-outage"})
    assert response.status_code == 422 and "internal (MSP)" in response.content.decode()
    assert not Incident.objects.exists()


def test_signed_out_and_get_only(client, customer, desk, account_manager):
    assert client.post("/console/drills/", {"customer": "midsize"}).status_code == 302  # to the sign-in page
    client.force_login(account_manager)
    assert client.put("/console/drills/").status_code == 405
    assert client.post("/console/drills/1/report/").status_code == 405


def test_a_real_incident_has_no_drill_report(client, incident, account_manager):
    client.force_login(account_manager)
    assert client.get(f"/console/drills/{incident.pk}/report/").status_code == 404
