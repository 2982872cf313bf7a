"""A trigram index on the search keys, for searches that read only the rows
they find (see core/search.py): FTS5 tables and their triggers on
SQLite (the people's alone since 0014), pg_trgm GIN indexes on PostgreSQL. Raw SQL of each engine, so nothing
here is in the migration state. The SQL is search.py's rather than frozen
here: the post_migrate repair (search.index_repair) must create the very same
objects."""

from django.db import migrations

from core import search

MODELS = ["Organisation", "OrganisationName", "Person"]


def index_create(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("stakeholders", name)
        search.index_create(schema_editor.connection, model)


def index_drop(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("stakeholders", name)
        search.index_drop(schema_editor.connection, model)


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0008_organisation_type_index"),
    ]

    operations = [
        migrations.RunPython(index_create, index_drop, elidable=False),
    ]
