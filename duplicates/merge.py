"""Merging two records that are one organisation or one person, as an editor
decided (never automatically).

``read`` gathers what the editor must see before anything is written: both
records, the fields whose values differ, how many rows of each kind each
holds, and the attendance rows that become one (both records at the same
meeting, for the same person or on behalf of the same organisation), with
their differences in role or status. ``merge`` then writes it all in one
transaction:

- the surviving record takes the value chosen for each differing field;
- every row that pointed at the other record points at the survivor:
  attendance, positions, follow-ups, and for an organisation its other
  names, identifiers, child organisations, hosted and initiated meetings and
  assessments;
- two attendance rows at one meeting become the survivor's, with the role and
  status chosen and both notes; two identical positions become one;
- an organisation's other name (and acronym) becomes an other name of the
  survivor; the other record goes;
- each changed row's history says who and why; a merge record keeps the
  other record as it was, the choices and the counts, and sends its old
  address to the survivor; the stored figures are refreshed.

A merge of records that changed since the editor read them (either record
saved, or their shared meetings' rows changed) is refused: ``Stale``.
"""

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.history import history_reason
from core.services import recorded_as, records_bulk_update
from meetings import stats
from meetings.folding import NOTES_SEPARATOR, attendance_fold
from meetings.models import Attendance, CalendarFeed, FollowUp, Meeting
from stakeholders.models import (
    Assessment,
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)

from .models import OrganisationMerge, OrganisationPair, PersonMerge, PersonPair

# simple-history keeps 100 characters of a change reason: names are cut.
MERGED_REASON = history_reason(gettext_noop("Merged with %(other)s (#%(id)s)"))
MOVED_REASON = history_reason(gettext_noop("Moved from %(other)s (#%(id)s), merged"))
GONE_REASON = history_reason(gettext_noop("Merged into %(survivor)s (#%(id)s)"))
NAME_CUT = 50

# Text fields whose two values may both be kept, one after the other.
COMBINABLE = {"notes", "address"}
POSITION_KEY = ["title", "department", "since", "until"]


STALE_MESSAGE = _(
    "One of these records, or their attendance at a meeting they share, was "
    "changed after this page was opened. Nothing was merged: look again at "
    "the values below and merge again."
)


class Stale(Exception):
    """Either record, or their rows at shared meetings, changed since the
    editor read them."""


@dataclass(frozen=True)
class Kind:
    model: type
    fields: list
    # The attendance rows of two records at one meeting are one when they
    # agree on this column (the person, for organisations).
    attendance_other: str
    attendance_own: str
    position_own: str
    position_other: str
    follow_up: str
    merge_model: type
    pair_model: type
    # Shown beside the fields: read with the records.
    related: tuple = ()
    # (label code, model, foreign key): the rows that move, in display order.
    moves: list = field(default_factory=list)


ORGANISATION = Kind(
    model=Organisation,
    fields=[
        "name",
        "acronym",
        "type",
        "parent",
        "country",
        "website",
        "email",
        "phone",
        "address",
        "notes",
        "is_active",
    ],
    attendance_own="organisation",
    attendance_other="person",
    position_own="organisation",
    position_other="person",
    follow_up="owner_organisation",
    merge_model=OrganisationMerge,
    pair_model=OrganisationPair,
    related=("type", "parent"),
    moves=[
        ("attendance", Attendance, "organisation"),
        ("positions", Position, "organisation"),
        ("follow_ups", FollowUp, "owner_organisation"),
        ("other_names", OrganisationName, "organisation"),
        ("identifiers", OrganisationIdentifier, "organisation"),
        ("children", Organisation, "parent"),
        ("hosted", Meeting, "host"),
        ("initiated", Meeting, "initiators"),
        ("assessments", Assessment, "organisation"),
    ],
)
PERSON = Kind(
    model=Person,
    fields=["full_name", "email", "phone", "notes", "do_not_contact"],
    attendance_own="person",
    attendance_other="organisation",
    position_own="person",
    position_other="organisation",
    follow_up="owner_person",
    merge_model=PersonMerge,
    pair_model=PersonPair,
    moves=[
        ("attendance", Attendance, "person"),
        ("positions", Position, "person"),
        ("follow_ups", FollowUp, "owner_person"),
    ],
)
KINDS = {Organisation: ORGANISATION, Person: PERSON}


def kind_of(model):
    return KINDS[model]


