"""An organisation's or a person's timeline: the meetings they took part in,
the positions that began and ended, the follow-ups they own (when due, and
the day they were marked done, ``completed_on``) and the changes recorded to
the record itself, newest first, a page at a time.

The busiest organisation took part in about 40,000 meetings at XL and has had
thousands of positions, so nothing is read whole: the page's keys come from
one UNION ALL of the sources, each part sorted and cut to the rows the page
could need (``offset + page size + 1``), then each kind's records of the page
are read by key. A fixed number of queries whatever the number of events: the
count (each part counted up to a limit, as the lists count), the page's keys,
the page's records of every kind in one query (``Events.columns``), and the
recorded changes when the page shows some (``Events.events``).

A date without a time (a position's start, a follow-up's due date) sorts as
the start of that day in UTC, before the meetings held later that day.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast

from core.history import Timeline
from meetings.models import Attendance, FollowUp, Meeting

from .models import (
    Organisation,
    OrganisationName,
    Person,
    Position,
    name_language,
)

# The kinds of event, in the order they sort within one moment.
MEETING = 1  # an organisation's meeting: attended, hosted or initiated
ATTENDED = 2  # a person's attendance row: on behalf of an organisation
POSITION_STARTED = 3
POSITION_ENDED = 4
FOLLOW_UP = 5  # due
FOLLOW_UP_DONE = 6
CHANGE = 7
# Not an event: an organisation's attendance rows at the meetings of a page,
# read with the page's records (Events.columns).
ROWS = 0

# What the page shows of its events, each kind's in the columns it has
# (Events.columns), with the type its NULL has in the others.
COLUMNS = {
    "meeting_id": IntegerField(),
    "meeting_title": TextField(),
    "starts_at": DateTimeField(),
    "date_only": BooleanField(),
    "host_id": IntegerField(),
    "initiated": BooleanField(),
    "role": TextField(),
    "status": TextField(),
    "title": TextField(),
    "department": TextField(),
    "since": DateField(),
    "until": DateField(),
    "person_id": IntegerField(),
    "person_name": TextField(),
    "organisation_id": IntegerField(),
    "organisation_name": TextField(),
    "local_name": TextField(),
    "action": TextField(),
    "due_on": DateField(),
    "completed_on": DateField(),
}


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
            _done_part(FollowUp.objects.filter(owner_organisation=organisation)),
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
            _done_part(FollowUp.objects.filter(owner_person=person)),
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
        """The events of ``keys``: what the page shows of every kind but the
        changes read in one query (``columns``: a UNION ALL of one part per
        kind, each reading its records of the page by key with the columns
        the page shows, joined, and the organisations' names in the reader's
        language as subqueries), made into model instances the template reads
        as it read the records; and the changes on the page, when there are,
        as the admin's history reads them (the versions with their users, and
        one query per related model they name).

        So a page costs the count, its keys and this one query, plus those of
        its changes, whatever the number or the kinds of its events: 3 to 5,
        where a query per kind of record and one for the names made 7 to 10
        (issue 13 holds a page to 8 with the session, the user and the
        record: 6 to 8 now)."""
        wanted = {}
        for kind, pk in keys:
            wanted.setdefault(kind, []).append(pk)
        records, rows = {}, {}
        for values in self.columns(wanted):
            kind, pk = values[0], values[1]
            row = dict(zip(COLUMNS, values[2:], strict=True))
            if kind == ROWS:
                rows.setdefault(row["meeting_id"], []).append((pk, row))
            else:
                records[(kind, pk)] = _record(kind, pk, row)
        for (kind, pk), meeting in records.items():
            if kind == MEETING:
                # Nameless rows first, then by name, as the meeting page lists
                # them.
                found = sorted(rows.get(pk, ()), key=_by_person)
                meeting.rows = [_attendance(key, row) for key, row in found]
        if CHANGE in wanted:
            # The record's own history, read as its admin history page reads
            # it: who, when and what changed, in names.
            history = Timeline(self.subject).entries(
                [(None, pk, 0) for pk in wanted[CHANGE]]
            )
            for entry in history:
                records[(CHANGE, entry.record.history_id)] = entry
        events = []
        for kind, pk in keys:
            record = records[(kind, pk)]
            events.append(Event(kind, self.when(kind, record), record, pk))
        return events

    def columns(self, wanted):
        """``(kind, key, *COLUMNS)`` of the records of ``wanted`` (their keys
        by kind), and for an organisation its attendance rows at the page's
        meetings (``ROWS``), in one query. Every part is there on every page,
        with no key (0) when the page has none of its kind, so that every
        page runs the same query."""

        def ids(kind):
            return wanted.get(kind) or [0]

        language = name_language()
        parts = []
        if isinstance(self.subject, Organisation):
            organisation = self.subject
            initiated = Meeting.initiators.through.objects.filter(
                meeting=OuterRef("pk"), organisation=organisation
            )
            parts.append(
                _columns(
                    Meeting.objects.filter(pk__in=ids(MEETING)),
                    MEETING,
                    typed=True,
                    meeting_id=F("pk"),
                    meeting_title=F("title"),
                    starts_at=F("starts_at"),
                    date_only=F("date_only"),
                    host_id=F("host_id"),
                    initiated=Exists(initiated),
                )
            )
            parts.append(
                _columns(
                    Attendance.objects.filter(
                        organisation=organisation, meeting__in=ids(MEETING)
                    ),
                    ROWS,
                    meeting_id=F("meeting_id"),
                    role=F("role"),
                    status=F("status"),
                    person_id=F("person_id"),
                    person_name=F("person__full_name"),
                )
            )
        else:
            parts.append(
                _columns(
                    Attendance.objects.filter(pk__in=ids(ATTENDED)),
                    ATTENDED,
                    typed=True,
                    meeting_id=F("meeting_id"),
                    meeting_title=F("meeting__title"),
                    starts_at=F("meeting__starts_at"),
                    date_only=F("meeting__date_only"),
                    role=F("role"),
                    status=F("status"),
                    person_id=F("person_id"),
                    **_organisation("organisation", language),
                )
            )
        for kind in (POSITION_STARTED, POSITION_ENDED):
            parts.append(
                _columns(
                    Position.objects.filter(pk__in=ids(kind)),
                    kind,
                    title=F("title"),
                    department=F("department"),
                    since=F("since"),
                    until=F("until"),
                    person_id=F("person_id"),
                    person_name=F("person__full_name"),
                    **_organisation("organisation", language),
                )
            )
        for kind in (FOLLOW_UP, FOLLOW_UP_DONE):
            parts.append(
                _columns(
                    FollowUp.objects.filter(pk__in=ids(kind)),
                    kind,
                    action=F("action"),
                    status=F("status"),
                    due_on=F("due_on"),
                    completed_on=F("completed_on"),
                    meeting_id=F("meeting_id"),
                    meeting_title=F("meeting__title"),
                    person_id=F("owner_person_id"),
                    person_name=F("owner_person__full_name"),
                    **_organisation("owner_organisation", language),
                )
            )
        first, *rest = parts
        return list(first.union(*rest, all=True))

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
            return record.completed_on
        return record.when


def _position_parts(positions):
    """A position's start and its end, each an event."""
    return [
        _part(positions.filter(since__isnull=False), POSITION_STARTED, _day("since")),
        _part(positions.filter(until__isnull=False), POSITION_ENDED, _day("until")),
    ]


