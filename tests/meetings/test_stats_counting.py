"""The stored figures case by case: what each write to attendance rows,
meetings and people counts or uncounts, and the command that repairs them."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from bench.sample_data import sample_data_generate
from bench.sample_plan import Plan
from meetings import stats
from meetings.imports import read_sheet
from meetings.models import Attendance, Meeting
from meetings.services import attendance_import
from stakeholders.models import Organisation, Person
from stakeholders.services import person_erase
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationTypeFactory,
    PersonFactory,
)
from tests.meetings.test_stats import (
    add,
    at,
    change,
    delete,
    figures,
    mismatches,
    types,
)
from tests.stakeholders.test_admin import form_data

pytestmark = pytest.mark.django_db


def test_a_new_row_counts_for_its_organisation_person_and_meeting(admin_client):
    ministry, person = OrganisationFactory(), PersonFactory()
    meeting = MeetingFactory(starts_at=at(4))

    add(
        admin_client,
        Attendance,
        meeting=meeting.pk,
        organisation=ministry.pk,
        person=person.pk,
    )

    assert figures(ministry) == (1, at(4))
    assert figures(person) == (1, at(4))
    assert figures(meeting) == 1
    assert mismatches() == []


def test_two_people_of_one_organisation_are_one_meeting_and_one_organisation():
    ministry = OrganisationFactory()
    meeting = MeetingFactory(starts_at=at(4))

    AttendanceFactory.create_batch(2, meeting=meeting, organisation=ministry)

    assert figures(ministry) == (1, at(4))
    assert figures(meeting) == 1


def test_an_invitation_takes_part_in_the_meeting_but_is_not_a_meeting_attended():
    ministry = OrganisationFactory()
    meeting = MeetingFactory()

    AttendanceFactory(
        meeting=meeting, organisation=ministry, status=Attendance.Status.INVITED
    )

    assert figures(ministry) == (0, None)
    assert figures(meeting) == 1


def test_a_status_change_counts_and_uncounts(admin_client):
    row = AttendanceFactory(status=Attendance.Status.INVITED)

    change(admin_client, row, status=Attendance.Status.ATTENDED)
    assert figures(row.organisation)[0] == 1

    change(admin_client, row, status=Attendance.Status.DECLINED)
    assert figures(row.organisation)[0] == 0
    assert figures(row.meeting) == 0
    assert mismatches() == []


def test_a_row_moved_to_another_organisation_and_person_moves_its_figures(
    admin_client,
):
    row = AttendanceFactory(meeting=MeetingFactory(starts_at=at(4)))
    before_organisation, before_person = row.organisation, row.person
    organisation, person = OrganisationFactory(), PersonFactory()

    change(admin_client, row, organisation=organisation.pk, person=person.pk)

    assert figures(before_organisation) == (0, None)
    assert figures(before_person) == (0, None)
    assert figures(organisation) == (1, at(4))
    assert figures(person) == (1, at(4))
    assert mismatches() == []


def test_a_row_moved_to_another_meeting_moves_the_count_and_the_last_met(
    admin_client,
):
    old, new = MeetingFactory(starts_at=at(4)), MeetingFactory(starts_at=at(9))
    row = AttendanceFactory(meeting=old)

    change(admin_client, row, meeting=new.pk)

    assert figures(old) == 0
    assert figures(new) == 1
    assert figures(row.organisation) == (1, at(9))


def test_deleting_a_row_uncounts_it(admin_client):
    ministry = OrganisationFactory()
    early = AttendanceFactory(
        organisation=ministry, meeting=MeetingFactory(starts_at=at(2))
    )
    late = AttendanceFactory(
        organisation=ministry, meeting=MeetingFactory(starts_at=at(8))
    )

    delete(admin_client, late)

    assert figures(ministry) == (1, at(2))
    delete(admin_client, early)
    assert figures(ministry) == (0, None)
    assert mismatches() == []


def test_moving_a_meeting_moves_the_last_met_of_everyone_at_it(admin_client):
    meeting = MeetingFactory(starts_at=at(4))
    row = AttendanceFactory(meeting=meeting)

    change(
        admin_client,
        meeting,
        starts_at_0="2025-03-20",
        starts_at_1="10:00:00",
        ends_at_0="",
        ends_at_1="",
    )

    assert figures(row.organisation) == (1, at(20))
    assert figures(row.person) == (1, at(20))


def test_deleting_a_meeting_uncounts_its_rows_in_one_update_a_table(
    admin_client, capture_queries
):
    ministry = OrganisationFactory()
    AttendanceFactory(organisation=ministry, meeting=MeetingFactory(starts_at=at(1)))
    meeting = MeetingFactory(starts_at=at(5))
    AttendanceFactory.create_batch(30, meeting=meeting, organisation=ministry)

    with capture_queries() as queries:
        delete(admin_client, meeting)

    updates = [
        sql
        for sql in queries.sql
        if sql.startswith(
            ('UPDATE "stakeholders_organisation"', 'UPDATE "stakeholders_person"')
        )
    ]
    # The organisation and the 30 people, each table once.
    assert len(updates) == 2
    assert figures(ministry) == (1, at(1))
    assert mismatches() == []


def test_an_admin_delete_of_a_meeting_refreshes_its_organisations(admin_client):
    ministry = OrganisationFactory()
    meeting = MeetingFactory(starts_at=at(5))
    AttendanceFactory.create_batch(3, meeting=meeting, organisation=ministry)

    response = admin_client.post(
        reverse("admin:meetings_meeting_delete", args=[meeting.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    assert figures(ministry) == (0, None)
    assert mismatches() == []


def test_an_admin_status_change_of_a_row_is_counted(admin_client):
    row = AttendanceFactory(status=Attendance.Status.INVITED)
    url = reverse("admin:meetings_attendance_change", args=[row.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data.update(
        meeting=row.meeting_id,
        organisation=row.organisation_id,
        person=row.person_id,
        status=Attendance.Status.ATTENDED,
        seen_version=row.version,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert figures(row.organisation)[0] == 1
    assert figures(row.person)[0] == 1


@pytest.mark.parametrize("model", [Organisation, Person, Meeting])
def test_an_admin_save_keeps_the_figures_an_import_wrote_meanwhile(
    admin_client, monkeypatch, model
):
    organisation, person = OrganisationFactory(), PersonFactory()
    meeting = MeetingFactory(starts_at=at(4))
    obj = {Organisation: organisation, Person: person, Meeting: meeting}[model]
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    data = form_data(admin_client.get(url))
    model_admin = admin.site._registry[model]
    read = model_admin.get_object

    def read_then_import(request, object_id, from_field=None):
        loaded = read(request, object_id, from_field)
        # Another editor's import commits between this read and the save:
        # its row, and the refresh of the figures it changed.
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, organisation=organisation, person=person)]
        )
        stats.refresh(
            organisations=[organisation.pk], people=[person.pk], meetings=[meeting.pk]
        )
        return loaded

    monkeypatch.setattr(model_admin, "get_object", read_then_import)
    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert figures(obj) == (1 if model is Meeting else (1, at(4)))
    assert mismatches() == []


def test_erasing_a_person_keeps_the_organisation_figures(superuser):
    ministry = OrganisationFactory()
    person = PersonFactory()
    AttendanceFactory(
        organisation=ministry, person=person, meeting=MeetingFactory(starts_at=at(4))
    )

    person_erase(person=person, user=superuser)

    assert figures(ministry) == (1, at(4))
    assert mismatches() == []


def test_a_refresh_is_written_with_its_rows_or_not_at_all(admin_client, monkeypatch):
    row = AttendanceFactory(status=Attendance.Status.INVITED)

    def fail(**ids):
        raise RuntimeError

    monkeypatch.setattr(stats, "refresh", fail)
    with pytest.raises(RuntimeError):
        change(admin_client, row, status=Attendance.Status.ATTENDED)

    # The admin's transaction took the row's change back with it.
    assert Attendance.objects.get(pk=row.pk).status == Attendance.Status.INVITED
    assert figures(row.organisation)[0] == 0


def test_the_command_repairs_figures_written_around_hamkor():
    row = AttendanceFactory()
    Organisation.objects.filter(pk=row.organisation_id).update(meetings_attended=7)
    Meeting.objects.filter(pk=row.meeting_id).update(organisations_attended=0)
    Person.objects.filter(pk=row.person_id).update(organisation_types=",")
    assert len(mismatches()) == 3

    call_command("refresh_meeting_stats", stdout=io.StringIO())

    assert mismatches() == []


def test_the_command_repairs_every_row_in_short_batches(monkeypatch):
    rows = [AttendanceFactory() for _ in range(5)]
    ids = [row.organisation_id for row in rows]
    Organisation.objects.filter(pk__in=ids).update(meetings_attended=7)
    # Every range takes "too long": the batches shrink to one id each.
    monkeypatch.setattr(stats, "FIRST_BATCH", 2)
    monkeypatch.setattr(stats, "BATCH_SECONDS", 0)
    monkeypatch.setattr(stats, "SQLITE_PAUSE_SECONDS", 0)
    batches = []

    stats.refresh_all_in_batches(on_progress=lambda *progress: batches.append(progress))

    assert mismatches() == []
    organisation_batches = [
        (done, span) for model, done, span in batches if model is Organisation
    ]
    assert len(organisation_batches) >= len(ids) - 1
    done, span = organisation_batches[-1]
    assert done == span


def test_generated_sample_data_has_its_figures():
    sample_data_generate(plan=Plan.for_scale("S"))

    assert Organisation.objects.filter(meetings_attended__gt=0).exists()
    assert Meeting.objects.filter(organisations_attended__gt=0).exists()
    assert mismatches() == []


def test_bulk_writes_at_one_meeting_add_it_to_who_newly_attended():
    ministry, agency = OrganisationFactory(), OrganisationFactory()
    person = PersonFactory()
    earlier = MeetingFactory(starts_at=at(2))
    later = MeetingFactory(starts_at=at(20))
    AttendanceFactory(organisation=ministry, person=None, meeting=later)
    AttendanceFactory(organisation=agency, person=person, meeting=earlier)
    meeting = MeetingFactory(starts_at=at(10))
    AttendanceFactory(organisation=agency, person=person, meeting=meeting)
    before = stats.attended_at(meeting)

    # As an import writes: in bulk, no signals.
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, organisation=ministry, person=None)]
    )
    Attendance.objects.filter(meeting=meeting, person=person).update(
        status=Attendance.Status.DECLINED
    )
    assert mismatches() != []
    stats.rows_changed_at(meeting, before)

    # One meeting more, and the latest start kept.
    assert figures(ministry) == (2, at(20))
    # No longer attended this one: recomputed.
    assert figures(agency) == (1, at(2))
    assert figures(person) == (1, at(2))
    assert mismatches() == []


def test_an_import_counts_its_rows_and_a_second_one_changes_nothing():
    ministry = OrganisationFactory(name="Ministry of Health")
    colleague = PersonFactory(full_name="Aziza Karimova")
    meeting = MeetingFactory(starts_at=at(12))
    AttendanceFactory(
        meeting=meeting,
        organisation=ministry,
        person=colleague,
        status=Attendance.Status.INVITED,
    )
    data = (
        b"Organisation,Name,Status\r\n"
        b"Ministry of Health,Aziza Karimova,attended\r\n"
        b"Ministry of Health,Bekzod Tursunov,attended\r\n"
    )

    for _ in range(2):
        attendance_import(
            meeting=meeting,
            sheet=read_sheet(data, "sheet.csv"),
            allow_new_organisations=False,
        )
        assert figures(ministry) == (1, at(12))
        assert figures(colleague) == (1, at(12))
        assert Person.objects.get(full_name="Bekzod Tursunov").meetings_attended == 1
        assert mismatches() == []


def test_an_import_gives_a_new_person_the_type_of_their_position_unattended():
    donor = OrganisationFactory(name="Donor Bank", type=OrganisationTypeFactory())
    data = b"Organisation,Name,Status\r\nDonor Bank,Bekzod Tursunov,invited\r\n"

    attendance_import(
        meeting=MeetingFactory(),
        sheet=read_sheet(data, "sheet.csv"),
        allow_new_organisations=False,
    )

    # Invited, not attended: the type is that of the position the import
    # gave them (people?type finds them).
    assert types(Person.objects.get(full_name="Bekzod Tursunov")) == {donor.type_id}
    assert mismatches() == []
