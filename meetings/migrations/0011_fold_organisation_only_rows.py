"""One row per organisation and meeting (issue 16): fold each organisation-only
attendance row that sits beside rows of its organisation's people into them,
with a history entry for each row changed or removed (meetings/folding.py has
the rule, shared with the admin, the import and erasure)."""

from django.db import migrations
from django.utils import timezone

from meetings.folding import REASON, fold_into, foldable, pairs


def history_row(historical, row, kind, when):
    values = {
        f.attname: getattr(row, f.attname)
        for f in historical._meta.fields
        if not f.attname.startswith("history_") and hasattr(row, f.attname)
    }
    historical.objects.create(
        **values,
        history_type=kind,
        history_date=when,
        history_change_reason=REASON,
        history_user=None,
    )


def fold(apps, schema_editor):
    attendance = apps.get_model("meetings", "Attendance")
    historical = apps.get_model("meetings", "HistoricalAttendance")
    when = timezone.now()
    for lone, people in pairs(attendance):
        if not foldable(lone, people):
            continue
        changes = fold_into(lone, people)
        if changes:
            first = people[0]
            for name, value in changes.items():
                setattr(first, name, value)
            first.version += 1
            first.save(update_fields=[*changes, "version"])
            history_row(historical, first, "~", when)
        history_row(historical, lone, "-", when)
        lone.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0010_fill_organisation_types"),
    ]

    operations = [migrations.RunPython(fold, migrations.RunPython.noop)]
