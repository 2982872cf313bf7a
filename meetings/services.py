import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.forms import DELETED_MESSAGE, conflict_message
from core.history import history_reason
from core.services import recorded_as
from stakeholders.models import (
    Assessment,
    Organisation,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)

from . import stats
from .folding import attendance_fold, fold_into, foldable
from .imports import Decisions, ImportNotReady, Outcome, PlanChanged, plan_import
from .models import AgendaItem, Attendance, FollowUp, Meeting, Topic

# The change reason of every row an import writes, naming its file.
IMPORT_REASON = history_reason(gettext_noop("Imported from sign-in sheet %(file)s"))

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
        # A name alone, or with its language (the official names in Uzbek and
        # Russian, where the organisation has them).
        for other_name in row.get("other_names", []):
            if isinstance(other_name, str):
                other_name = {"name": other_name}
            if not organisation.other_names.filter(
                name__iexact=other_name["name"]
            ).exists():
                OrganisationName.objects.create(
                    organisation=organisation,
                    name=other_name["name"],
                    language=other_name.get("language", ""),
                )
        organisations[row["name"]] = organisation

    _demo_assessments(data.get("assessments", []), organisations)

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
    # The figures of the meeting and of the organisations that attended it
    # (meetings/stats.py).
    stats.Touched().rows(meeting.attendances.all()).refresh()
    OrganisationType.objects.refresh_active_organisations()
    return meeting


def _demo_assessments(rows, organisations):
    """The demo's stakeholder assessments (illustrative, dated), for each
    organisation that has none yet: a second load adds nothing."""
    assessed = set(
        Assessment.objects.filter(
            organisation__in=list(organisations.values())
        ).values_list("organisation", flat=True)
    )
    for row in rows:
        organisation = organisations[row["organisation"]]
        if organisation.pk in assessed:
            continue
        Assessment.objects.create(
            organisation=organisation,
            assessed_on=date.fromisoformat(row["assessed_on"]),
            influence=row["influence"],
            interest=row["interest"],
            stance=row["stance"],
            note=row.get("note", ""),
        )


def _create_with_history(
    model, rows, *, default_user=None, default_change_reason=None, default_date=None
):
    """Create a ``model`` record of each of ``rows`` ({attname: value}; the
    other fields take their defaults) with its history row, as
    ``simple_history.utils.bulk_create_with_history`` of ``model(**row)``
    would, and return their ids in order.

    For a fraction of the time: no model instances (at 10,000 people,
    positions and attendance rows, Django's per-instance, per-field work was
    most of an import's time): each value is prepared for the database by its
    field once, as ``bulk_create`` would, and written in batches with
    ``INSERT … RETURNING`` the ids; each batch of history rows is then copied
    from the rows just written by one ``INSERT … SELECT``."""
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.pk]
    features = connection.features
    if (
        not getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        or not features.can_return_rows_from_bulk_insert
        or any(hasattr(f, "get_placeholder") for f in fields)
    ):
        created = bulk_create_with_history(
            [model(**row) for row in rows],
            model,
            default_user=default_user,
            default_change_reason=default_change_reason,
            default_date=default_date,
        )
        return [obj.pk for obj in created]
    ids = _insert(model, fields, rows)
    _copy_to_history(
        model,
        ids,
        user=default_user,
        reason=default_change_reason,
        date=default_date or timezone.now(),
    )
    return ids


def _insert(model, fields, rows):
    """Insert ``rows`` into ``model``'s table; their ids, in order."""
    # The connection itself, not the proxy ``django.db.connection``: fields
    # ask it for its operations for every value.
    db = connections[model._default_manager.db]
    quote = db.ops.quote_name
    meta = model._meta
    # What Model() and bulk_create() would store: the row's value, else the
    # field's default; the field's pre_save() value for auto_now(_add) (now);
    # prepared for the database by the field.
    stamped = [
        getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        for f in fields
    ]
    missing = object()
    values = []
    for row in rows:
        for field, stamp in zip(fields, stamped, strict=True):
            value = row.get(field.attname, missing)
            if stamp:
                value = field.pre_save(SimpleNamespace(), add=True)
            elif value is missing:
                value = field.get_default()
            values.append(field.get_db_prep_save(value, connection=db))
    columns = ", ".join(quote(f.column) for f in fields)
    returning = f" RETURNING {quote(meta.pk.column)}"
    width = len(fields)
    if db.vendor == "postgresql":
        # One array a column (UNNEST), as Django's own bulk_create does there:
        # a statement of a few parameters, where one placeholder a value made
        # the driver parse a query of 100,000 of them (8 s for 10,000 rows).
        arrays = [values[column::width] for column in range(width)]
        casts = ", ".join(f"%s::{f.db_type(db)}[]" for f in fields)
        with db.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
                f"SELECT * FROM UNNEST({casts}){returning}",
                arrays,
            )
            # In the order of the rows, as bulk_create() relies on too.
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) != len(rows):
            raise RuntimeError(f"Inserted {len(rows)} rows, got {len(ids)} ids back.")
        return ids
    # Under SQLite's limit of parameters a statement.
    size = max(min(db.ops.bulk_batch_size(fields, rows), 1000), 1)
    placeholders = f"({', '.join(['%s'] * len(fields))})"
    ids = []
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            count = min(size, len(rows) - start)
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([placeholders] * count)}{returning}",
                values[start * width : (start + count) * width],
            )
            # In the order of the rows, as bulk_create() relies on too.
            ids += [row[0] for row in cursor.fetchall()]
    if len(ids) != len(rows):
        raise RuntimeError(f"Inserted {len(rows)} rows, got {len(ids)} ids back.")
    return ids


