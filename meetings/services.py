import json
from datetime import date, datetime, time
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from stakeholders.models import (
    Organisation,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)

from .imports import ImportNotReady, MatchIndex, Outcome, PlanChanged, build_plan
from .models import AgendaItem, Attendance, Meeting, Topic

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "meeting-2025-01-29.json"


@transaction.atomic
def demo_load(*, path=DEMO_FILE):
    """Load the founding example (the meeting of 29 January 2025) from ``path``.

    Idempotent: every record is looked up before it is created, by the name a
    coordinator sees, and records that exist are left as they are, so a second
    load adds nothing and keeps any edits made since. Returns the meeting.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    types = {t.slug: t for t in OrganisationType.objects.all()}

    organisations = {}
    # Parents come first in the file, so each parent exists when its child is
    # created.
    for row in data["organisations"]:
        organisation = Organisation.objects.filter(
            name__iexact=row["name"], is_active=True
        ).first()
        if organisation is None:
            organisation = Organisation.objects.create(
                name=row["name"],
                acronym=row.get("acronym", ""),
                type=types[row["type"]],
                country=row.get("country", ""),
                parent=organisations.get(row.get("parent")),
            )
        for other_name in row.get("other_names", []):
            if not organisation.other_names.filter(name__iexact=other_name).exists():
                OrganisationName.objects.create(
                    organisation=organisation, name=other_name
                )
        organisations[row["name"]] = organisation

    spec = data["meeting"]
    starts_at = timezone.make_aware(
        datetime.combine(date.fromisoformat(spec["date"]), time.min)
    )
    meeting, created = Meeting.objects.get_or_create(
        title=spec["title"],
        starts_at=starts_at,
        defaults={
            "date_only": True,
            "venue": spec["venue"],
            "format": spec["format"],
            "status": spec["status"],
            "host": organisations[spec["host"]],
            "summary": spec["summary"],
            "outcomes": spec["outcomes"],
        },
    )
    if not created:
        return meeting

    meeting.initiators.set([organisations[name] for name in spec["initiators"]])
    for order, item in enumerate(spec["agenda"], start=1):
        topic = Topic.objects.filter(name__iexact=item["topic"]).first()
        if topic is None:
            topic = Topic.objects.create(name=item["topic"])
        AgendaItem.objects.create(
            meeting=meeting, topic=topic, order=order, notes=item["notes"]
        )
    for row in spec["attendance"]:
        Attendance.objects.create(
            meeting=meeting,
            organisation=organisations[row["organisation"]],
            role=row["role"],
            status=Attendance.Status.ATTENDED,
            notes=row.get("notes", ""),
        )
    return meeting


# Rows written per statement batch, between two progress reports.
IMPORT_CHUNK = 1000


@transaction.atomic
def attendance_import(
    *,
    meeting,
    sheet,
    decisions=None,
    user=None,
    expected_digest=None,
    allow_new_organisations=True,
    progress=None,
):
    """Import ``sheet`` (a ``meetings.imports.Sheet``) into ``meeting``: every
    row or none.

    The import is planned again inside the transaction, against the records as
    they are now, and refused with ``ImportNotReady`` when a row has an error or
    an organisation name awaits the editor's choice, or with ``PlanChanged``
    when the plan's digest is not ``expected_digest`` (the one previewed).

    Creates the new organisations, other names, people (each with a position at
    the organisation), and attendance in bulk; updates the roles and statuses
    the sheet changes and the blanks it fills on people. Each created or
    changed record gets one history row attributed to ``user``. What is
    already recorded as the sheet says is left alone, so importing a sheet
    twice changes nothing the second time. ``progress(n)`` is called after
    each batch of ``n`` rows. Returns the plan.

    Costs a fixed number of queries to plan, and one insert per batch of rows
    (SQLite takes at most 999 parameters a statement).
    """
    # Lock the meeting so that two imports into it run one after the other.
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    index = MatchIndex.load(meeting, sheet, decisions)
    plan = build_plan(
        sheet, index, decisions, allow_new_organisations=allow_new_organisations
    )
    if not plan.is_ready:
        raise ImportNotReady(plan)
    if expected_digest is not None and plan.digest != expected_digest:
        raise PlanChanged(plan)

    reason = f"Imported from sign-in sheet {sheet.filename}"
    history = {
        "default_user": user,
        # simple-history keeps 100 characters of a change reason.
        "default_change_reason": reason[:100],
        # One import, one moment in every record's history.
        "default_date": timezone.now(),
    }
    ids = {}

    new_organisations = list(plan.new_organisations.values())
    created = bulk_create_with_history(
        [Organisation(name=o.name, type_id=o.type_id) for o in new_organisations],
        Organisation,
        **history,
    )
    for spec, organisation in zip(new_organisations, created, strict=True):
        ids[("new", spec.key)] = organisation.pk

    def pk(ref):
        """The id of ("id", pk) or of the record created for ("new", key)."""
        return ref[1] if ref[0] == "id" else ids[ref]

    bulk_create_with_history(
        [
            OrganisationName(organisation_id=pk, name=name)
            for (pk, _key), name in plan.new_names.items()
        ],
        OrganisationName,
        **history,
    )

    new_people = list(plan.new_people.values())
    created = bulk_create_with_history(
        [
            Person(full_name=p.full_name, email=p.email, phone=p.phone)
            for p in new_people
        ],
        Person,
        **history,
    )
    for spec, person in zip(new_people, created, strict=True):
        ids[("new", spec.key)] = person.pk
    bulk_create_with_history(
        [
            Position(
                person_id=ids[("new", p.key)],
                organisation_id=pk(p.organisation),
                title=p.title,
            )
            for p in new_people
        ],
        Position,
        **history,
    )

    if plan.person_updates:
        people = list(Person.objects.in_bulk(list(plan.person_updates)).values())
        now = timezone.now()
        for person in people:
            for name, value in plan.person_updates[person.pk].items():
                setattr(person, name, value)
            person.updated_at = now
            # A form opened before the import must not save over it.
            person.version += 1
        bulk_update_with_history(
            people, Person, ["email", "phone", "updated_at", "version"], **history
        )

    updates = {r.attendance_id: r for r in plan.rows if r.outcome == Outcome.UPDATE}
    if updates:
        changed = list(Attendance.objects.in_bulk(list(updates)).values())
        for attendance in changed:
            row = updates[attendance.pk]
            attendance.role = row.role or attendance.role
            attendance.status = row.status or attendance.status
            attendance.version += 1
        bulk_update_with_history(
            changed, Attendance, ["role", "status", "version"], **history
        )

    for start in range(0, len(plan.rows), IMPORT_CHUNK):
        chunk = plan.rows[start : start + IMPORT_CHUNK]
        bulk_create_with_history(
            [
                Attendance(
                    meeting=meeting,
                    organisation_id=pk(row.organisation),
                    person_id=pk(row.person) if row.person else None,
                    role=row.role or Attendance.Role.PARTICIPANT,
                    status=row.status or Attendance.Status.ATTENDED,
                )
                for row in chunk
                if row.outcome == Outcome.ADD
            ],
            Attendance,
            **history,
        )
        if progress is not None:
            progress(len(chunk))
    return plan
