"""A trigram index on the meetings' search key (see core/search.py)."""

from django.db import migrations

from core import search


def index_create(apps, schema_editor):
    search.index_create(schema_editor.connection, apps.get_model("meetings", "Meeting"))


def index_drop(apps, schema_editor):
    search.index_drop(schema_editor.connection, apps.get_model("meetings", "Meeting"))


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0007_attendance_covering_indexes"),
        # Where the pg_trgm extension is created.
        ("stakeholders", "0009_search_index"),
    ]

    operations = [
        migrations.RunPython(index_create, index_drop, elidable=False),
    ]
