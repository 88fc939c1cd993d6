from django.db import migrations, models


class Migration(migrations.Migration):
    """The ledger that was comms.CadenceEvent: the same table, now the cadence app's (state only)."""

    initial = True
    dependencies = [("comms", "0004_deferred_deliveries")]
    run_before = [("comms", "0005_cadenceevent_moves_to_cadence")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="CadenceEvent",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("subject", models.CharField(max_length=40)),
                    ("key", models.CharField(max_length=40)),
                    ("due_at", models.DateTimeField()),
                    ("created_at", models.DateTimeField(auto_now_add=True)),
                ],
                options={
                    "db_table": "comms_cadenceevent",
                    "indexes": [models.Index(fields=["subject", "key"], name="cadence_event_lookup")],
                    "constraints": [models.UniqueConstraint(fields=("subject", "key", "due_at"),
                                                            name="cadence_event_once")],
                },
            ),
        ]),
    ]