def _done_part(follow_ups):
    """Follow-ups done, dated by the day they were marked done
    (``FollowUp.completed_on``, kept by ``FollowUp.record_completion`` and
    filled for those done before it by meetings 0015). Reopened and done
    again, a follow-up shows the last time: the day is not kept once it is
    reopened."""
    return _part(
        follow_ups.filter(completed_on__isnull=False),
        FOLLOW_UP_DONE,
        _day("completed_on"),
    )


def _columns(queryset, kind, typed=False, **values):
    """``(kind, key, *COLUMNS)`` of ``queryset``: ``values`` the columns this
    kind has, the others NULL. The first part of the union has ``typed``
    NULLs: PostgreSQL types the union's columns from its first parts (NULL
    and NULL is text, which a later date does not match), and Django
    converts the values read by the first part's types (a date read from
    SQLite is text). Only there: a cast to compile is some 30 µs, and they
    were most of the page's CPU for the union."""
    columns = {
        "c_kind": Value(kind, output_field=IntegerField()),
        "c_id": F("pk"),
    }
    for name, field in COLUMNS.items():
        if name in values:
            columns[f"c_{name}"] = values.pop(name)
        else:
            null = Value(None, output_field=field)
            columns[f"c_{name}"] = Cast(null, field) if typed else null
    assert not values, values  # noqa: S101 - a column not in COLUMNS
    # One annotate in COLUMNS' order: the SQL's order of the columns, which
    # the parts of a union must share.
    return queryset.order_by().annotate(**columns).values_list(*columns)


