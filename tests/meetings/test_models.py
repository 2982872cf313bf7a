import datetime

import pytest
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

# Requests go over HTTPS (secure=True): outside DEBUG the site redirects plain HTTP.

ENDS_BEFORE_IT_STARTS = "A meeting must end after it starts."
PERSON_RECORDED = (
    "This person is already recorded at this meeting for this organisation."
)
ORGANISATION_RECORDED = (
    "This organisation is already recorded at this meeting without a person."
)
TOPIC_ON_AGENDA = "This topic is already on the agenda."
TOPIC_TAKEN = "A topic with this name already exists."


def tashkent(*args):
    return timezone.make_aware(datetime.datetime(*args))


def meeting_data(**changes):
    """The meeting admin form as a browser posts it: 29 January 2025, 10:00 to
    12:00, with empty inlines."""
    data = {
        "title": "Digital health roundtable",
        "starts_at_0": "2025-01-29",
        "starts_at_1": "10:00:00",
        "ends_at_0": "2025-01-29",
        "ends_at_1": "12:00:00",
        "venue": "",
        "format": Meeting.Format.IN_PERSON,
        "status": Meeting.Status.HELD,
        "host": "",
        "summary": "",
        "outcomes": "",
    }
    for prefix in ("agenda_items", "attendances", "follow_ups"):
        data[f"{prefix}-TOTAL_FORMS"] = 0
        data[f"{prefix}-INITIAL_FORMS"] = 0
    data.update(changes)
    return data


def attendance_row(index, attendance=None, **fields):
    """One row of the meeting admin's attendance inline."""
    row = {"role": Attendance.Role.PARTICIPANT, "status": Attendance.Status.ATTENDED}
    if attendance is not None:
        row.update(
            id=attendance.pk,
            meeting=attendance.meeting_id,
            organisation=attendance.organisation_id,
            person=attendance.person_id or "",
            role=attendance.role,
            status=attendance.status,
            seen_version=attendance.version,
        )
    row.update(fields)
    return {f"attendances-{index}-{name}": value for name, value in row.items()}


def attendance_data(meeting, organisation, person=None):
    """The attendance admin form."""
    return {
        "meeting": meeting.pk,
        "organisation": organisation.pk,
        "person": person.pk if person else "",
        "role": Attendance.Role.PARTICIPANT,
        "status": Attendance.Status.ATTENDED,
        "notes": "",
    }


# Meeting times


@pytest.mark.parametrize("ends", ["10:00:00", "09:30:00"])
def test_admin_refuses_a_meeting_that_ends_when_or_before_it_starts(admin_client, ends):
    response = admin_client.post(
        reverse("admin:meetings_meeting_add"),
        meeting_data(starts_at_1="10:00:00", ends_at_1=ends),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "ends_at": [ENDS_BEFORE_IT_STARTS]
    }
    assert Meeting.objects.count() == 0


def test_admin_refuses_to_move_a_meetings_end_before_its_start(admin_client):
    meeting = MeetingFactory(
        starts_at=tashkent(2025, 1, 29, 10), ends_at=tashkent(2025, 1, 29, 12)
    )

    response = admin_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_data(
            title=meeting.title, seen_version=meeting.version, ends_at_1="09:00:00"
        ),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "ends_at": [ENDS_BEFORE_IT_STARTS]
    }
    meeting.refresh_from_db()
    assert meeting.ends_at == tashkent(2025, 1, 29, 12)


@pytest.mark.parametrize(
    "duration", [datetime.timedelta(0), datetime.timedelta(minutes=-30)]
)
def test_database_refuses_a_meeting_that_ends_when_or_before_it_starts(duration):
    starts = tashkent(2025, 1, 29, 10)

    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(starts_at=starts, ends_at=starts + duration)


