from django.db import migrations


class Migration(migrations.Migration):
    """The tick's ledger moved to the cadence app; its table (and rows) stay where they are."""

    dependencies = [("comms", "0004_deferred_deliveries")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="CadenceEvent")]),
    ]
