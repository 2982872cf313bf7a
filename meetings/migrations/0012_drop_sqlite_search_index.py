"""Drop the FTS5 table, and its triggers, that indexed the meetings' search
key on SQLite: SQLite reads the keys with ``instr`` (see
``core.search.FTS``, issue 11). PostgreSQL's GIN index stays. The names are
frozen here: search.py no longer makes these."""

from django.db import migrations

TABLE = "meetings_meeting"


def fts_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for event in ("insert", "update", "delete"):
            cursor.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_fts_{event}"')
        cursor.execute(f'DROP TABLE IF EXISTS "{TABLE}_fts"')


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0011_fold_organisation_only_rows"),
    ]

    operations = [
        # Back: no code reads the table any more, so none is made again.
        migrations.RunPython(fts_drop, migrations.RunPython.noop, elidable=False),
    ]
