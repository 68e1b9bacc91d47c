# The audit log moves from the clinic app to its own; its table and rows stay where they are.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("clinic", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ("actor", models.CharField(max_length=150)),
                        ("action", models.CharField(max_length=48)),
                        ("object", models.CharField(blank=True, max_length=64)),
                        ("outcome", models.CharField(max_length=16)),
                        ("request_id", models.CharField(max_length=36)),
                    ],
                    options={"db_table": "clinic_auditevent"},
                ),
            ],
            database_operations=[],
        ),
    ]
