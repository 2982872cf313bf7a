"""Meetings attended and last met, stored on each organisation and person, and
the organisations taking part, stored on each meeting; the types of the
organisations a person worked for or represented, and of those taking part in a
meeting (``organisation_types``, for the ?type filters).

Computed per row in the lists, these cost a subquery over attendance for every
row: sorting 100,000 organisations by meetings attended took 3.7 s, and a page
of the busiest organisations read tens of thousands of rows each. Stored, they
are plain columns with indexes.

They are refreshed by the code that writes what they are computed from, in
its transaction, with the ids it touched before and after the write (a row
moved from one organisation to another refreshes both):

- the admin's save and delete hooks: ``AttendanceAdmin``, ``MeetingAdmin``
  (its attendance rows, a new start, a deleted meeting's rows),
  ``PositionAdmin``, and ``OrganisationAdmin`` and ``PersonAdmin`` (their
  position rows, an organisation's new type), through ``Touched``; their
  saves of an organisation, person or meeting, which write every column,
  first read its figures again under the row's lock (``reload_figures``);
- the services: ``attendance_import`` (``attended_at`` before its bulk
  writes, ``rows_changed_at`` after), ``person_erase``, ``demo_load``;
- the sample data generator: ``refresh_all``, once, after its bulk load;
- anything else (raw SQL, a restored backup): ``manage.py
  refresh_meeting_stats`` (``refresh_all_in_batches``).

A write elsewhere that changes attendance rows, positions, a meeting's start
or an organisation's type must do the same; the test in
tests/meetings/test_stats.py performs every write path and compares every
stored figure with a fresh computation.
"""

import time

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Case,
    Count,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat

from stakeholders.models import Organisation, Person, Position

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
        # MAX, not ORDER BY ... LIMIT 1: with LIMIT, PostgreSQL walks the
        # meetings' date index from the newest until it meets one of the
        # row's meetings, which for an organisation with a handful of rows
        # is most of 50,000 meetings; at XL the generator's refresh of every
        # organisation ran for minutes. MAX reads the row's own attendance.
        "last_met": Subquery(
            attended.values(via).annotate(last=Max("meeting__starts_at")).values("last")
        ),
    }


class TypeIds(Aggregate):
    """The distinct organisation type ids of a group, comma-separated, in no
    particular order."""

    function = "GROUP_CONCAT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(DISTINCT (%(expressions)s)::text, ',')",
            **extra_context,
        )


def _type_ids(rows, via):
    """The type ids of the organisations of ``rows`` (grouped by ``via``), or
    "" for none."""
    return Coalesce(
        Subquery(
            rows.order_by()
            .values(via)
            .annotate(types=TypeIds("organisation__type"))
            .values("types")
        ),
        Value(""),
        output_field=TextField(),
    )


def types_key(*parts):
    """ ",3,7," from comma-separated parts (an id may appear in two parts)."""
    pieces = [Value(",")]
    for part in parts:
        pieces += [part, Value(",")]
    return Concat(*pieces, output_field=TextField())


def person_stats():
    """The person's figures of ``participant_stats``, and ``organisation_types``:
    of the organisations they held a position at or attended on behalf of."""
    positions = Position.objects.filter(person=OuterRef("pk"))
    return {
        **participant_stats("person"),
        "organisation_types": types_key(
            _type_ids(positions, "person"), _type_ids(_attended("person"), "person")
        ),
    }


def meeting_stats():
    """``organisations_attended``: distinct organisations taking part (invited,
    confirmed or attended; not declined or absent) in the outer meeting, and
    their ``organisation_types``."""
    taking_part = Attendance.objects.taking_part().filter(meeting=OuterRef("pk"))
    count = (
        taking_part.order_by()
        .values("meeting")
        .annotate(n=Count("organisation", distinct=True))
        .values("n")
    )
    return {
        "organisations_attended": Coalesce(Subquery(count), 0),
        "organisation_types": types_key(_type_ids(taking_part, "meeting")),
    }


def _in_batches(model, ids):
    """Querysets of ``model``'s rows ``ids``, a batch at a time."""
    ids = sorted({pk for pk in ids if pk is not None})
    for start in range(0, len(ids), BATCH):
        yield model._base_manager.filter(pk__in=ids[start : start + BATCH])


def refresh(*, organisations=(), people=(), meetings=()):
    """Recompute the stored figures of these organisations, people and
    meetings (ids) from their attendance rows and positions: one UPDATE a
    model for every 500 ids, none for a model without ids. An id of a deleted
    row is skipped by its UPDATE."""
    for model, ids, values in (
        (Organisation, organisations, lambda: participant_stats("organisation")),
        (Person, people, person_stats),
        (Meeting, meetings, meeting_stats),
    ):
        for rows in _in_batches(model, ids):
            rows.update(**values())


def refresh_types(people):
    """Recompute only the ``organisation_types`` of these people (ids)."""
    value = person_stats()["organisation_types"]
    for rows in _in_batches(Person, people):
        rows.update(organisation_types=value)


