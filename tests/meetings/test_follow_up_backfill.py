"""meetings 0015: the follow-ups done before ``completed_on`` existed get the
day they were last made done, read from their history, in the local time
zone; else the day of their last version; the others are left as they are.
The migration's function is called on rows made with today's models (the
project has no migration-testing library)."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from meetings.models import FollowUp
from tests.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

Status = FollowUp.Status
migration = importlib.import_module(
    "meetings.migrations.0015_fill_follow_up_completed_on"
)


def at(day, hour=12):
    """``day`` (2025-mm-dd) at ``hour`` in Tashkent."""
    return timezone.make_aware(
        datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour))
    )


def written(statuses, *moments):
    """A follow-up saved with each of ``statuses`` in turn (the first on
    creation) at ``moments``, its completion day empty as before 0014."""
    first, *rest = statuses
    follow_up = FollowUpFactory(status=first)
    for status in rest:
        follow_up.status = status
        follow_up.save()
    FollowUp.objects.filter(pk=follow_up.pk).update(completed_on=None)
    versions = FollowUp.history.filter(id=follow_up.pk).order_by("history_id")
    assert versions.count() == len(moments)
    for version, moment in zip(versions, moments, strict=True):
        type(version).objects.filter(pk=version.pk).update(history_date=moment)
    return follow_up


def completed_on(follow_up):
    follow_up.refresh_from_db()
    return follow_up.completed_on


def test_a_done_follow_up_gets_the_day_it_became_done():
    follow_up = written(
        ["open", "done", "done"], at("2025-03-01"), at("2025-03-05"), at("2025-03-07")
    )

    migration.fill(apps, None)

    # Saved again on the 7th, still done: done since the 5th.
    assert completed_on(follow_up) == datetime.date(2025, 3, 5)


def test_reopened_and_done_again_it_gets_the_last_time():
    follow_up = written(
        ["done", "open", "done"], at("2025-03-01"), at("2025-03-02"), at("2025-03-09")
    )

    migration.fill(apps, None)

    assert completed_on(follow_up) == datetime.date(2025, 3, 9)


def test_the_day_is_the_local_one():
    # 22:00 in Tashkent on 10 March is 17:00 UTC; 01:00 on the 11th is 20:00 UTC
    # on the 10th: the day is Tashkent's.
    follow_up = written(["open", "done"], at("2025-03-10", 22), at("2025-03-11", 1))

    migration.fill(apps, None)

    assert completed_on(follow_up) == datetime.date(2025, 3, 11)


def test_done_without_a_version_saying_so_it_gets_its_last_change():
    follow_up = written(["open", "in_progress"], at("2025-03-01"), at("2025-03-04"))
    # Made done past the history (a bulk update): no version is done.
    FollowUp.objects.filter(pk=follow_up.pk).update(status=Status.DONE)

    migration.fill(apps, None)

    assert completed_on(follow_up) == datetime.date(2025, 3, 4)


def test_done_without_any_history_it_keeps_no_day():
    follow_up = written(["done"], at("2025-03-01"))
    FollowUp.history.filter(id=follow_up.pk).delete()

    migration.fill(apps, None)

    assert completed_on(follow_up) is None


def test_the_others_are_left_as_they_are():
    kept = FollowUpFactory(status=Status.DONE, completed_on=datetime.date(2025, 1, 2))
    pending = written(["open", "done", "open"], *[at("2025-03-01")] * 3)
    cancelled = written(["done", "cancelled"], *[at("2025-03-01")] * 2)
    version = kept.version

    migration.fill(apps, None)

    assert completed_on(kept) == datetime.date(2025, 1, 2)
    assert completed_on(pending) is None
    assert completed_on(cancelled) is None
    # Nothing recorded, no version moved: it writes what was already true.
    assert kept.version == version
    assert FollowUp.history.filter(id=kept.pk).count() == 1


def test_every_batch_is_filled(monkeypatch):
    monkeypatch.setattr(migration, "BATCH", 2)
    days = [f"2025-04-0{n}" for n in range(1, 6)]
    follow_ups = [written(["done"], at(day)) for day in days]

    migration.fill(apps, None)

    assert [completed_on(f) for f in follow_ups] == [
        datetime.date.fromisoformat(day) for day in days
    ]
