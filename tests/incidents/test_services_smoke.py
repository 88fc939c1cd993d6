from incidents.models import Component

def test_open(incident, file_server):
    link = incident.customer_links.get()
    assert link.number.startswith("MSM-")
    file_server.refresh_from_db()
    assert file_server.status == "major_outage"
    assert Component.objects.count() == 2
