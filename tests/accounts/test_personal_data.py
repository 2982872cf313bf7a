"""An administrator exports everything held about a person, and erases a person
with their history, leaving meetings and organisation-level attendance."""

import datetime
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.urls import reverse

from meetings.models import Attendance, FollowUp
from stakeholders.models import Person, Position
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

NAME = "Zilola Qodirova-Unique"
EMAIL = "zilola.unique@health.example.uz"


@pytest.fixture
def administrator(django_user_model, role):
    user = django_user_model.objects.create_user(username="administrator")
    user.groups.add(role("administrator"))
    return user


@pytest.fixture
def editor(django_user_model, role):
    user = django_user_model.objects.create_user(username="editor")
    user.groups.add(role("editor"))
    return user


@pytest.fixture
def person(admin_client):
    """A person with a history: edited in the admin, two positions, attendance
    at two meetings (one where the organisation also has its own row) and a
    follow-up."""
    ministry = OrganisationFactory(name="Ministry of Health")
    person = PersonFactory(full_name=NAME, email=EMAIL, notes="Prefers Uzbek.")
    PositionFactory(person=person, organisation=ministry, title="Head of e-health")
    PositionFactory(person=person, organisation=OrganisationFactory(), title="Adviser")
    shared = MeetingFactory(title="Shared meeting")
    AttendanceFactory(meeting=shared, organisation=ministry, person=None)
    AttendanceFactory(meeting=shared, organisation=ministry, person=person)
    alone = MeetingFactory(title="Alone meeting")
    AttendanceFactory(
        meeting=alone, organisation=ministry, person=person, notes=f"{NAME} spoke"
    )
    FollowUpFactory(meeting=alone, owner_person=person, owner_organisation=ministry)
    # An admin edit, so that the admin log and the history name the person.
    change = reverse("admin:stakeholders_person_change", args=[person.pk])
    data = {
        "full_name": NAME,
        "email": EMAIL,
        "phone": "+998 71 000 00 00",
        "notes": "Prefers Uzbek.",
        "seen_version": person.version,
        "positions-TOTAL_FORMS": 0,
        "positions-INITIAL_FORMS": 0,
    }
    assert admin_client.post(change, data).status_code == 302
    return Person.objects.get(pk=person.pk)


def every_text_in_the_database():
    """Every text value of every table, as one string."""
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            cursor.execute(f'SELECT * FROM "{model._meta.db_table}"')  # noqa: S608
            chunks.extend(
                str(value) for row in cursor.fetchall() for value in row if value
            )
    return "\n".join(chunks)


def test_the_export_holds_the_record_positions_attendance_and_history(
    client, administrator, person
):
    client.force_login(administrator)

    response = client.get(
        reverse("admin:stakeholders_person_personal_data", args=[person.pk])
    )

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["person"]["full_name"] == NAME
    assert data["person"]["email"] == EMAIL
    assert {p["title"] for p in data["positions"]} == {"Head of e-health", "Adviser"}
    assert {a["meeting_title"] for a in data["attendance"]} == {
        "Shared meeting",
        "Alone meeting",
    }
    assert len(data["follow_ups"]) == 1
    assert len(data["history"]["person"]) == 2  # created, then edited
    assert data["history"]["positions"]
    assert data["admin_log"]


def test_the_export_gives_a_date_only_meeting_its_local_date_alone(
    client, administrator
):
    person = PersonFactory(full_name=NAME)
    # Midnight of 29 January in Tashkent is 19:00 UTC the day before.
    by_date = MeetingFactory(
        title="By date",
        starts_at=datetime.datetime(2025, 1, 28, 19, tzinfo=datetime.UTC),
        date_only=True,
    )
    timed = MeetingFactory(
        title="Timed",
        starts_at=datetime.datetime(2025, 1, 29, 5, 30, tzinfo=datetime.UTC),
    )
    AttendanceFactory(meeting=by_date, person=person)
    AttendanceFactory(meeting=timed, person=person)
    client.force_login(administrator)

    response = client.get(
        reverse("admin:stakeholders_person_personal_data", args=[person.pk])
    )

    starts = {
        a["meeting_title"]: a["meeting_starts_at"]
        for a in json.loads(response.content)["attendance"]
    }
    assert starts["By date"] == "2025-01-29"
    assert datetime.datetime.fromisoformat(starts["Timed"]) == timed.starts_at


def test_erasure_leaves_no_trace_of_the_person(client, administrator, person):
    assert NAME in every_text_in_the_database()
    client.force_login(administrator)
    url = reverse("admin:stakeholders_person_erase", args=[person.pk])

    assert client.get(url).status_code == 200  # the confirmation page
    response = client.post(url)

    assert response.status_code == 302
    text = every_text_in_the_database()
    for trace in (NAME, EMAIL, "Qodirova", "Prefers Uzbek", "+998 71 000 00 00"):
        assert trace not in text
    assert not Person.objects.filter(pk=person.pk).exists()
    assert not Person.history.filter(id=person.pk).exists()
    assert not Position.objects.filter(person_id=person.pk).exists()


def test_erasure_keeps_meetings_and_organisation_level_attendance(
    client, administrator, person
):
    client.force_login(administrator)

    client.post(reverse("admin:stakeholders_person_erase", args=[person.pk]))

    rows = Attendance.objects.order_by("meeting__title").values_list(
        "meeting__title", "organisation__name", "person"
    )
    assert list(rows) == [
        ("Alone meeting", "Ministry of Health", None),
        ("Shared meeting", "Ministry of Health", None),
    ]
    follow_up = FollowUp.objects.get()
    assert follow_up.owner_person is None
    assert follow_up.owner_organisation.name == "Ministry of Health"


def test_erasure_is_recorded_without_personal_data(client, administrator, person):
    client.force_login(administrator)

    client.post(reverse("admin:stakeholders_person_erase", args=[person.pk]))

    entry = LogEntry.objects.get(object_repr=f"Person #{person.pk} (erased)")
    assert entry.user == administrator


@pytest.mark.parametrize("view", ["personal_data", "erase"])
def test_an_editor_may_neither_export_nor_erase(client, editor, person, view):
    client.force_login(editor)
    url = reverse(f"admin:stakeholders_person_{view}", args=[person.pk])

    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Person.objects.filter(pk=person.pk).exists()
