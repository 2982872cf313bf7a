"""Drop the FTS5 tables, and their triggers, that indexed the organisations'
and their other names' search keys on SQLite: SQLite reads those keys with
``instr`` (see ``core.search.FTS``, issue 11). The people's table stays, and
so do PostgreSQL's GIN indexes. The names are frozen here: search.py no
longer makes these."""

from django.db import migrations

TABLES = ["stakeholders_organisation", "stakeholders_organisationname"]


def fts_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                cursor.execute(f'DROP TRIGGER IF EXISTS "{table}_fts_{event}"')
            cursor.execute(f'DROP TABLE IF EXISTS "{table}_fts"')


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0013_organisationtype_active_organisations"),
    ]

    operations = [
        # Back: no code reads the tables any more, so none are made again.
        migrations.RunPython(fts_drop, migrations.RunPython.noop, elidable=False),
    ]
