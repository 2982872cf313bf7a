"""One row per organisation and meeting (issue 16, item 2): people recorded
for an organisation take the place of its organisation-only row, on every
write path and in the data migration, and the stored figures stay right."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from meetings.folding import REASON
from meetings.models import Attendance
from stakeholders.services import person_erase
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
)
from tests.meetings.test_import import csv_data
from tests.meetings.test_stats import (
    add,
    admin_url,
    change_inlines,
    import_sheet,
    mismatches,
    new_row,
)

pytestmark = pytest.mark.django_db

Role, Status = Attendance.Role, Attendance.Status


def rows_of(meeting, organisation):
    rows = Attendance.objects.filter(meeting=meeting, organisation=organisation)
    return sorted(
        (
            (
                row.person.full_name if row.person else None,
                row.role,
                row.status,
                row.notes,
            )
            for row in rows.select_related("person")
        ),
        key=lambda row: (row[0] is None, row),
    )


@pytest.fixture
def hosted():
    """A meeting GIZ hosted, recorded as an organisation-only row with notes."""
    meeting = MeetingFactory()
    giz = OrganisationFactory(name="GIZ", acronym="")
    lone = AttendanceFactory(
        meeting=meeting,
        organisation=giz,
        person=None,
        role=Role.HOST,
        notes="Hosted in its Tashkent office.",
    )
    return meeting, giz, lone


def test_a_person_added_in_the_meeting_form_takes_the_organisations_row(
    admin_client, hosted
):
    meeting, giz, lone = hosted
    jane = PersonFactory(full_name="Jane Doe")

    change_inlines(
        admin_client,
        meeting,
        lambda data: new_row(
            data,
            "attendances",
            organisation=giz.pk,
            person=jane.pk,
            role=Role.PARTICIPANT,
            status=Status.ATTENDED,
        ),
    )

    assert rows_of(meeting, giz) == [
        ("Jane Doe", Role.HOST, Status.ATTENDED, "Hosted in its Tashkent office.")
    ]
    removed = Attendance.history.filter(id=lone.pk, history_type="-").get()
    assert removed.history_change_reason == REASON
    assert removed.history_user.username == "coordinator"
    assert mismatches() == []


def test_a_person_added_in_the_attendance_admin_takes_the_organisations_row(
    admin_client, hosted
):
    meeting, giz, _lone = hosted
    jane = PersonFactory(full_name="Jane Doe")

    add(
        admin_client,
        Attendance,
        meeting=meeting.pk,
        organisation=giz.pk,
        person=jane.pk,
        role=Role.PARTICIPANT,
        status=Status.ATTENDED,
    )

    assert rows_of(meeting, giz) == [
        ("Jane Doe", Role.HOST, Status.ATTENDED, "Hosted in its Tashkent office.")
    ]


def test_an_organisation_row_added_beside_its_people_is_folded_and_said(
    admin_client,
):
    meeting = MeetingFactory()
    giz = OrganisationFactory(name="GIZ", acronym="")
    AttendanceFactory(meeting=meeting, organisation=giz, person__full_name="Jane Doe")

    response = admin_client.post(
        admin_url(Attendance, "add"),
        {
            "meeting": meeting.pk,
            "organisation": giz.pk,
            "role": Role.PRESENTER,
            "status": Status.ATTENDED,
            "notes": "Presented the roadmap.",
            "seen_version": "",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse(
        "admin:meetings_meeting_change", args=[meeting.pk]
    )
    assert "folded into theirs" in response.content.decode()
    assert rows_of(meeting, giz) == [
        ("Jane Doe", Role.PRESENTER, Status.ATTENDED, "Presented the roadmap.")
    ]


def test_an_organisation_that_attended_while_its_named_person_declined_keeps_its_row(
    admin_client,
):
    meeting = MeetingFactory()
    giz = OrganisationFactory(name="GIZ", acronym="")
    AttendanceFactory(meeting=meeting, organisation=giz, person=None)
    jane = PersonFactory(full_name="Jane Doe")

    add(
        admin_client,
        Attendance,
        meeting=meeting.pk,
        organisation=giz.pk,
        person=jane.pk,
        role=Role.PARTICIPANT,
        status=Status.DECLINED,
    )

    assert rows_of(meeting, giz) == [
        ("Jane Doe", Role.PARTICIPANT, Status.DECLINED, ""),
        (None, Role.PARTICIPANT, Status.ATTENDED, ""),
    ]
    assert mismatches() == []


def test_an_import_attaches_people_to_their_organisations_row(admin_client):
    meeting = MeetingFactory()
    kfw = OrganisationFactory(name="KfW", acronym="")
    AttendanceFactory(meeting=meeting, organisation=kfw, person=None)

    import_sheet(admin_client, meeting, csv_data([["KfW", "Anna Schmidt"]]))

    assert rows_of(meeting, kfw) == [
        ("Anna Schmidt", Role.PARTICIPANT, Status.ATTENDED, "")
    ]
    assert mismatches() == []


def test_erasing_one_of_two_people_leaves_one_row_for_their_organisation(superuser):
    meeting = MeetingFactory()
    giz = OrganisationFactory(name="GIZ", acronym="")
    erased = AttendanceFactory(meeting=meeting, organisation=giz).person
    AttendanceFactory(meeting=meeting, organisation=giz, person__full_name="Jane Doe")

    person_erase(person=erased, user=superuser)

    assert rows_of(meeting, giz) == [
        ("Jane Doe", Role.PARTICIPANT, Status.ATTENDED, "")
    ]
    assert mismatches() == []


def test_the_migration_folds_the_pairs_written_before_it():
    meeting = MeetingFactory()
    giz, kfw = OrganisationFactory(name="GIZ"), OrganisationFactory(name="KfW")
    AttendanceFactory(meeting=meeting, organisation=giz, person=None, role=Role.HOST)
    AttendanceFactory(meeting=meeting, organisation=giz, person__full_name="B Person")
    AttendanceFactory(meeting=meeting, organisation=giz, person__full_name="A Person")
    # Alone and kept: nobody of KfW is named.
    AttendanceFactory(meeting=meeting, organisation=kfw, person=None)
    migration = importlib.import_module(
        "meetings.migrations.0011_fold_organisation_only_rows"
    )

    migration.fold(apps, None)

    assert rows_of(meeting, giz) == [
        ("A Person", Role.HOST, Status.ATTENDED, ""),
        ("B Person", Role.PARTICIPANT, Status.ATTENDED, ""),
    ]
    assert rows_of(meeting, kfw) == [(None, Role.PARTICIPANT, Status.ATTENDED, "")]
    assert Attendance.history.filter(history_change_reason=REASON).count() == 2
    assert mismatches() == []
