"""The search keys compared across scripts and spellings (issue 12): each
``search_key`` computed by ``core.search.SearchKey`` (``core.names.
search_key``) instead of ``lower()``.

A generated column cannot be altered: it is removed and added again, which
computes every key (on SQLite by copying the table). The trigram indexes on
it go first and are built again last: on SQLite the people's FTS5 table and
its triggers, which read the column, on PostgreSQL the GIN indexes, which
dropping the column would drop anyway."""

from django.db import migrations, models

import core.search
from core import search

MODELS = ["Organisation", "OrganisationName", "Person"]
FIELDS = {
    "organisation": ("name", "acronym"),
    "organisationname": ("name",),
    "person": ("full_name", "email"),
}


def index_create(apps, schema_editor):
    for name in MODELS:
        search.index_create(
            schema_editor.connection, apps.get_model("stakeholders", name)
        )


def index_drop(apps, schema_editor):
    for name in MODELS:
        search.index_drop(schema_editor.connection, apps.get_model("stakeholders", name))


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0014_drop_sqlite_search_index"),
    ]

    operations = [
        migrations.RunPython(index_drop, index_create, elidable=False),
        *(
            migrations.RemoveField(model_name=model, name="search_key")
            for model in FIELDS
        ),
        *(
            migrations.AddField(
                model_name=model,
                name="search_key",
                field=models.GeneratedField(
                    db_persist=True,
                    expression=core.search.SearchKey(*fields, version=1),
                    output_field=core.search.SearchText(),
                ),
            )
            for model, fields in FIELDS.items()
        ),
        migrations.RunPython(index_create, index_drop, elidable=False),
    ]
