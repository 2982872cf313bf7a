"""The FTS5 tables (and their triggers) that index the organisations' and
their other names' search keys on SQLite, again: the load benchmark at XL
earns them (issue 18, see ``core.search.FTS``). On PostgreSQL nothing: the
GIN indexes of 0009 stayed. The SQL is search.py's, as in 0009, so that the
post_migrate repair makes the very same objects."""

from django.db import migrations

from core import search

MODELS = ["Organisation", "OrganisationName"]


def on_sqlite(apps, schema_editor, operation):
    """``operation`` (search.index_create or index_drop) for each of MODELS,
    on SQLite only."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in MODELS:
        operation(schema_editor.connection, apps.get_model("stakeholders", name))


def fts_create(apps, schema_editor):
    on_sqlite(apps, schema_editor, search.index_create)


def fts_drop(apps, schema_editor):
    on_sqlite(apps, schema_editor, search.index_drop)


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0017_organisation_active_met_idx"),
    ]

    operations = [
        migrations.RunPython(fts_create, fts_drop, elidable=False),
    ]
