"""The post-incident reviews' action lines written before follow-up existed become tracked actions.

One open action per line and affected customer, due at the end of the due date in the
customer's zone, the owner kept as written (and linked to the one staff user it names). The
review's own lines stay as they are; nothing is deleted.
"""

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    ReviewAction = apps.get_model("reports", "RemediationAction")
    CustomerIncident = apps.get_model("incidents", "CustomerIncident")
    Action = apps.get_model("followup", "RemediationAction")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    for line in ReviewAction.objects.select_related("review").order_by("id").iterator():
        incident_id = line.review.incident_id
        owners = list(User.objects.filter(is_active=True, is_staff=True, username__iexact=line.owner.strip())[:2])
        for link in CustomerIncident.objects.filter(incident_id=incident_id).select_related("customer"):
            if Action.objects.filter(incident_id=incident_id, customer_id=link.customer_id, title=line.description,
                                     from_review=True).exists():
                continue
            zone = zoneinfo.ZoneInfo(link.customer.time_zone)
            Action.objects.create(
                customer_id=link.customer_id, incident_id=incident_id, title=line.description,
                owner=owners[0] if len(owners) == 1 else None, owner_name=line.owner,
                due_at=datetime.combine(line.due_date + timedelta(days=1), time(0), tzinfo=zone), from_review=True)


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0001_initial"),
        ("reports", "0002_stored_file"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