# What a row of each model counts towards: its foreign keys, and the figures
# of whose ids they hold (an attendance row counts for its organisation,
# person and meeting; a position gives its person the organisation's type).
COUNTED = {
    Attendance: {
        "organisation": "organisations",
        "person": "people",
        "meeting": "meetings",
    },
    Position: {"person": "people"},
}


class Touched:
    """The organisations, people and meetings whose stored figures a write
    changes, gathered before it (what the rows pointed at) and after it (what
    they point at now), and refreshed together once it is done, in its
    transaction::

        touched = stats.Touched().rows(queryset)
        queryset.delete()
        touched.refresh()

    Each method returns the instance, and says what it reads."""

    def __init__(self):
        self.organisations, self.people, self.meetings = set(), set(), set()

    def _values(self, model, values):
        for name, ids in COUNTED[model].items():
            getattr(self, ids).add(values[name])
        return self

    def row(self, obj):
        """An attendance row or a position, as it is in memory (no query)."""
        counted = COUNTED[type(obj)]
        return self._values(
            type(obj), {name: getattr(obj, f"{name}_id") for name in counted}
        )

    def rows(self, rows):
        """Attendance rows or positions (a queryset): one query."""
        names = list(COUNTED[rows.model])
        for values in rows.order_by().values(*names).distinct():
            self._values(rows.model, values)
        return self

    def form(self, form):
        """The row of a change form (or inline form) as it was read, before
        the form changed it: ``form.initial``, or for a field the form does
        not edit (an inline's link to its parent) the instance's (no query)."""
        model = type(form.instance)
        return self._values(
            model,
            {
                name: form.initial[name]
                if name in form.initial
                else getattr(form.instance, f"{name}_id")
                for name in COUNTED[model]
            },
        )

    def formsets(self, formsets):
        """Before the inline formsets of a change form save: the rows they
        change or delete, as they were (no query)."""
        for formset in formsets:
            if formset.model in COUNTED:
                for form in formset.initial_forms:
                    if form.has_changed():
                        self.form(form)
        return self

    def saved(self, formsets):
        """After the inline formsets saved: the rows they added or changed,
        as they are now (no query)."""
        for formset in formsets:
            if formset.model in COUNTED:
                for obj in formset.new_objects:
                    self.row(obj)
                for obj, _fields in formset.changed_objects:
                    self.row(obj)
        return self

    def attended(self, meetings):
        """The organisations and people that attended ``meetings`` (a
        queryset of meetings, or meetings): their meetings attended and last
        met change when a meeting's start does or it goes. One query."""
        rows = Attendance.objects.filter(
            meeting__in=meetings, status=Attendance.Status.ATTENDED
        )
        for organisation, person in (
            rows.order_by().values_list("organisation", "person").distinct()
        ):
            self.organisations.add(organisation)
            self.people.add(person)
        return self

    def typed_by(self, organisation):
        """The people and meetings whose stored types include
        ``organisation``'s: who held a position at it or attended on its
        behalf, and the meetings it took part in. Three queries."""
        positions = Position.objects.filter(organisation=organisation)
        attended = Attendance.objects.filter(
            organisation=organisation, status=Attendance.Status.ATTENDED
        ).exclude(person=None)
        taking_part = Attendance.objects.taking_part().filter(organisation=organisation)
        for rows in (positions, attended):
            self.people.update(
                rows.order_by().values_list("person", flat=True).distinct()
            )
        self.meetings.update(
            taking_part.order_by().values_list("meeting", flat=True).distinct()
        )
        return self

    def refresh(self):
        """Refresh everything gathered (see ``refresh``)."""
        refresh(
            organisations=self.organisations,
            people=self.people,
            meetings=self.meetings,
        )


def attended_at(meeting):
    """The ids of the organisations and of the people with an "attended" row at
    ``meeting``: what ``rows_changed_at`` needs from before a bulk write."""
    rows = Attendance.objects.filter(meeting=meeting, status=Attendance.Status.ATTENDED)
    return (
        set(rows.values_list("organisation_id", flat=True)),
        set(rows.exclude(person=None).values_list("person_id", flat=True)),
    )


def rows_changed_at(meeting, before, *, new_people=()):
    """After bulk writes to the rows of one meeting (an import), given
    ``before = attended_at(meeting)`` read before them, in the same
    transaction; ``new_people``: the ids of people the writes created, each
    with a position (whose type is theirs whether or not they attended).

    Recomputing every organisation at a 10,000-row import (the national core
    among them, 60,000 rows each) would take seconds. Who attended ``meeting``
    now and did not before has exactly one meeting more, and met no later
    than this one; only those who no longer attended it are recomputed. The
    types of everyone who attended it now are (a row may have moved to
    another organisation): a person's few rows, not an organisation's many."""
    after = attended_at(meeting)
    start = meeting.starts_at
    later = Case(
        When(Q(last_met__isnull=True) | Q(last_met__lt=start), then=Value(start)),
        default=F("last_met"),
    )
    for model, was, now in (
        (Organisation, before[0], after[0]),
        (Person, before[1], after[1]),
    ):
        for rows in _in_batches(model, now - was):
            rows.update(meetings_attended=F("meetings_attended") + 1, last_met=later)
    refresh_types(after[1] | set(new_people))
    refresh(
        organisations=before[0] - after[0],
        people=before[1] - after[1],
        meetings=[meeting.pk],
    )