def _copy_to_history(model, ids, *, user, reason, date):
    """Write the "created" history rows of ``model``'s records ``ids``:
    simple-history's rows (its tracked fields, date, reason, type and user),
    copied from the records in the database."""
    history = model.history.model
    if user is None:
        # Whom simple-history would name: the request's user, if any.
        user = history.get_default_history_user(model(pk=ids[0]))
    quote = connection.ops.quote_name
    meta, history_meta = model._meta, history._meta
    fields = history.tracked_fields
    extra = {
        "history_date": history_meta.get_field("history_date").get_db_prep_save(
            date, connection=connection
        ),
        "history_change_reason": reason,
        "history_type": "+",
        "history_user": user.pk if user is not None else None,
    }
    target = [history_meta.get_field(f.name).column for f in fields] + [
        history_meta.get_field(name).column for name in extra
    ]
    source = [f"source.{quote(meta.get_field(f.name).column)}" for f in fields]
    pk = quote(meta.pk.column)
    postgresql = connection.vendor == "postgresql"
    # PostgreSQL takes the ids as one array; SQLite one parameter an id.
    limit = connection.features.max_query_params or 2000
    size = len(ids) if postgresql else limit - len(extra)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            among = (
                "= ANY(%s)" if postgresql else f"IN ({', '.join(['%s'] * len(batch))})"
            )
            cursor.execute(
                f"INSERT INTO {quote(history_meta.db_table)} "  # noqa: S608
                f"({', '.join(map(quote, target))}) "
                f"SELECT {', '.join(source)}, {', '.join(['%s'] * len(extra))} "
                f"FROM {quote(meta.db_table)} source "
                f"WHERE source.{pk} {among} "
                f"ORDER BY source.{pk}",
                [*extra.values(), *([batch] if postgresql else batch)],
            )


# Rows written per statement batch, between two progress reports.
IMPORT_CHUNK = 1000
# Plans an import makes before giving up when the records it reads keep
# changing between its plan and its write.
IMPORT_ATTEMPTS = 3

logger = logging.getLogger(__name__)


