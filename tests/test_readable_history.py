"""A record's history page reads as people speak: the changes to a meeting's
attendance, agenda and follow-ups, and to an organisation's other names,
identifiers and positions, with the user's name, names instead of ids, dates
in words and the words of a text that changed (issue 16, item 5)."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import Attendance, Meeting
from stakeholders.models import Organisation
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationIdentifierFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)
from tests.stakeholders.test_admin import form_data

pytestmark = pytest.mark.django_db


def history(client, record):
    meta = record._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[record.pk])
    return client.get(url)


def entries(response):
    return list(response.context["page_obj"])


def test_an_attendance_row_added_in_the_meetings_form_shows_on_its_history(
    admin_client, superuser
):
    superuser.first_name, superuser.last_name = "Dilnoza", "Karimova"
    superuser.save()
    meeting = MeetingFactory(title="Digital health steering group")
    giz = OrganisationFactory(name="Deutsche Gesellschaft", acronym="GIZ")
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    data = form_data(admin_client.get(url))
    prefix = "attendances"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    data[f"{prefix}-{total}-organisation"] = str(giz.pk)
    data[f"{prefix}-{total}-role"] = Attendance.Role.PARTICIPANT
    data[f"{prefix}-{total}-status"] = Attendance.Status.ATTENDED

    assert admin_client.post(url, data).status_code == 302

    response = history(admin_client, meeting)
    added = [e for e in entries(response) if not e.own]
    assert [(e.kind, e.subject, e.action, e.user) for e in added] == [
        ("Attendance", "Deutsche Gesellschaft (GIZ)", "Added", "Dilnoza Karimova")
    ]
    shown = {c.field: str(c.new) for c in added[0].changes}
    assert shown["On behalf of"] == "Deutsche Gesellschaft (GIZ)"
    assert shown["Status"] == "Attended"
    # Not the meeting again: the page is the meeting's.
    assert "Meeting" not in shown
    page = response.content.decode()
    assert "Dilnoza Karimova" in page
    assert "None" not in page


def test_a_long_text_change_shows_the_words_that_changed_not_a_count(
    admin_client,
):
    before = (
        "The ministry presented the roadmap for the national electronic health "
        "record and asked partners to comment on the data exchange standards "
        "before the end of February."
    )
    meeting = MeetingFactory(summary=before)
    meeting.summary = before.replace("February", "March")
    meeting.save()

    response = history(admin_client, meeting)

    change = next(e for e in entries(response) if e.action == "Changed").changes
    assert [c.field for c in change] == ["Summary"]
    assert "<del>February.</del>" in change[0].old
    assert "<ins>March.</ins>" in change[0].new
    page = response.content.decode()
    assert "chars]" not in page
    assert "<ins>March.</ins>" in page


def test_dates_read_in_words_and_people_by_name(admin_client):
    meeting = MeetingFactory(
        starts_at=datetime.datetime(2025, 1, 29, 5, 0, tzinfo=datetime.UTC),
        ends_at=None,
    )
    host = OrganisationFactory(name="Uzinfocom", acronym="")
    meeting.starts_at = datetime.datetime(2025, 1, 30, 5, 0, tzinfo=datetime.UTC)
    meeting.host = host
    meeting.save()

    change = next(
        e for e in entries(history(admin_client, meeting)) if e.action == "Changed"
    )

    shown = {c.field: (str(c.old), str(c.new)) for c in change.changes}
    # 05:00 UTC is 10:00 in Tashkent.
    assert shown["Starts"] == ("29 Jan 2025, 10:00", "30 Jan 2025, 10:00")
    assert shown["Host"][1] == "Uzinfocom"


def test_a_change_by_a_command_reads_system_never_none(admin_client):
    meeting = MeetingFactory()

    (entry,) = entries(history(admin_client, meeting))

    assert entry.user == "system"


def test_an_organisations_history_shows_its_names_identifiers_and_positions(
    admin_client,
):
    organisation = OrganisationFactory(name="Ministry of Health")
    OrganisationNameFactory(
        organisation=organisation, name="Sogʻliqni saqlash vazirligi"
    )
    OrganisationIdentifierFactory(organisation=organisation, value="UZ-MOH-1")
    person = PersonFactory(full_name="Aziz Rahimov")
    PositionFactory(organisation=organisation, person=person, title="Deputy minister")

    response = history(admin_client, organisation)

    assert {(e.kind, e.subject) for e in entries(response) if not e.own} == {
        ("Other name", "Sogʻliqni saqlash vazirligi"),
        ("External identifier", "XM-DAC UZ-MOH-1"),
        ("Position", "Aziz Rahimov — Deputy minister"),
    }


def test_a_deleted_related_record_is_named_by_its_id(admin_client):
    meeting = MeetingFactory()
    organisation = OrganisationFactory()
    row = AttendanceFactory(meeting=meeting, organisation=organisation, person=None)
    row.delete()
    gone = organisation.pk
    Organisation.objects.filter(pk=gone).delete()

    rows = [e for e in entries(history(admin_client, meeting)) if not e.own]

    assert [e.action for e in rows] == ["Deleted", "Added"]
    assert rows[0].subject == f"#{gone} (deleted)"


def test_the_history_page_costs_the_same_queries_for_many_entries(
    admin_client, capture_queries
):
    def count_for(rows):
        meeting = MeetingFactory()
        for _ in range(rows):
            row = AttendanceFactory(meeting=meeting)
            row.notes = "changed"
            row.save()
        with capture_queries() as queries:
            assert history(admin_client, meeting).status_code == 200
        return len(queries)

    assert count_for(2) == count_for(12)


def test_history_pages_are_paged_newest_first(admin_client):
    meeting = MeetingFactory()
    for _ in range(60):
        AttendanceFactory(meeting=meeting)
    url = reverse("admin:meetings_meeting_history", args=[meeting.pk])

    first = admin_client.get(url)
    last = admin_client.get(url, {"p": first.context["page_obj"].paginator.num_pages})
    nonsense = admin_client.get(url, {"p": "abc"})

    dates = [e.when for e in entries(first)]
    assert dates == sorted(dates, reverse=True)
    assert first.context["page_obj"].paginator.count == 61
    assert entries(last)[-1].own  # the meeting's creation comes first in time
    assert nonsense.status_code == 200
    assert entries(nonsense) == entries(first)


def test_history_pages_are_for_staff_only(client, assert_admin_only):
    meeting = MeetingFactory()

    assert_admin_only(reverse("admin:meetings_meeting_history", args=[meeting.pk]))


def test_a_meeting_history_url_with_a_bad_id_is_not_found(admin_client):
    response = admin_client.get("/admin/meetings/meeting/abc/history/")

    assert response.status_code == 404


def test_a_deleted_meetings_history_still_opens(admin_client):
    meeting = MeetingFactory()
    pk = meeting.pk
    Meeting.objects.filter(pk=pk).delete()

    response = admin_client.get(reverse("admin:meetings_meeting_history", args=[pk]))

    assert response.status_code == 200
