"""The shipped checklist templates (seed 001): playbook.defaults, added where missing."""

from django.db import migrations


def load(apps, schema_editor):
    from playbook.defaults import defaults_load  # why: a data migration reads the shipped rows at run time

    defaults_load(apps.get_model("playbook", "ChecklistTemplate"))


class Migration(migrations.Migration):
    dependencies = [("playbook", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
