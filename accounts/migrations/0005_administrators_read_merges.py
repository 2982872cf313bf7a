"""Administrators read the merge records."""

from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_editors_review_duplicates"),
        ("duplicates", "0002_merges"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