def test_admin_accepts_a_meeting_without_an_end(admin_client):
    response = admin_client.post(
        reverse("admin:meetings_meeting_add"),
        meeting_data(ends_at_0="", ends_at_1=""),
        secure=True,
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.starts_at == tashkent(2025, 1, 29, 10)
    assert meeting.ends_at is None


def test_database_accepts_a_meeting_without_an_end():
    MeetingFactory(ends_at=None)

    assert Meeting.objects.get().ends_at is None


# Attendance


def test_admin_refuses_the_same_person_twice_for_one_organisation_at_a_meeting(
    admin_client,
):
    recorded = AttendanceFactory()

    response = admin_client.post(
        reverse("admin:meetings_attendance_add"),
        attendance_data(recorded.meeting, recorded.organisation, recorded.person),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["person"] == [PERSON_RECORDED]
    assert Attendance.objects.count() == 1


def test_database_refuses_the_same_person_twice_for_one_organisation_at_a_meeting():
    recorded = AttendanceFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceFactory(
            meeting=recorded.meeting,
            organisation=recorded.organisation,
            person=recorded.person,
        )


def test_admin_refuses_a_second_organisation_only_row_for_one_organisation(
    admin_client,
):
    recorded = AttendanceFactory(person=None)

    response = admin_client.post(
        reverse("admin:meetings_attendance_add"),
        attendance_data(recorded.meeting, recorded.organisation),
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "organisation": [ORGANISATION_RECORDED]
    }
    assert Attendance.objects.count() == 1


def test_database_refuses_a_second_organisation_only_row_for_one_organisation():
    recorded = AttendanceFactory(person=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceFactory(
            meeting=recorded.meeting, organisation=recorded.organisation, person=None
        )


def test_admin_accepts_two_people_from_one_organisation_at_a_meeting(admin_client):
    recorded = AttendanceFactory()

    response = admin_client.post(
        reverse("admin:meetings_attendance_add"),
        attendance_data(recorded.meeting, recorded.organisation, PersonFactory()),
        secure=True,
    )

    assert response.status_code == 302
    assert (
        recorded.meeting.attendances.filter(organisation=recorded.organisation).count()
        == 2
    )


def test_database_accepts_two_people_from_one_organisation_at_a_meeting():
    recorded = AttendanceFactory()

    AttendanceFactory(meeting=recorded.meeting, organisation=recorded.organisation)

    assert recorded.meeting.attendances.count() == 2


def test_admin_folds_an_organisation_only_row_added_beside_a_person_row(
    admin_client,
):
    recorded = AttendanceFactory()

    response = admin_client.post(
        reverse("admin:meetings_attendance_add"),
        attendance_data(recorded.meeting, recorded.organisation),
        secure=True,
    )

    # One row per organisation and meeting (issue 16): the person's row says
    # the organisation attended; the row alone was folded into it.
    assert response.status_code == 302
    assert not recorded.meeting.attendances.filter(person=None).exists()
    assert recorded.meeting.attendances.get() == recorded


def test_database_accepts_an_organisation_only_row_beside_a_person_row():
    recorded = AttendanceFactory()

    AttendanceFactory(
        meeting=recorded.meeting, organisation=recorded.organisation, person=None
    )

    assert recorded.meeting.attendances.count() == 2


def test_meeting_admin_refuses_an_attendance_row_repeating_an_organisation_only_row(
    admin_client,
):
    meeting = MeetingFactory(
        starts_at=tashkent(2025, 1, 29, 10), ends_at=tashkent(2025, 1, 29, 12)
    )
    recorded = AttendanceFactory(meeting=meeting, person=None)

    response = admin_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_data(
            title=meeting.title,
            seen_version=meeting.version,
            **{"attendances-TOTAL_FORMS": 2, "attendances-INITIAL_FORMS": 1},
            **attendance_row(0, recorded),
            **attendance_row(
                1, meeting=meeting.pk, organisation=recorded.organisation_id
            ),
        ),
        secure=True,
    )

    assert response.status_code == 200
    attendances = response.context["inline_admin_formsets"][1].formset
    assert attendances.prefix == "attendances"
    assert attendances.errors == [{}, {"organisation": [ORGANISATION_RECORDED]}]
    assert meeting.attendances.count() == 1


def test_meeting_admin_refuses_two_new_organisation_only_rows_for_one_organisation(
    admin_client,
):
    meeting = MeetingFactory(
        starts_at=tashkent(2025, 1, 29, 10), ends_at=tashkent(2025, 1, 29, 12)
    )
    ministry = OrganisationFactory()

    response = admin_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_data(
            title=meeting.title,
            seen_version=meeting.version,
            **{"attendances-TOTAL_FORMS": 2},
            **attendance_row(0, meeting=meeting.pk, organisation=ministry.pk),
            **attendance_row(1, meeting=meeting.pk, organisation=ministry.pk),
        ),
        secure=True,
    )

    assert response.status_code == 200
    attendances = response.context["inline_admin_formsets"][1].formset
    assert attendances.errors == [{}, {"organisation": [ORGANISATION_RECORDED]}]
    assert meeting.attendances.count() == 0


def test_meeting_admin_refuses_an_attendance_row_repeating_a_recorded_person(
    admin_client,
):
    meeting = MeetingFactory(
        starts_at=tashkent(2025, 1, 29, 10), ends_at=tashkent(2025, 1, 29, 12)
    )
    recorded = AttendanceFactory(meeting=meeting)

    response = admin_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_data(
            title=meeting.title,
            seen_version=meeting.version,
            **{"attendances-TOTAL_FORMS": 2, "attendances-INITIAL_FORMS": 1},
            **attendance_row(0, recorded),
            **attendance_row(
                1,
                meeting=meeting.pk,
                organisation=recorded.organisation_id,
                person=recorded.person_id,
            ),
        ),
        secure=True,
    )

    assert response.status_code == 200
    attendances = response.context["inline_admin_formsets"][1].formset
    # The recorded row comes back unchanged, so it is not cleaned again
    # (core.admin.HamkorInlineFormSet): the new row is checked against the
    # database, and the error stands beside it.
    assert attendances.errors == [
        {},
        {
            "person": [
                "This person is already recorded at this meeting for this organisation."
            ]
        },
    ]
    assert meeting.attendances.count() == 1


