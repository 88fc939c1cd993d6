import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_customer_report_delivery"),
    ]

    operations = [
        # Existing components get the migration's time: nothing better is known about them.
        migrations.AddField(
            model_name="component",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="component",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
    ]
