"""Meetings attended and last met, stored on each organisation and person, and
the organisations taking part, stored on each meeting.

Computed per row in the lists, these cost a subquery over attendance for every
row: sorting 100,000 organisations by meetings attended took 3.7 s, and a page
of the busiest organisations read tens of thousands of rows each. Stored, they
are plain columns with indexes.

They are kept right by recomputing them from the attendance rows (never by
adding and subtracting, so that a refresh is always correct whatever ran
before it) whenever rows change:

- saving or deleting one row, or a meeting's start, through the ORM: the
  signal receivers below, whatever code did it (admin forms, inlines, delete
  cascades, services);
- bulk writes that send no signals (``bulk_create``, ``bulk_update``,
  ``QuerySet.update``): the service that writes them calls ``changed()``;
- anything else (raw SQL, a restored backup): ``manage.py refresh_meeting_stats``.

Inside ``deferred()`` (every request, via ``DeferredStatsMiddleware``; imports;
the sample data generator) the records to refresh are collected and refreshed
once at the end: a meeting deleted with 1,000 rows costs three updates, not
3,000.
"""

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_init, post_save

from stakeholders.models import Organisation, Person

from .models import Attendance, Meeting

# Updates name their rows by id, in batches under SQLite's parameter limit.
BATCH = 500


def _attended(via):
    return Attendance.objects.filter(
        **{via: OuterRef("pk")}, status=Attendance.Status.ATTENDED
    ).order_by()


def participant_stats(via):
    """``meetings_attended`` (distinct meetings with an "attended" row through
    the foreign key ``via``) and ``last_met`` (start of the latest of them), as
    expressions over the outer organisation or person."""
    attended = _attended(via)
    return {
        "meetings_attended": Coalesce(
            Subquery(
                attended.values(via)
                .annotate(n=Count("meeting", distinct=True))
                .values("n")
            ),
            0,
        ),
        "last_met": Subquery(
            attended.order_by("-meeting__starts_at").values("meeting__starts_at")[:1]
        ),
    }


def meeting_stats():
    """``organisations_attended``: distinct organisations taking part (invited,
    confirmed or attended; not declined or absent) in the outer meeting."""
    taking_part = (
        Attendance.objects.taking_part()
        .filter(meeting=OuterRef("pk"))
        .order_by()
        .values("meeting")
        .annotate(n=Count("organisation", distinct=True))
        .values("n")
    )
    return {"organisations_attended": Coalesce(Subquery(taking_part), 0)}


def refresh(organisations=(), people=(), meetings=()):
    """Recompute the stored figures of these organisations, people and
    meetings (ids) from their attendance rows."""
    for model, ids, values in (
        (Organisation, organisations, participant_stats("organisation")),
        (Person, people, participant_stats("person")),
        (Meeting, meetings, meeting_stats()),
    ):
        ids = sorted({pk for pk in ids if pk is not None})
        for start in range(0, len(ids), BATCH):
            model._base_manager.filter(pk__in=ids[start : start + BATCH]).update(
                **values
            )


def refresh_all():
    """Recompute every stored figure (after a bulk load or raw SQL)."""
    Organisation._base_manager.update(**participant_stats("organisation"))
    Person._base_manager.update(**participant_stats("person"))
    Meeting._base_manager.update(**meeting_stats())


@dataclass
class _Pending:
    organisations: set = field(default_factory=set)
    people: set = field(default_factory=set)
    meetings: set = field(default_factory=set)


_pending = ContextVar("meeting_stats_pending", default=None)


def changed(organisations=(), people=(), meetings=()):
    """Attendance of these organisations, people and meetings (ids) changed:
    refresh them now, or at the end of the enclosing ``deferred()``."""
    pending = _pending.get()
    if pending is None:
        refresh(organisations, people, meetings)
        return
    pending.organisations.update(organisations)
    pending.people.update(people)
    pending.meetings.update(meetings)


@contextlib.contextmanager
def deferred():
    """Collect what ``changed()`` is told and refresh it once, on leaving
    without an exception (nested blocks refresh with the outermost)."""
    if _pending.get() is not None:
        yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    refresh(pending.organisations, pending.people, pending.meetings)


class DeferredStatsMiddleware:
    """Runs each request inside ``deferred()``: an admin save of a meeting
    with 200 attendance rows refreshes its organisations and people once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with deferred():
            return self.get_response(request)


# The receivers. ``post_init`` remembers what a loaded row pointed at, read
# from ``__dict__`` so that a deferred field is not fetched for it.

_ROW_FIELDS = ("organisation_id", "person_id", "meeting_id")


def _remember_row(sender, instance, **kwargs):
    instance._stats_origin = tuple(instance.__dict__.get(f) for f in _ROW_FIELDS)


def _row_changed(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: the fixture's figures are its own
        return
    now = tuple(getattr(instance, f) for f in _ROW_FIELDS)
    before = getattr(instance, "_stats_origin", (None, None, None))
    changed(
        organisations={now[0], before[0]},
        people={now[1], before[1]},
        meetings={now[2], before[2]},
    )
    instance._stats_origin = now


def _remember_start(sender, instance, **kwargs):
    instance._stats_start = instance.__dict__.get("starts_at")


def _meeting_saved(sender, instance, created, raw=False, **kwargs):
    if raw or created or instance._stats_start == instance.starts_at:
        instance._stats_start = instance.starts_at
        return
    # A new start can change the last met of everyone who attended.
    rows = Attendance.objects.filter(meeting=instance)
    changed(
        organisations=rows.values_list("organisation_id", flat=True).distinct(),
        people=rows.exclude(person=None).values_list("person_id", flat=True).distinct(),
    )
    instance._stats_start = instance.starts_at


def connect():
    post_init.connect(_remember_row, sender=Attendance)
    post_save.connect(_row_changed, sender=Attendance)
    post_delete.connect(_row_changed, sender=Attendance)
    post_init.connect(_remember_start, sender=Meeting)
    post_save.connect(_meeting_saved, sender=Meeting)