@dataclass
class Shared:
    """Two attendance rows, one of each record, at one meeting."""

    first: Attendance
    second: Attendance

    @property
    def differs(self):
        return [
            name
            for name in ("role", "status")
            if getattr(self.first, name) != getattr(self.second, name)
        ]


@dataclass
class Reading:
    """What an editor sees before merging ``first`` and ``second``."""

    kind: Kind
    first: object
    second: object
    differing: list
    counts: dict  # label code -> (first's rows, second's rows)
    shared: list  # Shared attendance, by meeting
    twin_positions: list  # (first's, second's) identical positions
    token: str

    @property
    def conflicts(self):
        return [pair for pair in self.shared if pair.differs]


def _value(record, name):
    if name in ("type", "parent"):
        return getattr(record, f"{name}_id")
    if name == "country":
        return str(record.country or "")
    return getattr(record, name)


def _differing(kind, first, second):
    return [
        name
        for name in kind.fields
        if _value(first, name) != _value(second, name)
        and not (
            isinstance(_value(first, name), str)
            and _value(first, name).strip() == _value(second, name).strip()
        )
    ]


def _counts(kind, ids):
    counts = {}
    for code, model, key in kind.moves:
        rows = (
            model.objects.filter(**{f"{key}__in": ids})
            .order_by()
            .values(key)
            .annotate(n=Count("pk"))
        )
        found = {row[key]: row["n"] for row in rows}
        counts[code] = tuple(found.get(pk, 0) for pk in ids)
    return counts


def _shared_attendance(kind, first, second):
    own, other = kind.attendance_own, kind.attendance_other
    meetings_of = {
        record.pk: Attendance.objects.filter(**{own: record}).values("meeting")
        for record in (first, second)
    }
    rows = (
        Attendance.objects.filter(
            **{f"{own}__in": [first.pk, second.pk]},
            meeting__in=meetings_of[first.pk],
        )
        .filter(meeting__in=meetings_of[second.pk])
        .select_related("meeting", other)
        .order_by("-meeting__starts_at", "meeting_id", "pk")
    )
    by_key = {}
    for row in rows:
        by_key.setdefault((row.meeting_id, getattr(row, f"{other}_id")), {})[
            getattr(row, f"{own}_id")
        ] = row
    return [
        Shared(pair[first.pk], pair[second.pk])
        for pair in by_key.values()
        if len(pair) == 2
    ]


def _twin_positions(kind, first, second):
    own, other = kind.position_own, kind.position_other
    key = [other, *POSITION_KEY]
    firsts = {}
    twins = []
    rows = Position.objects.filter(**{f"{own}__in": [first.pk, second.pk]}).order_by(
        "pk"
    )
    rows = rows.filter(
        **{
            f"{other}__in": Position.objects.filter(**{own: first}).values(other),
        }
    ).filter(**{f"{other}__in": Position.objects.filter(**{own: second}).values(other)})
    for position in rows:
        values = tuple(_value(position, name) for name in key)
        if getattr(position, f"{own}_id") == first.pk:
            firsts.setdefault(values, position)
        elif values in firsts:
            twins.append((firsts.pop(values), position))
    return twins


