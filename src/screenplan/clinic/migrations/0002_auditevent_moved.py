# The audit log now belongs to the audit app (same table): only Django's model state changes.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
