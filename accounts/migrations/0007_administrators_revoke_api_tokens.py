"""Administrators read and revoke users' API tokens."""

from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_administrators_end_calendar_feeds"),
        ("api", "0001_initial"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
