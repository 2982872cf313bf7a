"""Administrators read and end users' calendar subscriptions."""

from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_administrators_read_merges"),
        ("meetings", "0018_calendarfeed"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