def attendance_import(
    *,
    meeting,
    sheet,
    decisions=None,
    user=None,
    expected_digest=None,
    allow_new_organisations=True,
    progress=None,
    plan=None,
    log=None,
):
    """Import ``sheet`` (a ``meetings.imports.sheets.Sheet``) into ``meeting``: every
    row or none.

    Refused with ``ImportNotReady`` when a row has an error or an organisation
    name awaits the editor's choice, or with ``PlanChanged`` when the plan's
    digest is not ``expected_digest`` (the one previewed).

    Planned outside the write transaction, then written in one short
    transaction: planning a 10,000-row sheet takes seconds (more against
    organisations with thousands of people), and on SQLite a transaction holds
    the database's only write lock from its first statement (BEGIN
    IMMEDIATE), so other editors' saves would wait that long, and fail past
    the busy timeout. Inside the transaction, with the meeting locked, the
    reads the plan was built from are run again (``MatchIndex.is_current``):
    only when they read the same rows is the plan written; otherwise it is
    made again, outside, and written if its digest is still the one expected
    (up to ``IMPORT_ATTEMPTS`` plans). So not a call to this inside a
    transaction of one's own, which would hold the lock throughout.

    ``plan``: what ``meetings.imports.plan_import`` returned for these
    arguments, just now (the admin plans its preview form with it); without
    it the sheet is planned here.

    Creates the new organisations, other names, people (each with a position at
    the organisation), and attendance in bulk; updates the roles and statuses
    the sheet changes and the blanks it fills on people. Each created or
    changed record gets one history row attributed to ``user``. What is
    already recorded as the sheet says is left alone, so importing a sheet
    twice changes nothing the second time. ``progress(n)`` is called after
    each batch of ``n`` rows; ``log(plan)`` inside the transaction, after the
    writes (the admin's log entry). Returns the plan.

    Costs a fixed number of queries to plan, as many again to check, and one
    insert per batch of rows (SQLite takes at most 999 parameters a
    statement).
    """
    if plan is not None and (
        plan.index.meeting.pk != meeting.pk
        or plan.sheet != sheet
        or plan.decisions != (decisions or Decisions())
    ):
        plan = None
    expected = expected_digest
    for _attempt in range(IMPORT_ATTEMPTS):
        if plan is None:
            plan = plan_import(
                meeting,
                sheet,
                decisions,
                allow_new_organisations=allow_new_organisations,
            )
        if not plan.is_ready:
            raise ImportNotReady(plan)
        if expected is not None and plan.digest != expected:
            raise PlanChanged(plan)
        # A plan made again must write what the first one said.
        expected = plan.digest
        try:
            with transaction.atomic():
                # Two imports into one meeting run one after the other.
                meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
                if plan.index.is_current():
                    _import_write(meeting, plan, user=user, progress=progress)
                    if log is not None:
                        log(plan)
                    return plan
        except IntegrityError:
            # A record the reads did not see yet (on PostgreSQL, committed
            # between the check and the writes): plan again, as when the
            # check fails.
            logger.warning(
                "Import into meeting %s met a record written meanwhile; "
                "planning again.",
                meeting.pk,
                exc_info=True,
            )
        stale, plan = plan, None
    # The records it reads kept changing: the editor looks again.
    raise PlanChanged(stale)


