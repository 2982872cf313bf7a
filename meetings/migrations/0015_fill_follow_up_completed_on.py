"""Give the follow-ups done before 0014 their completion day (``completed_on``,
which 0014 added empty and ``FollowUp.record_completion`` keeps since): the
day, in the local time zone, of the history version that last made it done
(its status done, the version before it not, or none before it); failing
that (done without a version saying so: a bulk update, history pruned), the
day of its last recorded version. A follow-up with no history at all keeps
no day: nothing says when it was done.

Read and written in batches of ``BATCH`` follow-ups (their versions read in
one query a batch), so that XL's 51,000 follow-ups never sit in memory at
once; plain ORM, so SQLite and PostgreSQL alike. Not recorded in the history
and no version moved: it writes what was already true. Going back leaves the
days (the column goes with 0014)."""

from django.db import migrations
from django.utils import timezone

DONE = "done"
BATCH = 1000


def completion_day(versions):
    """The day ``versions`` (``(status, history_date)``, oldest first) say the
    follow-up became done for the last time, else the day of the last one,
    else None."""
    became = None
    before = None
    for status, when in versions:
        if status == DONE and before != DONE:
            became = when
        before = status
    when = became or (versions[-1][1] if versions else None)
    return None if when is None else timezone.localtime(when).date()


def fill(apps, schema_editor):
    FollowUp = apps.get_model("meetings", "FollowUp")
    History = apps.get_model("meetings", "HistoricalFollowUp")
    todo = FollowUp.objects.filter(status=DONE, completed_on__isnull=True).order_by(
        "pk"
    )
    last = 0
    while True:
        batch = list(todo.filter(pk__gt=last).only("pk")[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        versions = {}
        for pk, status, when in (
            History.objects.filter(id__in=[f.pk for f in batch])
            .order_by("id", "history_date", "history_id")
            .values_list("id", "status", "history_date")
        ):
            versions.setdefault(pk, []).append((status, when))
        changed = []
        for follow_up in batch:
            follow_up.completed_on = completion_day(versions.get(follow_up.pk, []))
            if follow_up.completed_on is not None:
                changed.append(follow_up)
        FollowUp.objects.bulk_update(changed, ["completed_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0014_follow_up_completion_search"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
