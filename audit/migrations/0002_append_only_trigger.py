"""On PostgreSQL the database itself keeps the audit trail append-only: a trigger rejects
UPDATE and DELETE of an audit event, whoever sends them (the application, psql, a script).

The one UPDATE it lets through is Django's ``on_delete=SET_NULL`` detaching a deleted user,
customer or incident: every other column stays as it was, and those keys only become NULL.
TRUNCATE is left alone: it is not a row change, and test databases are emptied with it.
Other databases (SQLite in development) rely on the model's own refusals (audit/models.py).
"""

from django.db import migrations

# Separate statements, each run as written (a single string would be split by sqlparse).
CREATE = ["""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - ARRAY['actor_id', 'customer_id', 'incident_id'])
           = (to_jsonb(OLD) - ARRAY['actor_id', 'customer_id', 'incident_id'])
       AND (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
       AND (NEW.customer_id IS NULL OR NEW.customer_id IS NOT DISTINCT FROM OLD.customer_id)
       AND (NEW.incident_id IS NULL OR NEW.incident_id IS NOT DISTINCT FROM OLD.incident_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
""", """
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""]

DROP = ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
        "DROP FUNCTION IF EXISTS audit_event_append_only()"]


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [RunSQLOnPostgreSQL(CREATE, DROP, elidable=False)]
