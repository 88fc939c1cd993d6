import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import api.models


class Migration(migrations.Migration):
    """The API token that was kalm.ApiToken: the same table, now the api app's (state only)."""

    initial = True
    dependencies = [
        ("kalm", "0002_token_scope_expiry_revocation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    run_before = [("kalm", "0003_apitoken_moves_to_api")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="ApiToken",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("name", models.CharField(blank=True, max_length=100)),
                    ("prefix", models.CharField(help_text="The first characters, to recognise a token in lists.",
                                                max_length=12)),
                    ("key_hash", models.CharField(max_length=64, unique=True)),
                    ("scope", models.CharField(choices=[("read", "Read only"), ("write", "Read and write")],
                                               default="write",
                                               help_text="read: GET and HEAD only; write: everything the user may do.",
                                               max_length=5)),
                    ("created_at", models.DateTimeField(auto_now_add=True)),
                    ("expires_at", models.DateTimeField(default=api.models.default_expiry)),
                    ("last_used_at", models.DateTimeField(blank=True, null=True)),
                    ("revoked_at", models.DateTimeField(blank=True, null=True)),
                    ("revoked_by", models.ForeignKey(blank=True, help_text="Empty when revoked from the command line.",
                                                     null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                     related_name="+", to=settings.AUTH_USER_MODEL)),
                    ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens",
                                               to=settings.AUTH_USER_MODEL)),
                ],
                options={"db_table": "kalm_apitoken", "ordering": ["-created_at"]},
            ),
        ]),
    ]