def _token(first, second, shared):
    parts = [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]
    for pair in shared:
        for row in (pair.first, pair.second):
            parts.append(f"{row.pk}:{row.version}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def read(model, first_id, second_id):
    """The ``Reading`` of two records of ``model`` (their ids), or None when
    either is missing. Queries: the two records, one count per kind of row,
    the shared attendance and the identical positions."""
    kind = kind_of(model)
    records = model.objects.select_related(*kind.related).in_bulk([first_id, second_id])
    if first_id == second_id or len(records) != 2:
        return None
    first, second = records[first_id], records[second_id]
    shared = _shared_attendance(kind, first, second)
    return Reading(
        kind=kind,
        first=first,
        second=second,
        differing=_differing(kind, first, second),
        counts=_counts(kind, [first.pk, second.pk]),
        shared=shared,
        twin_positions=_twin_positions(kind, first, second),
        token=_token(first, second, shared),
    )


def combined_text(one, other):
    """Both texts, the first first; one of them when the other is empty or
    the same."""
    one, other = (one or "").strip(), (other or "").strip()
    if not one or one == other:
        return other
    if not other:
        return one
    return f"{one}{NOTES_SEPARATOR}{other}"


def _cut(text):
    text = str(text)
    return text if len(text) <= NAME_CUT else f"{text[: NAME_CUT - 1]}…"


def _snapshot(kind, record):
    data = {}
    for name in kind.fields:
        value = _value(record, name)
        data[name] = (
            value if value is None or isinstance(value, (bool, int)) else str(value)
        )
    data["id"] = record.pk
    data["version"] = record.version
    if kind is ORGANISATION:
        data["other_names"] = list(
            record.other_names.order_by("pk").values("name", "language", "is_former")
        )
        data["identifiers"] = list(
            record.identifiers.order_by("pk").values("scheme", "value")
        )
    return data


def _combine_shared(shared, keep_first, roles, statuses, other, reason):
    """The survivor's row of each shared pair takes the chosen role and
    status and both notes; the other's goes. Returns the number combined."""
    for index, pair in enumerate(shared):
        kept, gone = (
            (pair.first, pair.second) if keep_first else (pair.second, pair.first)
        )
        values = {
            "role": getattr(
                pair, roles.get(index, "first" if keep_first else "second")
            ).role,
            "status": getattr(
                pair, statuses.get(index, "first" if keep_first else "second")
            ).status,
            "notes": combined_text(kept.notes, gone.notes),
        }
        gone._change_reason = reason
        gone.delete()
        changed = [
            name for name, value in values.items() if getattr(kept, name) != value
        ]
        if changed:
            for name in changed:
                setattr(kept, name, values[name])
            kept.version += 1
            kept._change_reason = reason
            kept.save(update_fields=[*changed, "version"])
    return len(shared)


def _combine_twins(twins, keep_first, reason):
    for first, second in twins:
        kept, gone = (first, second) if keep_first else (second, first)
        notes = combined_text(kept.notes, gone.notes)
        gone._change_reason = reason
        gone.delete()
        if notes != kept.notes:
            kept.notes = notes
            kept.version += 1
            kept._change_reason = reason
            kept.save(update_fields=["notes", "version"])
    return len(twins)


def _move_initiated(other, survivor):
    """Meetings the other organisation initiated: the survivor instead (once).
    Through the relation's manager, so that each meeting's history records it."""
    moved = 0
    for meeting in Meeting.objects.filter(initiators=other).prefetch_related(
        "initiators"
    ):
        has_survivor = any(o.pk == survivor.pk for o in meeting.initiators.all())
        meeting.initiators.remove(other)
        if not has_survivor:
            meeting.initiators.add(survivor)
        moved += 1
    return moved


def _names_for(survivor, names):
    """Other names the survivor gains: ``names`` (both records' names and
    acronyms as they were), less those it goes by."""
    taken = {
        survivor.name.casefold(),
        (survivor.acronym or "").casefold(),
        *(
            name.casefold()
            for name in survivor.other_names.values_list("name", flat=True)
        ),
    }
    gained = []
    for name in names:
        if name and name.casefold() not in taken:
            taken.add(name.casefold())
            gained.append(name)
    return gained


def merge(*, reading, keep, values, roles=None, statuses=None, user):
    """Merge the two records of ``reading`` as the editor chose: ``keep`` is
    "first" or "second" (the survivor), ``values`` the survivor's value of
    each differing field, ``roles``/``statuses`` which row's role and status
    each shared attendance row keeps (index -> "first"/"second"). One
    transaction; returns the merge record. Raises ``Stale`` when the records
    changed since ``reading`` was made, ``ValidationError`` (by field) when
    the survivor's values are not valid; either way nothing is written."""
    kind = reading.kind
    roles, statuses = roles or {}, statuses or {}
    keep_first = keep == "first"
    with transaction.atomic():
        locked = {
            record.pk: record
            for record in kind.model._base_manager.select_for_update().filter(
                pk__in=[reading.first.pk, reading.second.pk]
            )
        }
        if len(locked) != 2:
            raise Stale
        again = read(kind.model, reading.first.pk, reading.second.pk)
        if again is None or again.token != reading.token:
            raise Stale
        survivor, other = (
            (again.first, again.second) if keep_first else (again.second, again.first)
        )
        with recorded_as(user):
            return _write(
                kind, again, survivor, other, keep_first, values, roles, statuses, user
            )


def _write(kind, reading, survivor, other, keep_first, values, roles, statuses, user):
    now = timezone.now()
    label = str(other)
    moved_reason = MOVED_REASON % {"other": _cut(other), "id": other.pk}
    snapshot = _snapshot(kind, other)
    # What the stored figures count, before anything moves.
    touched = stats.Touched()
    other_meetings = list(
        Attendance.objects.filter(**{kind.attendance_own: other})
        .order_by()
        .values_list("meeting", flat=True)
        .distinct()
    )
    for model in (Attendance, Position):
        own = kind.attendance_own if model is Attendance else kind.position_own
        touched.rows(model.objects.filter(**{f"{own}__in": [survivor.pk, other.pk]}))

    moved = {
        "combined_attendance": _combine_shared(
            reading.shared, keep_first, roles, statuses, other, moved_reason
        ),
        "combined_positions": _combine_twins(
            reading.twin_positions, keep_first, moved_reason
        ),
    }
    if kind is ORGANISATION:
        # The survivor's names the other also has: the survivor's stay.
        survivor_names = {
            name.casefold()
            for name in survivor.other_names.values_list("name", flat=True)
        }
        clashing = [
            name
            for name in other.other_names.all()
            if name.name.casefold() in survivor_names
        ]
        for name in clashing:
            name._change_reason = moved_reason
            name.delete()
        moved["combined_other_names"] = len(clashing)
    for code, model, key in kind.moves:
        if code == "initiated":
            moved[code] = _move_initiated(other, survivor)
            continue
        rows = model._base_manager.filter(**{key: other})
        if code == "children":
            rows = rows.exclude(pk=survivor.pk)
        moved[code] = records_bulk_update(
            queryset=rows, user=user, reason=moved_reason, **{key: survivor}
        )

    if kind is ORGANISATION:
        # Users who followed the other in their calendar follow the survivor.
        through = CalendarFeed.organisations.through
        following = through.objects.filter(organisation=other)
        following.filter(
            calendarfeed__in=through.objects.filter(organisation=survivor).values(
                "calendarfeed"
            )
        ).delete()
        moved["calendar_feeds"] = following.update(organisation=survivor)
        # A name either went by, the other's first, becomes an other name.
        former_names = [other.name, other.acronym, survivor.name, survivor.acronym]
    # The survivor's values; a parent that is the other record (or would
    # make the survivor its own parent) becomes the other's parent.
    for name, value in values.items():
        setattr(survivor, name, value)
    if kind is ORGANISATION:
        parent = survivor.parent_id
        if parent == other.pk:
            parent = other.parent_id
        survivor.parent_id = None if parent == survivor.pk else parent
        # Off the other record before it goes (it is protected meanwhile).
        kind.model._base_manager.filter(pk=survivor.pk).update(
            parent_id=survivor.parent_id
        )
    # Merges into the other record now lead to the survivor.
    kind.merge_model.objects.filter(survivor=other).update(survivor=survivor)
    other_id = other.pk
    other._change_reason = GONE_REASON % {"survivor": _cut(survivor), "id": survivor.pk}
    other.delete()

    survivor.full_clean(exclude=["version"])
    survivor.version += 1
    survivor._change_reason = MERGED_REASON % {"other": _cut(label), "id": other_id}
    survivor.save()
    if kind is ORGANISATION:
        new_names = [
            OrganisationName(organisation=survivor, name=name)
            for name in _names_for(survivor, former_names)
        ]
        for name in new_names:
            name._change_reason = moved_reason
            name.save()
        moved["new_other_names"] = len(new_names)
        # The other's organisation-only rows beside the survivor's people.
        attendance_fold(other_meetings)
        # The start page's active organisations per type.
        OrganisationType.objects.filter(
            pk__in={survivor.type_id, snapshot["type"]}
        ).refresh_active_organisations()
    touched.refresh()
    return kind.merge_model.objects.create(
        survivor=survivor,
        old_id=other_id,
        old_label=label[:300],
        old_record=snapshot,
        choices={name: _json(value) for name, value in values.items()},
        moved=moved,
        merged_at=now,
        merged_by=user,
    )


def _json(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return getattr(value, "pk", None) or str(value)


def merged_into(model, pk):
    """The record that ``model``'s record ``pk`` was merged into, or None."""
    merge_model = kind_of(model).merge_model
    found = merge_model.objects.filter(old_id=pk).select_related("survivor").first()
    return found.survivor if found else None


__all__ = ["Stale", "ValidationError", "merge", "merged_into", "read"]
