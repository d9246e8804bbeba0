"""Trigram GIN indexes that make `icontains` search fast on PostgreSQL; SQLite scans instead."""

from django.db import migrations

INDEXES = {
    "customer_name_trgm": ("tickets_customer", 'UPPER("name")'),
    "customer_company_trgm": ("tickets_customer", 'UPPER("company")'),
    "customer_phone_number_trgm": ("tickets_customerphone", '"number"'),
    "customer_email_trgm": ("tickets_customeremail", '"email"'),
    "ticket_subject_trgm": ("tickets_ticket", 'UPPER("subject")'),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expression) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (({expression}) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
