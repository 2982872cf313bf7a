"""An organisation's or a person's timeline: the meetings they took part in,
the positions that began and ended, the follow-ups they own (when due, and
when they were marked done, from the follow-ups' history) and the changes
recorded to the record itself, newest first, a page at a time.

The busiest organisation took part in about 40,000 meetings at XL and has had
thousands of positions, so nothing is read whole: the page's keys come from
one UNION ALL of the sources, each part sorted and cut to the rows the page
could need (``offset + page size + 1``), then each kind's records of the page
are read by key. A fixed number of queries whatever the number of events: the
count (each part counted up to a limit, as the lists count), the page's keys,
and one or two per kind of event on the page.

A date without a time (a position's start, a follow-up's due date) sorts as
the start of that day in UTC, before the meetings held later that day.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast

from core.history import Timeline
from meetings.models import Attendance, FollowUp, Meeting

from .models import Organisation, Person, Position, attach_local_names

# The kinds of event, in the order they sort within one moment.
MEETING = 1  # an organisation's meeting: attended, hosted or initiated
ATTENDED = 2  # a person's attendance row: on behalf of an organisation
POSITION_STARTED = 3
POSITION_ENDED = 4
FOLLOW_UP = 5  # due
FOLLOW_UP_DONE = 6
CHANGE = 7


@dataclass
class Event:
    kind: int
    at: object  # what the template shows: a meeting, a date or a datetime
    record: object  # the meeting, attendance row, position, follow-up or Entry
    pk: int  # the record's key (a history record's history_id)

    @property
    def code(self):
        """The kind as a word, for the template and its CSS."""
        return {
            MEETING: "meeting",
            ATTENDED: "meeting",
            POSITION_STARTED: "position-started",
            POSITION_ENDED: "position-ended",
            FOLLOW_UP: "follow-up",
            FOLLOW_UP_DONE: "follow-up-done",
            CHANGE: "change",
        }[self.kind]


def _part(queryset, kind, at, key="pk"):
    """One source: ``(ev_at, ev_kind, ev_id)`` of ``queryset``, newest first."""
    return (
        queryset.annotate(
            ev_at=at,
            ev_kind=Value(kind, output_field=IntegerField()),
            ev_id=F(key),
        )
        .order_by("-ev_at", "-ev_id")
        .values_list("ev_at", "ev_kind", "ev_id")
    )


def _day(name):
    """A date column as a datetime (midnight UTC), to sort beside moments."""
    return Cast(F(name), DateTimeField())


def _sql(queryset):
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


class Events:
    """The timeline of ``subject`` (an Organisation or a Person) as Django's
    Paginator reads a list: ``count()`` and a slice. ``count_limit`` caps the
    count as the lists do (``core.paginators.count_limit_for``)."""

    def __init__(self, subject, *, count_limit):
        self.subject = subject
        self.count_limit = count_limit
        self.exceeds_limit = False
        if isinstance(subject, Organisation):
            self.parts = self.organisation_parts(subject)
        else:
            self.parts = self.person_parts(subject)

    @staticmethod
    def organisation_parts(organisation):
        return [
            _part(
                Meeting.objects.taken_part_by(organisation),
                MEETING,
                F("starts_at"),
            ),
            *_position_parts(Position.objects.filter(organisation=organisation)),
            _part(
                FollowUp.objects.filter(
                    owner_organisation=organisation, due_on__isnull=False
                ),
                FOLLOW_UP,
                _day("due_on"),
            ),
            _done_part(FollowUp.history.filter(owner_organisation_id=organisation.pk)),
            _part(
                Organisation.history.filter(id=organisation.pk),
                CHANGE,
                F("history_date"),
                key="history_id",
            ),
        ]

    @staticmethod
    def person_parts(person):
        return [
            _part(
                Attendance.objects.filter(person=person),
                ATTENDED,
                F("meeting__starts_at"),
            ),
            *_position_parts(Position.objects.filter(person=person)),
            _part(
                FollowUp.objects.filter(owner_person=person, due_on__isnull=False),
                FOLLOW_UP,
                _day("due_on"),
            ),
            _done_part(FollowUp.history.filter(owner_person_id=person.pk)),
            _part(
                Person.history.filter(id=person.pk),
                CHANGE,
                F("history_date"),
                key="history_id",
            ),
        ]

    def count(self):
        """The events, each part counted up to ``count_limit + 1`` (one
        query), and at most ``count_limit``; ``exceeds_limit`` says there are
        more."""
        limit = self.count_limit + 1
        counts, params = [], []
        for part in self.parts:
            sql, part_params = _sql(part.order_by()[:limit])
            counts.append(f"(SELECT COUNT(*) FROM ({sql}) part)")  # noqa: S608
            params.extend(part_params)
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + " + ".join(counts), params)
            (found,) = cursor.fetchone()
        self.exceeds_limit = found > self.count_limit
        return min(found, self.count_limit)

    def keys(self, offset, size):
        """``(at, kind, id)`` of the events ``offset`` to ``offset + size``,
        newest first (one query): each part reads its newest
        ``offset + size`` rows by its own index, and the union is sorted."""
        parts, params = [], []
        for index, part in enumerate(self.parts):
            sql, part_params = _sql(part[: offset + size])
            parts.append(f"SELECT * FROM ({sql}) p{index}")  # noqa: S608
            params.extend(part_params)
        union = " UNION ALL ".join(parts)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ev_kind, ev_id FROM ({union}) events "  # noqa: S608
                "ORDER BY ev_at DESC, ev_kind, ev_id DESC LIMIT %s OFFSET %s",
                [*params, size, offset],
            )
            return cursor.fetchall()

    def __getitem__(self, page):
        offset = page.start or 0
        return self.events(self.keys(offset, page.stop - offset))

    def events(self, keys):
        """The events of ``keys``: the records of each kind the subject has
        read in one query (two for an organisation's meetings: the meetings,
        then its attendance rows at them), on every page whether or not it
        shows that kind, so that every page costs the same; the changes on the
        page, when there are, as the admin's history reads them; and the
        organisations named in the reader's language (one)."""
        wanted = {}
        for kind, pk in keys:
            wanted.setdefault(kind, []).append(pk)

        def ids(*kinds):
            # No key is 0: a kind missing from the page still costs its query.
            return {pk for kind in kinds for pk in wanted.get(kind, ())} or {0}

        records = {}
        organisations = []
        if isinstance(self.subject, Organisation):
            organisation = self.subject
            organisations.append(organisation)
            initiated = Meeting.initiators.through.objects.filter(
                meeting=OuterRef("pk"), organisation=organisation
            )
            meetings = Meeting.objects.filter(pk__in=ids(MEETING)).annotate(
                initiated=Exists(initiated)
            )
            rows = {}
            for row in (
                Attendance.objects.filter(
                    organisation=organisation, meeting__in=ids(MEETING)
                )
                .select_related("person")
                .order_by(F("person__full_name").asc(nulls_first=True), "pk")
            ):
                rows.setdefault(row.meeting_id, []).append(row)
            for meeting in meetings:
                meeting.rows = rows.get(meeting.pk, [])
                records[(MEETING, meeting.pk)] = meeting
        else:
            for row in Attendance.objects.filter(pk__in=ids(ATTENDED)).select_related(
                "meeting", "organisation"
            ):
                records[(ATTENDED, row.pk)] = row
                organisations.append(row.organisation)
        for position in Position.objects.filter(
            pk__in=ids(POSITION_STARTED, POSITION_ENDED)
        ).select_related("person", "organisation"):
            records[(POSITION_STARTED, position.pk)] = position
            records[(POSITION_ENDED, position.pk)] = position
            organisations.append(position.organisation)
        for follow_up in FollowUp.objects.filter(pk__in=ids(FOLLOW_UP)).select_related(
            "meeting", "owner_organisation", "owner_person"
        ):
            records[(FOLLOW_UP, follow_up.pk)] = follow_up
            organisations.append(follow_up.owner_organisation)
        # The follow-up as it was recorded when it was done.
        for version in FollowUp.history.filter(
            history_id__in=ids(FOLLOW_UP_DONE)
        ).select_related("meeting", "owner_organisation", "owner_person"):
            records[(FOLLOW_UP_DONE, version.history_id)] = version
            organisations.append(version.owner_organisation)
        if CHANGE in wanted:
            # The record's own history, read as its admin history page reads
            # it: who, when and what changed, in names.
            history = Timeline(self.subject).entries(
                [(None, pk, 0) for pk in wanted[CHANGE]]
            )
            for entry in history:
                records[(CHANGE, entry.record.history_id)] = entry
        attach_local_names(organisations)
        events = []
        for kind, pk in keys:
            record = records[(kind, pk)]
            events.append(Event(kind, self.when(kind, record), record, pk))
        return events

    @staticmethod
    def when(kind, record):
        if kind == MEETING:
            return record
        if kind == ATTENDED:
            return record.meeting
        if kind == POSITION_STARTED:
            return record.since
        if kind == POSITION_ENDED:
            return record.until
        if kind == FOLLOW_UP:
            return record.due_on
        if kind == FOLLOW_UP_DONE:
            return record.history_date
        return record.when


def _position_parts(positions):
    """A position's start and its end, each an event."""
    return [
        _part(positions.filter(since__isnull=False), POSITION_STARTED, _day("since")),
        _part(positions.filter(until__isnull=False), POSITION_ENDED, _day("until")),
    ]


def _done_part(versions):
    """Follow-ups marked done, dated by the history version that marked them
    (its status done, the version before it not): follow-ups have no
    completion date of their own yet. Reopened and done again, a follow-up is
    done twice."""
    before = (
        FollowUp.history.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(
                history_date=OuterRef("history_date"),
                history_id__lt=OuterRef("history_id"),
            )
        )
        .order_by("-history_date", "-history_id")
        .values("status")[:1]
    )
    return _part(
        versions.filter(status=FollowUp.Status.DONE)
        .annotate(status_before=Subquery(before))
        .filter(Q(status_before__isnull=True) | ~Q(status_before=FollowUp.Status.DONE)),
        FOLLOW_UP_DONE,
        F("history_date"),
        key="history_id",
    )
