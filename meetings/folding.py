"""One row per organisation and meeting: an organisation-only attendance row
beside rows of people of the same organisation at the same meeting is folded
into them (issue 16).

The rule lives here, for every write path (the admin, the import, erasure)
and for the data migration that folded the rows written before it, which
passes its own historical models.

An organisation-only row is folded when it says nothing its people's rows do
not: the organisation's role moves to its first person (by name) if it ranks
above theirs (the host stays the host), its notes are added to that person's,
and the row goes. It stays when it records the organisation as attending,
or taking part, while none of its named people did (their status says they
declined or were absent): then it is the only record that the organisation
was there, and the stored figures count it.
"""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_noop

from core.history import history_reason

TAKING_PART = {"invited", "confirmed", "attended"}
# The order of an organisation's people's rows: the first takes what a folded
# row keeps.
PEOPLE_ORDER = ("person__full_name", "pk")
ROLE_RANK = {"host": 0, "presenter": 1, "participant": 2, "observer": 3}
NOTES_SEPARATOR = "\n\n"


def foldable(lone, people):
    """Whether the organisation-only row ``lone`` says nothing that the rows of
    its ``people`` (at least one) do not (see the module docstring)."""
    statuses = {row.status for row in people}
    if lone.status == "attended" and "attended" not in statuses:
        return False
    return not (lone.status in TAKING_PART and not statuses & TAKING_PART)


def fold_into(lone, people):
    """The changes folding ``lone`` makes to the first of ``people`` (sorted
    by name): ``{field: value}``, empty when it keeps its own."""
    first = people[0]
    changes = {}
    if ROLE_RANK.get(lone.role, 9) < min(ROLE_RANK.get(p.role, 9) for p in people):
        changes["role"] = lone.role
    if lone.notes.strip() and lone.notes.strip() not in first.notes:
        changes["notes"] = (
            f"{first.notes}{NOTES_SEPARATOR}{lone.notes}" if first.notes else lone.notes
        )
    return changes


def pairs(attendance_model, meetings=None):
    """The organisation-only rows (at ``meetings``, a queryset or ids, or
    everywhere) with rows of people of their organisation beside them, each
    with those rows sorted by the person's name: ``[(lone, [rows])]``. Two
    queries."""
    rows = attendance_model.objects.all()
    if meetings is not None:
        rows = rows.filter(meeting__in=meetings)
    people_rows = attendance_model.objects.filter(
        meeting=OuterRef("meeting"),
        organisation=OuterRef("organisation"),
        person__isnull=False,
    )
    lone_rows = list(
        rows.filter(person=None).filter(Exists(people_rows)).order_by("pk")
    )
    if not lone_rows:
        return []
    beside = {}
    named = (
        attendance_model.objects.filter(
            meeting__in={row.meeting_id for row in lone_rows},
            organisation__in={row.organisation_id for row in lone_rows},
            person__isnull=False,
        )
        .select_related("person")
        .order_by(*PEOPLE_ORDER)
    )
    for row in named:
        beside.setdefault((row.meeting_id, row.organisation_id), []).append(row)
    return [
        (lone, beside[(lone.meeting_id, lone.organisation_id)])
        for lone in lone_rows
        if (lone.meeting_id, lone.organisation_id) in beside
    ]


# simple-history keeps 100 characters of a change reason.
REASON = history_reason(
    gettext_noop("Folded into the rows of the organisation's people")
)


def attendance_fold(meetings):
    """Fold, at ``meetings`` (a queryset or ids), each organisation-only row
    that says nothing its people's rows do not (see the module docstring),
    inside the caller's transaction, with history (the user of the request
    or command, the reason above). Returns the number of rows folded.

    The stored figures do not change: a row whose going would change them
    (the organisation's only "attended" or "taking part" row) is kept."""
    from .models import Attendance

    folded = 0
    for lone, people in pairs(Attendance, meetings):
        if not foldable(lone, people):
            continue
        changes = fold_into(lone, people)
        if changes:
            first = people[0]
            for name, value in changes.items():
                setattr(first, name, value)
            first.version += 1
            first._change_reason = REASON
            first.save(update_fields=[*changes, "version"])
        lone._change_reason = REASON
        lone.delete()
        folded += 1
    return folded
