import json

from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from duplicates.models import PersonMerge
from meetings import stats
from meetings.folding import attendance_fold
from meetings.models import Attendance, FollowUp

from .models import Person, Position


def _row(obj):
    """A model instance as a JSON-ready dict of its concrete fields."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.generated:  # derived (a search key), not data held
            continue
        value = getattr(obj, field.attname)
        data[field.attname] = value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def meeting_start(meeting):
    """When ``meeting`` starts, in ISO 8601: the local date alone
    ("2025-01-29") when its time was not recorded, which in UTC would be the
    evening before."""
    if meeting.date_only:
        return timezone.localdate(meeting.starts_at).isoformat()
    return meeting.starts_at.isoformat()


def person_export(*, person):
    """Everything Hamkor holds about ``person``, for a subject access request:
    the record, positions, attendance, follow-ups they own, the records merged
    into theirs, the history of each and the admin log entries about them.
    Returns a JSON-ready dict."""
    positions = list(person.positions.all())
    attendances = list(person.attendances.select_related("meeting", "organisation"))
    follow_ups = list(person.follow_ups.select_related("meeting"))
    # The records merged into this one: their data and earlier versions.
    merges = list(PersonMerge.objects.filter(survivor=person).order_by("merged_at"))
    ids = [person.pk, *(merge.old_id for merge in merges)]
    log = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person),
        object_id__in=[str(i) for i in ids],
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "person": _row(person),
        "positions": [
            {**_row(p), "organisation_name": p.organisation.name} for p in positions
        ],
        "attendance": [
            {
                **_row(a),
                "meeting_title": a.meeting.title,
                "meeting_starts_at": meeting_start(a.meeting),
                "organisation_name": a.organisation.name,
            }
            for a in attendances
        ],
        "follow_ups": [
            {**_row(f), "meeting_title": f.meeting.title} for f in follow_ups
        ],
        "merged_records": [
            {
                "merged_at": merge.merged_at.isoformat(),
                "record": merge.old_record,
                "values_chosen": merge.choices,
                "rows_moved": merge.moved,
            }
            for merge in merges
        ],
        "history": {
            "person": [_row(h) for h in Person.history.filter(id__in=ids)],
            "positions": [_row(h) for h in Position.history.filter(person_id__in=ids)],
            "attendance": [
                _row(h) for h in Attendance.history.filter(person_id__in=ids)
            ],
            "follow_ups": [
                _row(h) for h in FollowUp.history.filter(owner_person_id__in=ids)
            ],
        },
        "admin_log": [
            {
                "action_time": entry.action_time.isoformat(),
                "action": entry.get_action_flag_display(),
                "change_message": entry.get_change_message(),
            }
            for entry in log
        ],
    }


@transaction.atomic
def person_erase(*, person, user):
    """Erase ``person`` and every trace of them, history included, on request.

    Meetings and the fact that their organisation attended stay: each of their
    attendance rows becomes an organisation-only row (or goes, when the
    organisation already has one at that meeting), and follow-ups they owned
    lose their owner. Positions and the person go. History rows of the person
    and their positions are deleted, and the person is blanked out of the
    history of attendance and follow-ups. One admin log entry, without personal
    data, records who erased whom (by number) and when.
    """
    pk = person.pk
    # The people merged into this one (duplicates.merge): their earlier
    # versions hold the same person's data, and their merge records go with
    # the person (cascade).
    merged = list(PersonMerge.objects.filter(survivor=person))
    ids = [pk, *(merge.old_id for merge in merged)]
    names = [value for value in (person.full_name, person.email) if value]
    for merge in merged:
        names += [
            value
            for value in (merge.old_label, merge.old_record.get("email"))
            if value and value not in names
        ]
    rows = Attendance.objects.filter(person=person)
    organisation_only = Attendance.objects.filter(
        meeting=OuterRef("meeting"), organisation=OuterRef("organisation"), person=None
    )
    duplicates = rows.filter(Exists(organisation_only))
    # The stored figures (meetings/stats.py): a row that goes may have been
    # its organisation's only "attended" row at the meeting, or the
    # meeting's only row of it taking part; a row that stays, as the
    # organisation's, counts as it did. The person's own go with them.
    touched = stats.Touched().rows(duplicates)
    touched.people.clear()
    # Query-set writes send no history signals: nothing new mentions the person.
    duplicates.delete()
    meetings = set(rows.values_list("meeting_id", flat=True))
    rows.update(person=None, notes="", version=F("version") + 1)
    # A row that became its organisation's alone beside other people's rows
    # of it is folded into theirs (meetings/folding.py).
    attendance_fold(meetings)
    FollowUp.objects.filter(owner_person=person).update(
        owner_person=None, version=F("version") + 1
    )
    position_ids = list(person.positions.values_list("pk", flat=True))
    person.positions.all().delete()
    person.delete()

    Person.history.filter(id__in=ids).delete()
    Position.history.filter(person_id__in=ids).delete()
    Attendance.history.filter(person_id__in=ids).update(person=None, notes="")
    FollowUp.history.filter(owner_person_id__in=ids).update(owner_person=None)
    log = LogEntry.objects.filter(
        Q(
            content_type=ContentType.objects.get_for_model(Person),
            object_id__in=[str(i) for i in ids],
        )
        | Q(
            content_type=ContentType.objects.get_for_model(Position),
            object_id__in=[str(i) for i in position_ids],
        )
    )
    for name in names:
        log = log | LogEntry.objects.filter(object_repr__icontains=name)
        log = log | LogEntry.objects.filter(change_message__icontains=name)
    log.delete()
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(pk),
        object_repr=f"Person #{pk} (erased)",
        action_flag=DELETION,
        change_message="Erased on request, with its history.",
    )
    touched.refresh()
