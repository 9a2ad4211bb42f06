"""The database itself refuses to change a money row (rows are corrected by new rows, never edited).

UPDATE is refused on SQLite and PostgreSQL; DELETE on PostgreSQL. SQLite keeps DELETE allowed because
Django empties SQLite tables with DELETE between tests (PostgreSQL's TRUNCATE fires no row trigger); there
the model and its queryset refuse a delete, and every foreign key to an order is PROTECT."""

from django.db import migrations

TABLES = ("finance_payment", "finance_refund", "finance_settlemententry", "finance_remittanceline",
          "finance_freightbillline", "finance_dailyclose")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION finance_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'money rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)  # its % signs are PL/pgSQL's, not parameters
        for table in TABLES:
            schema_editor.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                                  f"FOR EACH ROW EXECUTE FUNCTION finance_refuse_change()")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                                  f"BEGIN SELECT RAISE(ABORT, 'money rows are append-only'); END")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS finance_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(add_triggers, drop_triggers)]
