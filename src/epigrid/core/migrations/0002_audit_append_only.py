from django.db import migrations

from epigrid.core.dbtriggers import install_audit_triggers, remove_audit_triggers


class Migration(migrations.Migration):
    """Make the audit table append-only in the database itself (SQLite and PostgreSQL triggers)."""

    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(lambda apps, schema_editor: install_audit_triggers(schema_editor.connection),
                             lambda apps, schema_editor: remove_audit_triggers(schema_editor.connection)),
    ]