def _import_write(meeting, plan, *, user, progress):
    """Write ``plan`` (current, inside the transaction that locked
    ``meeting``)."""
    sheet = plan.sheet
    # Rows are written in bulk, without signals: the stored figures are
    # updated from who attended before and after (meetings/stats.py).
    attended_before = stats.attended_at(meeting)
    reason = IMPORT_REASON % {"file": sheet.filename}
    history = {
        "default_user": user,
        # simple-history keeps 100 characters of a change reason.
        "default_change_reason": reason[:100],
        # One import, one moment in every record's history.
        "default_date": timezone.now(),
    }
    ids = {}

    new_organisations = list(plan.new_organisations.values())
    created = _create_with_history(
        Organisation,
        [{"name": o.name, "type_id": o.type_id} for o in new_organisations],
        **history,
    )
    for spec, organisation_id in zip(new_organisations, created, strict=True):
        ids[("new", spec.key)] = organisation_id
    OrganisationType.objects.filter(
        pk__in={o.type_id for o in new_organisations}
    ).refresh_active_organisations()

    def pk(ref):
        """The id of ("id", pk) or of the record created for ("new", key)."""
        return ref[1] if ref[0] == "id" else ids[ref]

    _create_with_history(
        OrganisationName,
        [
            {"organisation_id": pk, "name": name}
            for (pk, _key), name in plan.new_names.items()
        ],
        **history,
    )

    new_people = list(plan.new_people.values())
    created = _create_with_history(
        Person,
        [
            {"full_name": p.full_name, "email": p.email, "phone": p.phone}
            for p in new_people
        ],
        **history,
    )
    for spec, person_id in zip(new_people, created, strict=True):
        ids[("new", spec.key)] = person_id
    # The sheet shows them there on the meeting's day, not before.
    seen_on = timezone.localdate(meeting.starts_at)
    _create_with_history(
        Position,
        [
            {
                "person_id": ids[("new", p.key)],
                "organisation_id": pk(p.organisation),
                "title": p.title,
                "since": seen_on,
            }
            for p in new_people
        ],
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
        _create_with_history(
            Attendance,
            [
                {
                    "meeting_id": meeting.pk,
                    "organisation_id": pk(row.organisation),
                    "person_id": pk(row.person) if row.person else None,
                    "role": row.role or Attendance.Role.PARTICIPANT,
                    "status": row.status or Attendance.Status.ATTENDED,
                }
                for row in chunk
                if row.outcome == Outcome.ADD
            ],
            **history,
        )
        if progress is not None:
            progress(len(chunk))
    # People of an organisation recorded alone take its row's place
    # (meetings/folding.py); what rows_changed_at reads below is after it.
    attendance_fold([meeting.pk])
    stats.rows_changed_at(
        meeting,
        attended_before,
        new_people=[ids[("new", spec.key)] for spec in new_people],
    )


@dataclass(frozen=True)
class Attending:
    """One line of a recorded meeting's attendance: an organisation, and the
    person who attended on its behalf when known. ``status`` "" is "as the
    meeting" (``Meeting.default_attendance_status``)."""

    organisation: Organisation
    person: Person | None = None
    role: str = Attendance.Role.PARTICIPANT
    status: str = ""


@dataclass(frozen=True)
class AgendaEntry:
    """A topic of the agenda, ``topic`` or, when new, ``new_topic`` (a name)."""

    topic: Topic | None = None
    new_topic: str = ""
    notes: str = ""


@transaction.atomic
def meeting_record(*, meeting, initiators, attendance, agenda, follow_ups):
    """Write ``meeting`` (a new one, or one read under its lock with its
    version moved on, as ``VersionedModelForm`` leaves it) and make its
    initiators, attendance rows, agenda and follow-ups what the recording
    page says, in one transaction: every record through its ``save()``, so
    constraints hold and each change has its history row (with the request's
    user); the stored figures refreshed (``meetings/stats.py``).

    - ``attendance``: ``Attending`` lines. The host is added with the role host
      (its line, if listed, becomes the host's), each initiator with the role
      participant unless listed. An organisation listed beside people of its
      own is kept as a row of its own only when it says something theirs do
      not (``meetings/folding.py``), as the admin and the import fold it.
      Rows recorded before and no longer listed are deleted; their notes
      stay with the rows that stay.
    - ``agenda``: ``AgendaEntry`` in order (1, 2, 3 …); a new topic is found by
      its name, ignoring case, or created.
    - ``follow_ups``: dicts of the follow-up form (``id`` of one recorded,
      ``delete``).

    Returns the meeting."""
    touched = stats.Touched()
    start_changed = False
    if meeting.pk is not None:
        before = Meeting.objects.filter(pk=meeting.pk).values("starts_at").get()
        start_changed = before["starts_at"] != meeting.starts_at
        touched.rows(meeting.attendances.all())
        # The page's save writes every column: the figures as they are now.
        stats.reload_figures(meeting)
    meeting.full_clean()
    meeting.save()
    meeting.initiators.set(initiators)

    _attendance_write(meeting, _attendance_wanted(meeting, initiators, attendance))
    attendance_fold([meeting.pk])
    touched.rows(meeting.attendances.all())
    if start_changed:
        touched.attended([meeting])
    touched.refresh()

    _agenda_write(meeting, agenda)
    _follow_ups_write(meeting, follow_ups)
    return meeting


def _attendance_wanted(meeting, initiators, lines):
    """The attendance rows ``lines`` make: {(organisation id, person id or
    None): {"role", "status", "notes"}}, with the host and initiators added
    and each organisation beside its people folded as ``attendance_fold``
    would."""
    host = meeting.host
    lines = list(lines)
    listed = {line.organisation.pk for line in lines if line.person is None}
    represented = {line.organisation.pk for line in lines}
    if host is not None and host.pk not in listed:
        lines.insert(0, Attending(organisation=host, role=Attendance.Role.HOST))
        listed.add(host.pk)
        represented.add(host.pk)
    for initiator in initiators:
        if initiator.pk not in represented:
            lines.append(Attending(organisation=initiator))
            represented.add(initiator.pk)

    existing = {
        (row.organisation_id, row.person_id): row for row in meeting.attendances.all()
    }
    wanted = {}
    for line in lines:
        role = line.role
        if host is not None:
            # The host is the host; another organisation is not.
            if line.organisation.pk == host.pk and line.person is None:
                role = Attendance.Role.HOST
            elif line.organisation.pk != host.pk and role == Attendance.Role.HOST:
                role = Attendance.Role.PARTICIPANT
        key = (line.organisation.pk, line.person.pk if line.person else None)
        status = line.status or meeting.default_attendance_status(
            host=role == Attendance.Role.HOST
        )
        was = existing.get(key)
        wanted[key] = SimpleNamespace(
            role=role,
            status=status,
            notes=was.notes if was else "",
            name=line.person.full_name if line.person else "",
            person_id=key[1],
        )

    # An organisation's own row beside rows of its people: kept only when
    # it says what theirs do not (meetings/folding.py).
    for (organisation_id, person_id), lone in list(wanted.items()):
        if person_id is not None:
            continue
        people = sorted(
            (
                row
                for (org, person), row in wanted.items()
                if org == organisation_id and person is not None
            ),
            key=lambda row: (row.name, row.person_id),
        )
        if not people or not foldable(lone, people):
            continue
        for name, value in fold_into(lone, people).items():
            setattr(people[0], name, value)
        del wanted[(organisation_id, person_id)]
    return wanted


def _attendance_write(meeting, wanted):
    """Make ``meeting``'s attendance rows ``wanted`` (see
    ``_attendance_wanted``): delete, change and add rows, each saved with its
    history."""
    existing = {
        (row.organisation_id, row.person_id): row for row in meeting.attendances.all()
    }
    for key, row in existing.items():
        if key not in wanted:
            row.delete()
    for key, spec in wanted.items():
        row = existing.get(key)
        values = {"role": spec.role, "status": spec.status, "notes": spec.notes}
        if row is None:
            row = Attendance(
                meeting=meeting, organisation_id=key[0], person_id=key[1], **values
            )
        elif all(getattr(row, name) == value for name, value in values.items()):
            continue
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.version += 1
        row.full_clean(exclude=["meeting", "organisation", "person"])
        row.save()


def _agenda_write(meeting, entries):
    """Make ``meeting``'s agenda the topics of ``entries``, numbered in their
    order."""
    topics = []
    for entry in entries:
        topic = entry.topic
        if topic is None:
            topic = Topic.objects.filter(name__iexact=entry.new_topic).first()
        if topic is None:
            topic = Topic(name=entry.new_topic)
            topic.full_clean()
            topic.save()
        topics.append((topic, entry.notes))
    existing = {item.topic_id: item for item in meeting.agenda_items.all()}
    wanted = {topic.pk for topic, _notes in topics}
    for topic_id, item in existing.items():
        if topic_id not in wanted:
            item.delete()
    for order, (topic, notes) in enumerate(topics, start=1):
        item = existing.get(topic.pk)
        if item is None:
            item = AgendaItem(meeting=meeting, topic=topic)
        elif (item.order, item.notes) == (order, notes):
            continue
        else:
            item.version += 1
        item.order, item.notes = order, notes
        item.full_clean(exclude=["meeting", "topic"])
        item.save()


FOLLOW_UP_FIELDS = ("action", "owner_organisation", "owner_person", "due_on", "status")


def _follow_ups_write(meeting, rows):
    """Add, change and remove ``meeting``'s follow-ups as ``rows`` say; a
    follow-up the page did not list stays as it is."""
    existing = meeting.follow_ups.in_bulk([row["id"] for row in rows if row["id"]])
    for row in rows:
        follow_up = existing.get(row["id"]) if row["id"] else None
        if row["delete"]:
            if follow_up is not None:
                follow_up.delete()
            continue
        values = {name: row[name] for name in FOLLOW_UP_FIELDS}
        previous_status = follow_up.status if follow_up is not None else None
        if follow_up is None:
            follow_up = FollowUp(meeting=meeting, **values)
        elif all(getattr(follow_up, name) == value for name, value in values.items()):
            continue
        else:
            for name, value in values.items():
                setattr(follow_up, name, value)
            follow_up.version += 1
        follow_up.record_completion(previous_status)
        follow_up.full_clean(exclude=["meeting"])
        follow_up.save()


class StaleChange(Exception):
    """A change refused because the record changed (or went) since the page
    that asks for it was read; ``message`` says who changed it and when."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@transaction.atomic
def follow_up_status_change(*, follow_up_id, status, seen_version, user=None):
    """Set the status of the follow-up ``follow_up_id`` (and its completion
    day, ``FollowUp.record_completion``), as the worklist's row form asks,
    if its ``version`` is still ``seen_version``, the one the page was read
    at; else raise ``StaleChange`` naming who saved it last and when, and
    write nothing. The history row names ``user`` (the request's user when
    None: simple-history's middleware).

    Returns the follow-up: unchanged (no version moved, no history row) when
    it already has ``status``."""
    follow_up = FollowUp.objects.select_for_update().filter(pk=follow_up_id).first()
    if follow_up is None:
        raise StaleChange(DELETED_MESSAGE)
    if follow_up.version != seen_version:
        raise StaleChange(conflict_message(follow_up))
    if follow_up.status == status:
        return follow_up
    previous_status = follow_up.status
    follow_up.status = status
    follow_up.record_completion(previous_status)
    follow_up.version += 1
    follow_up.full_clean(exclude=["meeting", "owner_organisation", "owner_person"])
    with recorded_as(user):
        follow_up.save(update_fields=["status", "completed_on", "version"])
    return follow_up