# The stored figures of each model, as refresh() writes them.
FIGURES = {
    Organisation: ("meetings_attended", "last_met"),
    Person: ("meetings_attended", "last_met", "organisation_types"),
    Meeting: ("organisations_attended", "organisation_types"),
}


def reload_figures(obj):
    """Set the stored figures of ``obj`` (an organisation, person or meeting)
    to their values in the database now, so that a full save of it (the
    admin's) writes them back as they are rather than as they were read.

    The admin reads its object before its form locks the row: a write
    committed in between (an import, on PostgreSQL) refreshed the figures,
    and the save would put the old ones back. Call it with the row locked
    (``VersionedModelForm.clean`` locks it). One query."""
    names = FIGURES[type(obj)]
    values = type(obj)._base_manager.filter(pk=obj.pk).values(*names).first()
    for name, value in (values or {}).items():
        setattr(obj, name, value)


def _all_figures():
    return (
        (Organisation, lambda: participant_stats("organisation")),
        (Person, person_stats),
        (Meeting, meeting_stats),
    )


def refresh_all():
    """Recompute every stored figure in one statement a table, inside the
    caller's transaction (the sample data generator's bulk load)."""
    for model, values in _all_figures():
        model._base_manager.update(**values())


# A refresh of a live database commits every ~0.1 s of work, so that an
# editor's save waits little for SQLite's write lock. One transaction took it
# for ~40 s at XL, and 4 of 74 concurrent saves failed with "database is
# locked" (issue 18). Batches are ranges of ids whose length adapts to the
# time a range took: the national core organisations cost thousands of times
# more than most, so a range can take several times its aim.
#
# On SQLite, a pause follows each batch's commit. A save that found the lock
# taken waits in SQLite's busy handler, which sleeps and looks again, at most
# 100 ms apart; a refresh that began its next batch at once took the lock
# back before the waiting save looked, batch after batch. Measured at XL with
# 4 clients saving half the time (`bench/load.py --during
# refresh_meeting_stats`), the longest save: 10.8 s with batches of 0.25 s
# and no pause, 2.4 s with a pause of 0.12 s, 1.9 s with batches of 0.1 s
# (p95 0.3 s; the command took 148 s under that load).
# PostgreSQL locks rows, not the database: no pause.
BATCH_SECONDS = 0.1
FIRST_BATCH = 500
SQLITE_PAUSE_SECONDS = 0.12


def let_writers_in():
    """Between two batches of a bulk write: on SQLite, the pause above, in
    which a save waiting for the write lock takes it."""
    if connection.vendor == "sqlite":
        time.sleep(SQLITE_PAUSE_SECONDS)


def refresh_all_in_batches(*, on_progress=None):
    """Recompute every stored figure in short transactions of ranges of ids.

    A row written while this runs is right afterwards either way: the writer
    refreshes it itself. ``on_progress(model, done, total)`` is called after
    each batch, counting ids of the range from the lowest to the highest.
    Returns the longest a batch held the write lock, in seconds."""
    longest = 0.0
    for model, values in _all_figures():
        rows = model._base_manager.order_by()
        bounds = rows.aggregate(low=Min("pk"), high=Max("pk"))
        if bounds["low"] is None:
            continue
        start, size = bounds["low"], FIRST_BATCH
        span = bounds["high"] - bounds["low"] + 1
        while start <= bounds["high"]:
            started = time.perf_counter()
            with transaction.atomic():
                rows.filter(pk__gte=start, pk__lt=start + size).update(**values())
            took = time.perf_counter() - started
            longest = max(longest, took)
            let_writers_in()
            start += size
            if on_progress:
                on_progress(model, min(start - bounds["low"], span), span)
            # Aim the next range at BATCH_SECONDS, growing at most fourfold.
            size = max(1, min(size * 4, int(size * BATCH_SECONDS / max(took, 1e-4))))
    return longest


class RowFiguresAdminMixin:
    """For the admin of attendance rows and positions: after a save or a
    delete, the stored figures of what the row was and is of."""

    def save_model(self, request, obj, form, change):
        touched = Touched()
        if change:
            touched.form(form)
        super().save_model(request, obj, form, change)
        touched.row(obj).refresh()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        Touched().row(obj).refresh()

    def delete_queryset(self, request, queryset):
        touched = Touched().rows(queryset)
        super().delete_queryset(request, queryset)
        touched.refresh()
