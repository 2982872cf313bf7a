"""The meetings' search key compared across scripts and spellings (issue 12),
as stakeholders' 0015 does for theirs; and one for the agenda topics, which
their picker and the admin search read (a few hundred rows: no index)."""

from django.db import migrations, models

import core.search
from core import search


def index_create(apps, schema_editor):
    search.index_create(schema_editor.connection, apps.get_model("meetings", "Meeting"))


def index_drop(apps, schema_editor):
    search.index_drop(schema_editor.connection, apps.get_model("meetings", "Meeting"))


def key(*fields):
    return models.GeneratedField(
        db_persist=True,
        expression=core.search.SearchKey(*fields, version=1),
        output_field=core.search.SearchText(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0012_drop_sqlite_search_index"),
    ]

    operations = [
        migrations.RunPython(index_drop, index_create, elidable=False),
        migrations.RemoveField(model_name="meeting", name="search_key"),
        migrations.AddField(
            model_name="meeting", name="search_key", field=key("title", "venue")
        ),
        migrations.AddField(model_name="topic", name="search_key", field=key("name")),
        migrations.RunPython(index_create, index_drop, elidable=False),
    ]
