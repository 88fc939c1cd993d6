from django.db import migrations


class Migration(migrations.Migration):
    """The API token moved to the api app; its table (and rows) stay where they are."""

    dependencies = [("kalm", "0002_token_scope_expiry_revocation")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ApiToken")]),
    ]
