"""Merging two organisations or two people (duplicates.merge): every row
moves, rows at a shared meeting combine as chosen, nothing is lost, a stale
merge is refused, and the merged record's address leads to the survivor."""

import pytest
from django.urls import reverse

from duplicates import merge
from duplicates.models import OrganisationMerge, OrganisationPair, PersonMerge
from meetings.models import Attendance, FollowUp, Meeting
from stakeholders.models import (
    Assessment,
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)
from tests.factories import (
    AssessmentFactory,
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationIdentifierFactory,
    OrganisationNameFactory,
    OrganisationPairFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

TABLES = [
    Organisation,
    OrganisationName,
    OrganisationIdentifier,
    Person,
    Position,
    Meeting,
    Attendance,
    FollowUp,
    Assessment,
]


def counts():
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def steward(django_user_model):
    return django_user_model.objects.create_user("steward", password="x")


@pytest.fixture
def two_organisations():
    """UZINFOCOM and its duplicate "Узинфоком", with a row of every kind and
    overlaps: both at one meeting for the same person (different status),
    the same position twice, a name both have."""
    kept = OrganisationFactory(name="UZINFOCOM", acronym="", email="")
    other = OrganisationFactory(
        name="Узинфоком", acronym="UZI", email="info@uzinfocom.uz", notes="Tashkent"
    )
    person, colleague = PersonFactory(full_name="Aziz Karimov"), PersonFactory()
    shared = MeetingFactory(title="Steering committee")
    AttendanceFactory(meeting=shared, organisation=kept, person=person)
    AttendanceFactory(
        meeting=shared,
        organisation=other,
        person=person,
        status=Attendance.Status.CONFIRMED,
        role=Attendance.Role.PRESENTER,
        notes="Presented the roadmap",
    )
    AttendanceFactory(organisation=other, person=colleague)
    AttendanceFactory(organisation=other, person=None)
    PositionFactory(person=person, organisation=kept, title="Director")
    PositionFactory(person=person, organisation=other, title="Director", notes="x")
    PositionFactory(person=colleague, organisation=other, title="Engineer")
    FollowUpFactory(owner_organisation=other)
    OrganisationNameFactory(organisation=kept, name="Uzinfocom LLC")
    OrganisationNameFactory(organisation=other, name="UZINFOCOM llc")
    OrganisationNameFactory(organisation=other, name="Узинфоком МЧЖ")
    OrganisationIdentifierFactory(organisation=other, scheme="STIR", value="123")
    OrganisationFactory(name="Data centre", parent=other)
    OrganisationFactory(name="Training centre", parent=kept)
    MeetingFactory(host=other)
    initiated = MeetingFactory()
    initiated.initiators.add(other)
    both_initiated = MeetingFactory()
    both_initiated.initiators.add(other, kept)
    AssessmentFactory(organisation=other)
    OrganisationPairFactory(first=kept, second=other)
    return kept, other


def test_an_organisation_merge_moves_every_row_and_combines_the_shared_ones(
    two_organisations, steward
):
    kept, other = two_organisations
    before = counts()
    reading = merge.read(Organisation, kept.pk, other.pk)
    assert len(reading.shared) == 1
    assert reading.shared[0].differs == ["role", "status"]
    assert len(reading.twin_positions) == 1

    done = merge.merge(
        reading=reading,
        keep="first",
        values={"email": other.email, "notes": "Tashkent"},
        roles={0: "second"},
        statuses={0: "first"},
        user=steward,
    )

    after = counts()
    # One organisation, one attendance row and one position fewer (combined);
    # the clashing other name combined and two names gained (the other's name
    # and acronym); nothing else changes count.
    assert after == {
        **before,
        "Organisation": before["Organisation"] - 1,
        "Attendance": before["Attendance"] - 1,
        "Position": before["Position"] - 1,
        "OrganisationName": before["OrganisationName"] - 1 + 2,
    }
    assert not Organisation.objects.filter(pk=other.pk).exists()
    kept.refresh_from_db()
    assert kept.email == "info@uzinfocom.uz"
    assert kept.notes == "Tashkent"
    assert set(kept.other_names.values_list("name", flat=True)) == {
        "Uzinfocom LLC",
        "Узинфоком МЧЖ",
        "Узинфоком",
        "UZI",
    }
    assert kept.identifiers.get().value == "123"
    assert kept.attendances.count() == 3
    combined = kept.attendances.get(meeting__title="Steering committee")
    assert (combined.role, combined.status) == ("presenter", "attended")
    assert combined.notes == "Presented the roadmap"
    assert kept.positions.count() == 2
    assert kept.follow_ups.count() == 1
    assert set(kept.children.values_list("name", flat=True)) == {
        "Data centre",
        "Training centre",
    }
    assert kept.hosted_meetings.count() == 1
    assert Meeting.objects.filter(initiators=kept).count() == 2
    assert kept.assessments.count() == 1
    # Stored figures: two meetings attended (the third row's meeting too).
    assert kept.meetings_attended == 3
    # The pair is gone with the other record; the merge is recorded.
    assert not OrganisationPair.objects.exists()
    assert done.old_id == other.pk
    assert done.old_record["name"] == "Узинфоком"
    assert done.old_record["identifiers"] == [{"scheme": "STIR", "value": "123"}]
    assert done.moved["attendance"] == 2
    assert done.moved["combined_attendance"] == 1
    assert done.merged_by == steward


def test_the_history_says_who_merged_and_why(two_organisations, steward):
    kept, other = two_organisations
    merge.merge(
        reading=merge.read(Organisation, kept.pk, other.pk),
        keep="first",
        values={},
        user=steward,
    )

    latest = kept.history.first()
    assert latest.history_user == steward
    assert latest.history_change_reason == f"Merged with Узинфоком (UZI) (#{other.pk})"
    gone = Organisation.history.filter(id=other.pk).first()
    assert gone.history_type == "-"
    assert gone.history_user == steward
    moved = Position.history.filter(organisation_id=kept.pk, history_type="~")
    assert moved.filter(history_change_reason__startswith="Moved from").exists()


def test_the_other_record_can_survive_with_its_values(two_organisations, steward):
    kept, other = two_organisations
    merge.merge(
        reading=merge.read(Organisation, kept.pk, other.pk),
        keep="second",
        values={"name": "UZINFOCOM"},
        user=steward,
    )

    assert not Organisation.objects.filter(pk=kept.pk).exists()
    survivor = Organisation.objects.get(pk=other.pk)
    assert survivor.name == "UZINFOCOM"
    assert survivor.acronym == "UZI"
    # Its own former name is an other name now; of the name both had, its
    # own spelling stays.
    assert set(survivor.other_names.values_list("name", flat=True)) == {
        "UZINFOCOM llc",
        "Узинфоком МЧЖ",
        "Узинфоком",
    }
    assert survivor.attendances.count() == 3


def test_a_stale_merge_is_refused_and_changes_nothing(two_organisations, steward):
    kept, other = two_organisations
    reading = merge.read(Organisation, kept.pk, other.pk)
    other.phone = "+998 71 000 00 00"
    other.version += 1
    other.save()
    before = counts()

    with pytest.raises(merge.Stale):
        merge.merge(reading=reading, keep="first", values={}, user=steward)

    assert counts() == before
    assert Attendance.objects.filter(organisation=other).count() == 3


def test_a_changed_row_at_a_shared_meeting_makes_the_merge_stale(
    two_organisations, steward
):
    kept, other = two_organisations
    reading = merge.read(Organisation, kept.pk, other.pk)
    row = reading.shared[0].second
    Attendance.objects.filter(pk=row.pk).update(status="absent", version=9)

    with pytest.raises(merge.Stale):
        merge.merge(reading=reading, keep="first", values={}, user=steward)

    assert Organisation.objects.filter(pk=other.pk).exists()


def test_a_survivor_under_the_other_takes_the_others_parent(steward):
    ministry = OrganisationFactory(name="Ministry of Health")
    other = OrganisationFactory(name="Digital Health Centre", parent=ministry)
    kept = OrganisationFactory(name="Digital Health Center", parent=other)

    merge.merge(
        reading=merge.read(Organisation, kept.pk, other.pk),
        keep="first",
        values={},
        user=steward,
    )

    kept.refresh_from_db()
    assert kept.parent == ministry


def test_a_parent_that_makes_a_cycle_is_refused_by_field(steward):
    kept = OrganisationFactory(name="Digital Health Center")
    child = OrganisationFactory(name="Data centre", parent=kept)
    other = OrganisationFactory(name="Digital Health Centre", parent=child)
    before = counts()

    with pytest.raises(merge.ValidationError) as refused:
        merge.merge(
            reading=merge.read(Organisation, kept.pk, other.pk),
            keep="first",
            values={"parent": child},
            user=steward,
        )

    assert "parent" in refused.value.message_dict
    assert counts() == before


def test_a_person_merge_combines_attendance_and_positions(steward):
    ministry = OrganisationFactory()
    kept = PersonFactory(full_name="Aziz Karimov", email="", phone="")
    other = PersonFactory(
        full_name="Азиз Каримов", email="a.karimov@ssv.uz", phone="+998 90 123 45 67"
    )
    meeting = MeetingFactory()
    AttendanceFactory(meeting=meeting, organisation=ministry, person=kept)
    AttendanceFactory(
        meeting=meeting,
        organisation=ministry,
        person=other,
        status=Attendance.Status.ABSENT,
    )
    AttendanceFactory(person=other)
    PositionFactory(person=kept, organisation=ministry)
    PositionFactory(person=other, organisation=ministry)
    FollowUpFactory(owner_organisation=ministry, owner_person=other)
    before = counts()

    reading = merge.read(Person, kept.pk, other.pk)
    assert reading.differing == ["full_name", "email", "phone"]
    done = merge.merge(
        reading=reading,
        keep="first",
        values={"email": other.email, "phone": other.phone},
        statuses={0: "first"},
        user=steward,
    )

    assert counts() == {
        **before,
        "Person": before["Person"] - 1,
        "Attendance": before["Attendance"] - 1,
        "Position": before["Position"] - 1,
    }
    kept.refresh_from_db()
    assert (kept.email, kept.phone) == ("a.karimov@ssv.uz", "+998 90 123 45 67")
    assert kept.attendances.get(meeting=meeting).status == "attended"
    assert kept.attendances.count() == 2
    assert kept.follow_ups.count() == 1
    assert kept.meetings_attended == 2
    assert isinstance(done, PersonMerge)
    assert done.old_record["full_name"] == "Азиз Каримов"


def test_the_merged_records_pages_lead_to_the_survivor(
    two_organisations, steward, admin_client
):
    kept, other = two_organisations
    merge.merge(
        reading=merge.read(Organisation, kept.pk, other.pk),
        keep="first",
        values={},
        user=steward,
    )

    for name in ("organisations:detail", "organisations:timeline"):
        response = admin_client.get(reverse(name, args=[other.pk]) + "?page=2")
        assert response.status_code == 301
        assert response.url == reverse(name, args=[kept.pk]) + "?page=2"
    response = admin_client.get(
        reverse("admin:stakeholders_organisation_change", args=[other.pk])
    )
    assert response.url == reverse(
        "admin:stakeholders_organisation_change", args=[kept.pk]
    )
    # A record that never existed is still not found.
    assert (
        admin_client.get(reverse("organisations:detail", args=[99999])).status_code
        == 404
    )


def test_a_later_merge_of_the_survivor_carries_the_old_address_on(
    steward, admin_client
):
    first, second, third = (
        PersonFactory(full_name="Aziz Karimov"),
        PersonFactory(full_name="Azis Karimov"),
        PersonFactory(full_name="Азиз Каримов"),
    )
    merge.merge(
        reading=merge.read(Person, second.pk, first.pk),
        keep="first",
        values={},
        user=steward,
    )
    merge.merge(
        reading=merge.read(Person, third.pk, second.pk),
        keep="first",
        values={},
        user=steward,
    )

    response = admin_client.get(reverse("people:detail", args=[first.pk]))
    assert response.url == reverse("people:detail", args=[third.pk])
    assert PersonMerge.objects.filter(survivor=third).count() == 2


def test_erasing_a_survivor_erases_the_people_merged_into_it(steward, superuser):
    from stakeholders.services import person_erase, person_export

    kept = PersonFactory(full_name="Aziz Karimov")
    other = PersonFactory(full_name="Азиз Каримов", email="a.karimov@ssv.uz")
    merge.merge(
        reading=merge.read(Person, kept.pk, other.pk),
        keep="first",
        values={},
        user=steward,
    )
    kept.refresh_from_db()
    exported = person_export(person=kept)
    assert exported["merged_records"][0]["record"]["email"] == "a.karimov@ssv.uz"
    assert any(row["id"] == other.pk for row in exported["history"]["person"])

    person_erase(person=kept, user=superuser)

    assert not Person.history.filter(id__in=[kept.pk, other.pk]).exists()
    assert not PersonMerge.objects.exists()


def test_the_type_counts_of_the_start_page_follow_a_merge(steward):
    kept, other = OrganisationFactory(), OrganisationFactory()
    ministry = OrganisationType.objects.get(slug="ministry")
    before = ministry.active_organisations

    merge.merge(
        reading=merge.read(Organisation, kept.pk, other.pk),
        keep="first",
        values={},
        user=steward,
    )

    ministry.refresh_from_db()
    assert ministry.active_organisations == before - 1
    assert OrganisationMerge.objects.count() == 1
