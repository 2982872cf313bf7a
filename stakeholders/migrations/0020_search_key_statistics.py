"""PostgreSQL keeps 1,000 values of the search keys in its statistics, so
that a list searched by a common word is read from the trigram index
(core.search.SEARCH_KEY_STATISTICS); ANALYZE reads them at once. Nothing on
SQLite."""

from django.db import migrations

from core import search

MODELS = ["Organisation", "OrganisationName", "Person"]


def keep(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("stakeholders", name)
        search.statistics_keep(schema_editor.connection, model)


def reset(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("stakeholders", name)
        search.statistics_keep(schema_editor.connection, model, target=-1)


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0019_dashboard_indexes"),
    ]

    operations = [
        migrations.RunPython(keep, reset, elidable=False),
    ]