def _organisation(path, language):
    """The columns of the organisation at ``path``: its key, its official name
    and its name in the reader's language (``Organisation.display_name``),
    as ``OrganisationQuerySet.with_local_name`` reads it."""
    local = Value(None, output_field=TextField())
    if language is not None:
        local = Subquery(
            OrganisationName.objects.filter(
                organisation=OuterRef(f"{path}_id"),
                language=language,
                is_former=False,
            )
            .order_by("pk")
            .values("name")[:1]
        )
    return {
        "organisation_id": F(f"{path}_id"),
        "organisation_name": F(f"{path}__name"),
        "local_name": local,
    }


def _named_organisation(row):
    if row["organisation_id"] is None:
        return None
    organisation = Organisation(
        pk=row["organisation_id"], name=row["organisation_name"]
    )
    organisation.local_name = row["local_name"]
    return organisation


def _by_person(found):
    key, row = found
    name = row["person_name"]
    return (name is not None, name or "", key)


def _person(row):
    if row["person_id"] is None:
        return None
    return Person(pk=row["person_id"], full_name=row["person_name"])


def _meeting(row):
    return Meeting(
        pk=row["meeting_id"],
        title=row["meeting_title"],
        starts_at=row["starts_at"],
        date_only=bool(row["date_only"]),
        host_id=row["host_id"],
    )


def _attendance(pk, row):
    attendance = Attendance(
        pk=pk,
        meeting_id=row["meeting_id"],
        role=row["role"],
        status=row["status"],
    )
    attendance.person = _person(row)
    return attendance


def _record(kind, pk, row):
    """The record an event of ``kind`` shows, as a model instance made of the
    columns read (no query reads from it)."""
    if kind == MEETING:
        meeting = _meeting(row)
        meeting.initiated = bool(row["initiated"])
        return meeting
    if kind == ATTENDED:
        attendance = _attendance(pk, row)
        attendance.meeting = _meeting(row)
        attendance.organisation = _named_organisation(row)
        return attendance
    if kind in (POSITION_STARTED, POSITION_ENDED):
        position = Position(
            pk=pk,
            title=row["title"],
            department=row["department"],
            since=row["since"],
            until=row["until"],
        )
        position.person = _person(row)
        position.organisation = _named_organisation(row)
        return position
    follow_up = FollowUp(
        pk=pk,
        action=row["action"],
        status=row["status"],
        due_on=row["due_on"],
        completed_on=row["completed_on"],
    )
    follow_up.meeting = Meeting(pk=row["meeting_id"], title=row["meeting_title"])
    follow_up.owner_person = _person(row)
    follow_up.owner_organisation = _named_organisation(row)
    return follow_up
