"""An import plans without the write lock and writes in one short transaction.

On SQLite every ``transaction.atomic()`` takes the database's only write lock
at its first statement (``transaction_mode="IMMEDIATE"``), so planning a big
sheet inside one made every other editor's save wait, and fail past the busy
timeout. The plan is now made outside any transaction, and checked inside the
short one that writes it."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from meetings.imports.matching import MatchIndex
from meetings.imports.planning import PlanChanged, plan_import
from meetings.imports.reading import read_sheet
from meetings.models import Attendance
from meetings.services import attendance_import
from stakeholders.models import Organisation, Person
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)
from tests.meetings.test_import import csv_data
from tests.meetings.test_import_admin import choices, upload

SHEET = csv_data(
    [
        ["KfW", "Anna Schmidt", "anna@kfw.example"],
        ["KfW", "Bernd Bauer", ""],
        ["GIZ", "", ""],
    ]
)


@pytest.fixture
def organisations(db):
    return {
        "kfw": OrganisationFactory(name="KfW Development Bank", acronym="KfW"),
        "giz": OrganisationFactory(name="GIZ Uzbekistan", acronym="GIZ"),
    }


def in_write_transaction():
    """Whether the connection is in a transaction that may write: on SQLite
    any atomic() block (BEGIN IMMEDIATE takes the write lock); on PostgreSQL
    one that is not read-only."""
    if not connection.in_atomic_block:
        return False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_read_only")
            return cursor.fetchone()[0] == "off"
    return True


@pytest.fixture
def spy(monkeypatch):
    """Where the planning and the check ran: ``spy["load"]`` and
    ``spy["check"]`` list, for each call, whether it ran inside a transaction
    that may write."""
    seen = {"load": [], "check": []}
    load, is_current = MatchIndex.load.__func__, MatchIndex.is_current

    def spied_load(cls, *args, **kwargs):
        seen["load"].append(in_write_transaction())
        return load(cls, *args, **kwargs)

    def spied_is_current(self):
        seen["check"].append(in_write_transaction())
        return is_current(self)

    monkeypatch.setattr(MatchIndex, "load", classmethod(spied_load))
    monkeypatch.setattr(MatchIndex, "is_current", spied_is_current)
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_preview_and_the_import_plan_outside_any_transaction(
    client, django_user_model, role, reference_data, organisations, spy
):
    editor = django_user_model.objects.create_user(username="editor")
    editor.groups.add(role("editor"))
    client.force_login(editor)
    meeting = MeetingFactory()
    preview_url = upload(client, meeting, SHEET).url

    preview = client.get(preview_url)
    assert spy["load"] == [False]
    done = client.post(preview_url, {**choices(preview), "_import": "1"})

    assert done.status_code == 302
    assert meeting.attendances.count() == 3
    # Planned outside for the page and its form; checked inside the
    # transaction that wrote.
    assert spy == {"load": [False, False], "check": [True]}


@pytest.mark.django_db(transaction=True)
def test_the_service_plans_outside_its_transaction(reference_data, organisations, spy):
    meeting = MeetingFactory()
    sheet = read_sheet(SHEET, "sheet.csv")

    attendance_import(meeting=meeting, sheet=sheet)

    assert meeting.attendances.count() == 3
    assert spy == {"load": [False], "check": [True]}


@pytest.mark.django_db(transaction=True)
def test_a_plan_outside_a_transaction_reads_one_snapshot(reference_data, organisations):
    # The reads are a transaction of their own (a snapshot), and it is over
    # when the plan is: nothing stays open on the connection.
    meeting = MeetingFactory()

    plan = plan_import(meeting, read_sheet(SHEET, "sheet.csv"))

    assert plan.is_ready
    assert not connection.in_atomic_block
    if connection.vendor == "sqlite":
        assert not connection.connection.in_transaction
    else:
        assert connection.connection.info.transaction_status == 0  # idle


# The check inside the write: the reads again, compared.


def changes(organisations):
    """Changes that alter what a plan of SHEET reads, by name."""
    kfw, giz = organisations["kfw"], organisations["giz"]
    return {
        "an organisation renamed": lambda: Organisation.objects.filter(
            pk=giz.pk
        ).update(name="GIZ Tashkent"),
        "an organisation deactivated": lambda: Organisation.objects.filter(
            pk=kfw.pk
        ).update(is_active=False),
        "a new organisation": lambda: OrganisationFactory(name="Gizmo"),
        "another name": lambda: OrganisationNameFactory(organisation=giz),
        "the sheet's email changed": lambda: Person.objects.filter(
            email="anna@kfw.example"
        ).update(email="anna.schmidt@kfw.example"),
        "a person at the organisation": lambda: PositionFactory(
            organisation=kfw, person__full_name="Bernd Bauer"
        ),
        "a phone filled in": lambda: Person.objects.filter(
            full_name="Anna Schmidt"
        ).update(phone="+998 71 000"),
        "attendance at the meeting": lambda: AttendanceFactory(
            meeting=organisations["meeting"], organisation=giz
        ),
    }


@pytest.fixture
def planned(organisations):
    meeting = MeetingFactory()
    organisations["other meeting"] = MeetingFactory()
    anna = PersonFactory(full_name="Anna Schmidt", email="anna@kfw.example", phone="")
    PositionFactory(person=anna, organisation=organisations["kfw"])
    organisations["meeting"] = meeting
    plan = plan_import(meeting, read_sheet(SHEET, "sheet.csv"))
    assert plan.index.is_current()
    return plan


@pytest.mark.parametrize(
    "change",
    [
        "an organisation renamed",
        "an organisation deactivated",
        "a new organisation",
        "another name",
        "the sheet's email changed",
        "a person at the organisation",
        "a phone filled in",
        "attendance at the meeting",
    ],
)
def test_the_check_notices_a_change_to_what_the_plan_read(
    organisations, planned, change
):
    changes(organisations)[change]()

    assert not planned.index.is_current()


def test_the_check_ignores_what_the_plan_did_not_read(organisations, planned):
    kfw, giz = organisations["kfw"], organisations["giz"]
    Organisation.objects.filter(pk=kfw.pk).update(notes="Met twice")
    Person.objects.filter(full_name="Anna Schmidt").update(notes="Prefers email")
    # At another meeting, without a person.
    Attendance.objects.create(meeting=organisations["other meeting"], organisation=giz)

    assert planned.index.is_current()


def test_a_plan_gone_stale_is_made_again_and_written_if_it_writes_the_same(
    organisations, planned, spy
):
    meeting = planned.index.meeting
    # Read by the plan (every name is), but changes nothing it writes.
    OrganisationFactory(name="Asian Development Bank", acronym="ADB")

    attendance_import(
        meeting=meeting,
        sheet=planned.sheet,
        plan=planned,
        expected_digest=planned.digest,
    )

    assert meeting.attendances.count() == 3
    # Planned again once, checked twice.
    assert (len(spy["load"]), len(spy["check"])) == (1, 2)


def test_a_plan_gone_stale_that_would_write_otherwise_is_refused(
    organisations, planned
):
    meeting = planned.index.meeting
    # Bernd is now on record at KfW: the import would not add him again.
    PositionFactory(organisation=organisations["kfw"], person__full_name="Bernd Bauer")
    people = Person.objects.count()

    with pytest.raises(PlanChanged):
        attendance_import(
            meeting=meeting,
            sheet=planned.sheet,
            plan=planned,
            expected_digest=planned.digest,
        )

    assert not meeting.attendances.exists()
    assert Person.objects.count() == people


def test_a_record_the_check_missed_makes_it_plan_again_not_fail(
    organisations, planned, monkeypatch
):
    """On PostgreSQL a record can be committed between the check and the
    writes: the database's constraints refuse the duplicate, and the import
    plans again instead of answering with an error."""
    meeting = planned.index.meeting
    answers = iter([True])
    monkeypatch.setattr(MatchIndex, "is_current", lambda self: next(answers, True))
    # Bernd's email, taken by someone else meanwhile.
    sheet = read_sheet(
        csv_data([["KfW", "Bernd Bauer", "bernd@kfw.example"]]), "sheet.csv"
    )
    plan = plan_import(meeting, sheet)
    PersonFactory(full_name="Bernd Bauer", email="bernd@kfw.example")

    with pytest.raises(PlanChanged):
        attendance_import(
            meeting=meeting, sheet=sheet, plan=plan, expected_digest=plan.digest
        )

    assert not meeting.attendances.exists()
    assert Person.objects.filter(email__iexact="bernd@kfw.example").count() == 1


def test_the_command_reports_records_that_keep_changing(
    organisations, tmp_path, monkeypatch
):
    meeting = MeetingFactory()
    monkeypatch.setattr(MatchIndex, "is_current", lambda self: False)
    path = tmp_path / "sheet.csv"
    path.write_bytes(SHEET)

    with pytest.raises(CommandError, match="changed since the preview"):
        call_command(
            "import_attendance", str(meeting.pk), str(path), "--create-missing"
        )

    assert not meeting.attendances.exists()


def test_the_admin_reports_records_that_keep_changing(
    admin_client, organisations, monkeypatch
):
    meeting = MeetingFactory()
    preview = admin_client.get(upload(admin_client, meeting, SHEET).url)
    monkeypatch.setattr(MatchIndex, "is_current", lambda self: False)

    refused = admin_client.post(
        preview.request["PATH_INFO"],
        {**choices(preview), "_import": "1"},
        follow=True,
    )

    assert refused.status_code == 200
    assert not meeting.attendances.exists()
    assert any(
        "changed since the preview" in str(m) for m in refused.context["messages"]
    )
    assert refused.request["PATH_INFO"] == preview.request["PATH_INFO"]
    assert (
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
        not in (refused.request["PATH_INFO"])
    )