def test_meeting_admin_folds_an_organisation_only_row_into_a_person_row_posted_with_it(
    admin_client,
):
    meeting = MeetingFactory(
        starts_at=tashkent(2025, 1, 29, 10), ends_at=tashkent(2025, 1, 29, 12)
    )
    ministry = OrganisationFactory()
    person = PersonFactory()

    response = admin_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_data(
            title=meeting.title,
            seen_version=meeting.version,
            **{"attendances-TOTAL_FORMS": 2},
            **attendance_row(0, meeting=meeting.pk, organisation=ministry.pk),
            **attendance_row(
                1, meeting=meeting.pk, organisation=ministry.pk, person=person.pk
            ),
        ),
        secure=True,
    )

    assert response.status_code == 302
    assert set(meeting.attendances.values_list("organisation", "person")) == {
        (ministry.pk, person.pk),
    }


# Agenda


def test_admin_refuses_the_same_topic_twice_on_a_meeting(admin_client):
    item = AgendaItemFactory()

    response = admin_client.post(
        reverse("admin:meetings_agendaitem_add"),
        {
            "meeting": item.meeting_id,
            "topic": item.topic_id,
            "order": 2,
            "notes": "",
            "outcome": "",
        },
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["topic"] == [TOPIC_ON_AGENDA]
    assert AgendaItem.objects.count() == 1


def test_meeting_admin_refuses_the_same_topic_twice_in_its_agenda(admin_client):
    topic = TopicFactory()

    response = admin_client.post(
        reverse("admin:meetings_meeting_add"),
        meeting_data(
            **{
                "agenda_items-TOTAL_FORMS": 2,
                "agenda_items-0-order": 1,
                "agenda_items-0-topic": topic.pk,
                "agenda_items-1-order": 2,
                "agenda_items-1-topic": topic.pk,
            }
        ),
        secure=True,
    )

    assert response.status_code == 200
    agenda = response.context["inline_admin_formsets"][0].formset
    assert agenda.prefix == "agenda_items"
    assert agenda.non_form_errors() == ["Please correct the duplicate data for topic."]
    assert Meeting.objects.count() == 0
    assert AgendaItem.objects.count() == 0


def test_database_refuses_the_same_topic_twice_on_a_meeting():
    item = AgendaItemFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItemFactory(meeting=item.meeting, topic=item.topic)


def test_admin_refuses_a_topic_whose_name_exists_in_other_case(admin_client):
    TopicFactory(name="National Healthcare Information System")

    response = admin_client.post(
        reverse("admin:meetings_topic_add"),
        {"name": "national healthcare information system", "description": ""},
        secure=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [TOPIC_TAKEN]}
    assert Topic.objects.count() == 1


def test_database_refuses_a_topic_whose_name_exists_in_other_case():
    TopicFactory(name="National Healthcare Information System")

    with pytest.raises(IntegrityError), transaction.atomic():
        TopicFactory(name="national healthcare information system")


# Readable names


def test_a_meeting_reads_as_its_tashkent_date_and_title():
    # 20:00 UTC on the 28th is already the 29th in Tashkent.
    meeting = MeetingFactory(
        title="Digital health roundtable",
        starts_at=datetime.datetime(2025, 1, 28, 20, tzinfo=datetime.UTC),
        ends_at=None,
    )

    assert str(meeting) == "29 Jan 2025 — Digital health roundtable"


def test_an_attendance_names_the_person_the_organisation_and_the_meeting():
    meeting = MeetingFactory(
        title="Digital health roundtable", starts_at=tashkent(2025, 1, 29, 10)
    )
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    person = PersonFactory(full_name="Aziz Karimov")

    with_person = AttendanceFactory(meeting=meeting, organisation=who, person=person)
    without_person = AttendanceFactory(meeting=meeting, organisation=who, person=None)

    assert str(with_person) == (
        "Aziz Karimov, World Health Organization (WHO) at "
        "29 Jan 2025 — Digital health roundtable"
    )
    assert str(without_person) == (
        "World Health Organization (WHO) at 29 Jan 2025 — Digital health roundtable"
    )


def test_topics_agenda_items_and_follow_ups_read_plainly():
    topic = TopicFactory(name="National healthcare information system")
    item = AgendaItemFactory(topic=topic, order=3)
    action = (
        "Send the draft roadmap for the national healthcare information system to "
        "every ministry represented at the meeting"
    )
    follow_up = FollowUpFactory(action=action)

    assert str(topic) == "National healthcare information system"
    assert str(item) == "3. National healthcare information system"
    assert str(follow_up) == action[:79] + "…"


@pytest.mark.parametrize(
    "action",
    [
        "Short",
        "x" * 80,  # fits
        "x" * 81,  # does not
        "e\u0301" * 50,  # 100 code points, 50 letters once composed (NFC)
        "e\u0302\u0323" * 40,  # two accents, composed into one letter
        "x\u0301" * 50,  # 100 code points, none composed: 50 letters, fits
    ],
)
def test_a_follow_ups_name_is_its_action_truncated_as_django_truncates(action):
    assert str(FollowUpFactory.build(action=action)) == Truncator(action).chars(80)


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Attendance, "role"),
        (Attendance, "status"),
        (Meeting, "status"),
        (Meeting, "format"),
        (FollowUp, "status"),
    ],
)
def test_the_display_of_a_choice_is_djangos(model, field):
    # get_FOO_display is overridden for speed; it must say what Django's does,
    # for every choice and for a value that is not one.
    django_display = models.Model._get_FIELD_display
    choices = model._meta.get_field(field).choices
    for value in [*(value for value, _label in choices), "not-a-choice", ""]:
        row = model(**{field: value})
        assert getattr(row, f"get_{field}_display")() == django_display(
            row, model._meta.get_field(field)
        )
