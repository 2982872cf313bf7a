"""The REST API, written: through the admin's forms and hooks (api/writes.py),
with the version in If-Match, history with the user, refreshed figures and
errors that name the field."""

import pytest
from django.urls import reverse

from accounts.roles import ADMINISTRATOR, EDITOR
from meetings.models import Attendance, Meeting
from stakeholders.models import Assessment, Organisation, OrganisationType
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client_of):
    return client_of(EDITOR)


def record(name, pk):
    return reverse(f"api:{name}-detail", kwargs={"pk": pk})


MEETING = {
    "title": "Digital health coordination",
    "starts_at": "2025-01-29T10:00:00+05:00",
    "ends_at": "2025-01-29T12:00:00+05:00",
    "status": "held",
    "format": "in_person",
}


def test_an_editor_records_a_meeting_with_attendance_and_history_names_them(editor):
    ministry = factories.OrganisationFactory()
    person = factories.PersonFactory()

    made = editor.post(reverse("api:meeting-list"), MEETING, format="json")
    meeting = Meeting.objects.get(pk=made.json()["id"])
    row = editor.post(
        reverse("api:attendance-list"),
        {
            "meeting": meeting.pk,
            "organisation": ministry.pk,
            "person": person.pk,
            "role": "participant",
            "status": "attended",
        },
        format="json",
    )

    assert made.status_code == 201, made.json()
    assert made["ETag"] == '"1"'
    assert made["Location"] == record("meeting", meeting.pk)
    assert row.status_code == 201, row.json()
    assert meeting.history.get().history_user == editor.user
    assert Attendance.objects.get().history.get().history_user == editor.user
    ministry.refresh_from_db()
    person.refresh_from_db()
    meeting.refresh_from_db()
    assert (ministry.meetings_attended, person.meetings_attended) == (1, 1)
    assert meeting.organisations_attended == 1


def test_a_change_names_its_version_stale_gets_412_and_nothing_changes(editor):
    organisation = factories.OrganisationFactory(name="Ministry of Health")
    url = record("organisation", organisation.pk)
    etag = editor.get(url)["ETag"]

    first = editor.patch(url, {"acronym": "MoH"}, format="json", HTTP_IF_MATCH=etag)
    stale = editor.patch(url, {"acronym": "SSV"}, format="json", HTTP_IF_MATCH=etag)
    missing = editor.patch(url, {"acronym": "SSV"}, format="json")

    assert first.status_code == 200, first.json()
    assert first["ETag"] == '"2"'
    assert first.json()["name"] == "Ministry of Health"  # PATCH keeps the rest
    assert stale.status_code == 412
    assert "saved this record" in stale.json()["detail"]
    assert missing.status_code == 428
    organisation.refresh_from_db()
    assert (organisation.acronym, organisation.version) == ("MoH", 2)


