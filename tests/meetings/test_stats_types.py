"""The stored organisation types of people and meetings (people?type,
meetings?type) follow positions, attendance and an organisation's type."""

import pytest

from meetings import stats
from meetings.models import Attendance
from stakeholders.models import Position
from tests.factories import (
    AttendanceFactory,
    OrganisationFactory,
    OrganisationTypeFactory,
    PersonFactory,
    PositionFactory,
)
from tests.meetings.test_stats import (
    add,
    change,
    delete,
    mismatches,
    types,
)

pytestmark = pytest.mark.django_db


# The stored organisation types (people?type, meetings?type).


def test_a_position_gives_the_person_its_organisation_type_until_it_goes(
    admin_client,
):
    donor = OrganisationFactory(type=OrganisationTypeFactory())
    ministry = OrganisationFactory()
    person = PersonFactory()
    add(admin_client, Position, person=person.pk, organisation=donor.pk)
    position = Position.objects.get(person=person)
    assert types(person) == {donor.type_id}

    change(admin_client, position, organisation=ministry.pk)
    assert types(person) == {ministry.type_id}

    delete(admin_client, position)
    assert types(person) == set()
    assert mismatches() == []


def test_a_position_moved_to_another_person_leaves_the_first(admin_client):
    position = PositionFactory()
    first, second = position.person, PersonFactory()

    change(admin_client, position, person=second.pk)

    assert types(first) == set()
    assert types(second) == {position.organisation.type_id}


def test_attending_counts_for_the_person_taking_part_for_the_meeting(admin_client):
    donor = OrganisationFactory(type=OrganisationTypeFactory())
    row = AttendanceFactory(organisation=donor, status=Attendance.Status.INVITED)
    # Invited: the meeting has a donor taking part; the person has not yet
    # represented it.
    assert types(row.meeting) == {donor.type_id}
    assert types(row.person) == set()

    change(admin_client, row, status=Attendance.Status.ATTENDED)
    assert types(row.person) == {donor.type_id}

    change(admin_client, row, status=Attendance.Status.DECLINED)
    assert types(row.person) == set()
    assert types(row.meeting) == set()
    assert mismatches() == []


def test_a_new_type_of_an_organisation_reaches_its_people_and_meetings(
    admin_client,
):
    ministry = OrganisationFactory()
    position = PositionFactory(organisation=ministry)
    row = AttendanceFactory(organisation=ministry)
    donor = OrganisationTypeFactory()

    change(admin_client, ministry, type=donor.pk)

    assert types(position.person) == {donor.pk}
    assert types(row.person) == {donor.pk}
    assert types(row.meeting) == {donor.pk}
    assert mismatches() == []


def test_an_imported_row_moved_to_another_organisation_moves_the_type():
    ministry = OrganisationFactory()
    donor = OrganisationFactory(type=OrganisationTypeFactory())
    row = AttendanceFactory(organisation=ministry)
    before = stats.attended_at(row.meeting)

    # As an import writes: in bulk, no signals; the person attended before
    # and still does, for another organisation.
    Attendance.objects.filter(pk=row.pk).update(organisation=donor)
    stats.rows_changed_at(row.meeting, before)

    assert types(row.person) == {donor.type_id}
    assert mismatches() == []


def test_the_type_filters_use_the_stored_types(user_client):
    donor = OrganisationFactory(type=OrganisationTypeFactory(slug="donor-bank"))
    by_position = PositionFactory(organisation=donor).person
    by_attendance = AttendanceFactory(organisation=donor).person
    AttendanceFactory(organisation=donor, status=Attendance.Status.DECLINED)
    elsewhere = PositionFactory().person

    people = user_client.get("/people/?type=donor-bank").context["object_list"]
    meetings = user_client.get("/meetings/?type=donor-bank").context["object_list"]

    assert {p.pk for p in people} == {by_position.pk, by_attendance.pk}
    assert elsewhere.pk not in {p.pk for p in people}
    assert [m.pk for m in meetings] == [by_attendance.attendances.get().meeting_id]