def test_a_put_replaces_the_record_and_a_deletion_names_its_version(editor):
    topic = factories.TopicFactory(name="Telemedicine")
    url = record("topic", topic.pk)

    replaced = editor.put(
        url,
        {"name": "Telehealth", "description": ""},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    stale_delete = editor.delete(url, HTTP_IF_MATCH='"1"')
    deleted = editor.delete(url, HTTP_IF_MATCH='"2"')

    assert replaced.status_code == 200
    assert replaced.json()["name"] == "Telehealth"
    assert stale_delete.status_code == 412
    assert deleted.status_code == 204
    assert not type(topic).objects.filter(pk=topic.pk).exists()


def test_bad_input_is_a_400_naming_each_field_and_writes_nothing(editor):
    ministry = OrganisationType.objects.get(slug="ministry")

    missing = editor.post(
        reverse("api:meeting-list"), {"venue": "Tashkent"}, format="json"
    )
    wrong = editor.post(
        reverse("api:organisation-list"),
        {"name": "X", "type": "no-such-type", "email": "not-an-email"},
        format="json",
    )
    backwards = editor.post(
        reverse("api:meeting-list"),
        {**MEETING, "ends_at": "2025-01-28T10:00:00+05:00"},
        format="json",
    )
    bad_type = editor.post(
        reverse("api:organisation-list"),
        {"name": "Y", "type": ministry.slug, "parent": 999_999},
        format="json",
    )

    assert missing.status_code == 400
    assert {"title", "starts_at"} <= set(missing.json())
    assert wrong.status_code == 400
    assert set(wrong.json()) == {"type", "email"}
    assert backwards.status_code == 400
    assert "ends_at" in backwards.json()
    assert bad_type.status_code == 400
    assert list(bad_type.json()) == ["parent"]
    assert not Meeting.objects.exists()
    assert not Organisation.objects.exists()


def test_a_likely_duplicate_is_refused_until_saved_anyway(editor):
    ministry = OrganisationType.objects.get(slug="ministry")
    factories.OrganisationFactory(name="UZINFOCOM", type=ministry)
    data = {"name": "Узинфоком", "type": ministry.slug}

    warned = editor.post(reverse("api:organisation-list"), data, format="json")
    saved = editor.post(
        reverse("api:organisation-list"), {**data, "save_anyway": True}, format="json"
    )

    assert warned.status_code == 400, warned.json()
    assert "already be on record" in warned.json()["non_field_errors"][0]
    assert saved.status_code == 201
    assert Organisation.objects.count() == 2
    # What was left out takes the model's default, as on the add form.
    assert Organisation.objects.get(name="Узинфоком").is_active


def test_a_viewer_writes_nothing_and_an_editor_what_the_admin_lets_them(client_of):
    viewer, editor, administrator = (
        client_of(name) for name in ("viewer", EDITOR, ADMINISTRATOR)
    )
    organisation = factories.OrganisationFactory()
    assessment_data = {
        "organisation": organisation.pk,
        "influence": 4,
        "interest": 5,
        "stance": "supportive",
        "assessed_on": "2025-01-29",
    }

    by_viewer = viewer.post(
        reverse("api:assessment-list"), assessment_data, format="json"
    )
    added = editor.post(reverse("api:assessment-list"), assessment_data, format="json")
    url = record("assessment", added.json()["id"])
    changed_by_editor = editor.patch(url, {"influence": 1}, HTTP_IF_MATCH='"1"')
    changed_by_administrator = administrator.patch(
        url, {"influence": 2}, format="json", HTTP_IF_MATCH='"1"'
    )
    type_by_editor = editor.post(
        reverse("api:organisationtype-list"),
        {"name": "Think tank", "slug": "think-tank"},
    )

    assert by_viewer.status_code == 403
    assert added.status_code == 201
    assert added.json()["assessed_by"] == editor.user.username
    assert changed_by_editor.status_code == 403
    assert changed_by_administrator.status_code == 200
    assert Assessment.objects.get().influence == 2
    assert type_by_editor.status_code == 403


def test_a_record_others_refer_to_is_not_deleted(editor):
    organisation = factories.OrganisationFactory()
    factories.AttendanceFactory(organisation=organisation)

    refused = editor.delete(
        record("organisation", organisation.pk), HTTP_IF_MATCH='"1"'
    )

    assert refused.status_code == 409
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_a_meetings_initiators_and_a_split_date_time_go_through_the_admin_form(
    editor,
):
    initiator = factories.OrganisationFactory()

    made = editor.post(
        reverse("api:meeting-list"),
        {
            **MEETING,
            "initiators": [initiator.pk],
            "date_only": True,
            "starts_at": "2025-01-29T00:00:00+05:00",
            "ends_at": None,
        },
        format="json",
    )

    assert made.status_code == 201, made.json()
    meeting = Meeting.objects.get()
    assert list(meeting.initiators.all()) == [initiator]
    assert meeting.date_only


def test_an_other_name_added_through_the_api_is_found_by_the_lists_search(editor):
    organisation = factories.OrganisationFactory(name="UZINFOCOM")

    added = editor.post(
        reverse("api:organisationname-list"),
        {"organisation": organisation.pk, "name": "Узинфоком", "language": "ru"},
        format="json",
    )
    found = editor.get(reverse("api:organisation-list"), {"q": "узинфоком"})

    assert added.status_code == 201, added.json()
    assert [row["id"] for row in found.json()["results"]] == [organisation.pk]
    assert organisation.other_names.get().history.get().history_user == editor.user


def test_an_organisation_row_beside_its_people_is_answered_with_the_row_it_joined(
    editor,
):
    # The stateful fuzzing in .ci/run found this answer undocumented (a 204).
    meeting = factories.MeetingFactory()
    giz = factories.OrganisationFactory(name="GIZ", acronym="")
    jane = factories.AttendanceFactory(
        meeting=meeting, organisation=giz, person__full_name="Jane Doe"
    )
    factories.AttendanceFactory(
        meeting=meeting, organisation=giz, person__full_name="Zafar Aliev"
    )

    answer = editor.post(
        reverse("api:attendance-list"),
        {
            "meeting": meeting.pk,
            "organisation": giz.pk,
            "person": None,
            "role": "host",
            "status": "attended",
            "notes": "Hosted in its Tashkent office.",
        },
        format="json",
    )

    assert answer.status_code == 200, answer.content
    assert answer["Content-Location"] == record("attendance", jane.pk)
    assert "Location" not in answer
    jane.refresh_from_db()
    assert answer["ETag"] == f'"{jane.version}"'
    assert answer.json()["id"] == jane.pk
    assert (answer.json()["role"], answer.json()["notes"]) == (
        "host",
        "Hosted in its Tashkent office.",
    )
    assert Attendance.objects.filter(meeting=meeting, person=None).count() == 0
