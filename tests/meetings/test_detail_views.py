"""The meeting page and its .ics file: login required, 404 for an unknown meeting,
the seed meeting shown whole (host, initiators, agenda, every organisation with
its role), attendance grouped by organisation, times in Tashkent, text escaped,
and a fixed number of queries whatever the number of related rows."""

import datetime
import re

import icalendar
import pytest
from django.urls import reverse
from django.utils.html import escape

from meetings.models import Attendance, Meeting
from meetings.services import demo_load
from stakeholders.models import Organisation
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

UZINFOCOM = (
    "Unified Integrator for the Development and Support of State Information Systems"
)

# The organisations the seed article names, and the role each played.
SEED_ROLES = {
    "WHO Representative Office in Uzbekistan": "Host",
    "Ministry of Health of the Republic of Uzbekistan": "Participant",
    "Ministry of Digital Technologies of the Republic of Uzbekistan": "Participant",
    "State Health Insurance Fund": "Participant",
    'Project Office "Center for Healthcare Projects"': "Participant",
    "Statistics Agency under the President of the Republic of Uzbekistan": (
        "Participant"
    ),
    UZINFOCOM: "Presenter",
    "KfW Bank": "Participant",
    "United Nations Office for Project Services": "Participant",
    "Deutsche Gesellschaft für Internationale Zusammenarbeit": "Participant",
}

SEED_TOPICS = [
    "WHO initiatives in digital healthcare",
    "Collaboration on the digitalisation of healthcare",
    "National healthcare information system",
]

SCRIPT = "<script>alert(1)</script>"
UTC = datetime.UTC


def detail_url(meeting):
    return reverse("meetings:detail", args=[meeting.pk])


def ics_url(meeting):
    return reverse("meetings:ics", args=[meeting.pk])


def table_rows(content):
    return re.findall(r"<tr>.*?</tr>", content, re.DOTALL)


def row_linking(content, name):
    """The one table row of the page whose link text is ``name``."""
    rows = [row for row in table_rows(content) if f">{escape(name)}</a>" in row]
    assert len(rows) == 1, f"{len(rows)} rows link {name!r}"
    return rows[0]


def definition(content, term):
    """The HTML of the <dd> following the <dt> ``term``."""
    match = re.search(
        rf"<dt[^>]*>{re.escape(term)}</dt>\s*<dd[^>]*>(.*?)</dd>", content, re.DOTALL
    )
    assert match, f"no {term!r} on the page"
    return match.group(1)


def link(url_name, obj, text):
    return f'href="{reverse(url_name, args=[obj.pk])}">{escape(text)}</a>'


def calendar_event(response):
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


# Access and bad input.


@pytest.mark.parametrize("url", [detail_url, ics_url])
def test_it_sends_anonymous_visitors_to_log_in(client, url):
    meeting = MeetingFactory()

    response = client.get(url(meeting))

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url(meeting)}"


@pytest.mark.parametrize("url", [detail_url, ics_url])
def test_it_opens_for_a_user_who_is_not_staff(user_client, url):
    meeting = MeetingFactory(title="Partners' quarterly review")

    response = user_client.get(url(meeting))

    assert response.status_code == 200
    assert "Partners" in response.content.decode()


@pytest.mark.parametrize("url_name", ["meetings:detail", "meetings:ics"])
def test_an_unknown_meeting_is_not_found(user_client, url_name):
    meeting = MeetingFactory()

    response = user_client.get(reverse(url_name, args=[meeting.pk + 1]))

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/meetings/first/", "/meetings/first.ics"])
def test_a_meeting_id_that_is_not_a_number_is_not_found(user_client, path):
    MeetingFactory()

    assert user_client.get(path).status_code == 404


def test_it_hides_the_edit_in_admin_link_from_users_who_are_not_staff(user_client):
    meeting = MeetingFactory()
    admin_url = reverse("admin:meetings_meeting_change", args=[meeting.pk])

    content = user_client.get(detail_url(meeting)).content.decode()

    assert admin_url not in content
    assert "Edit in admin" not in content


def test_it_shows_staff_an_edit_in_admin_link(admin_client):
    meeting = MeetingFactory()
    admin_url = reverse("admin:meetings_meeting_change", args=[meeting.pk])

    content = admin_client.get(detail_url(meeting)).content.decode()

    assert f'href="{admin_url}">Edit in admin</a>' in content


# The seed meeting.


def test_the_seed_meeting_shows_every_organisation_with_its_role(user_client):
    meeting = demo_load()

    content = user_client.get(detail_url(meeting)).content.decode()

    for name, role in SEED_ROLES.items():
        row = row_linking(content, name)
        organisation = Organisation.objects.get(name=name, is_active=True)
        assert link("organisations:detail", organisation, name) in row
        assert f">{role}</td>" in row
    assert len(table_rows(content)) == 1 + len(SEED_ROLES)  # header, one each


def test_the_seed_meeting_shows_its_host_initiators_and_agenda(user_client):
    meeting = demo_load()

    content = user_client.get(detail_url(meeting)).content.decode()

    assert "<h1" in content
    assert content.count("<h1") == 1
    assert escape(meeting.title) in content
    host = meeting.host
    assert link("organisations:detail", host, host.name) in definition(content, "Host")
    initiators = definition(content, "Initiated by")
    for initiator in meeting.initiators.all():
        assert link("organisations:detail", initiator, initiator.name) in initiators
    agenda = content.split('id="agenda-heading"')[1].split("</ol>")[0]
    hrefs = [
        f'href="{reverse("meetings:list")}?topic={item.topic_id}"'
        for item in meeting.agenda_items.order_by("order")
    ]
    assert [item.topic.name for item in meeting.agenda_items.order_by("order")] == (
        SEED_TOPICS
    )
    positions = [agenda.index(f"{href}") for href in hrefs]
    assert positions == sorted(positions), "topics out of order"
    for topic in SEED_TOPICS:
        assert topic in agenda


def test_the_seed_meeting_shows_its_date_without_a_time(user_client):
    meeting = demo_load()

    content = user_client.get(detail_url(meeting)).content.decode()

    assert "29 Jan 2025" in definition(content, "When")
    assert "00:00" not in content


def test_the_seed_meeting_links_its_calendar_file(user_client):
    meeting = demo_load()

    content = user_client.get(detail_url(meeting)).content.decode()

    assert f'href="{ics_url(meeting)}"' in content
    assert "Download .ics" in content


# Details.


def test_it_shows_a_timed_meeting_in_tashkent_time(user_client):
    meeting = MeetingFactory(
        starts_at=datetime.datetime(2025, 3, 4, 5, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2025, 3, 4, 7, 30, tzinfo=UTC),
    )

    when = definition(user_client.get(detail_url(meeting)).content.decode(), "When")

    assert "4 Mar 2025, 10:00" in when
    assert "12:30" in when
    assert "Asia/Tashkent" in when


def test_it_groups_attendance_by_organisation(user_client):
    meeting = MeetingFactory()
    ministry = OrganisationFactory(name="Ministry of Health")
    donor = OrganisationFactory(name="KfW Bank")
    AttendanceFactory(
        meeting=meeting, organisation=ministry, person=None, notes="Sent a letter"
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=ministry,
        person=PersonFactory(full_name="Aziza Karimova"),
        role=Attendance.Role.PRESENTER,
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=ministry,
        person=PersonFactory(full_name="Bobur Aliyev"),
        status=Attendance.Status.DECLINED,
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=donor,
        person=PersonFactory(full_name="Dilnoza Yusupova"),
        role=Attendance.Role.OBSERVER,
    )

    content = user_client.get(detail_url(meeting)).content.decode()

    ministry_row = row_linking(content, "Ministry of Health")
    assert "Aziza Karimova" in ministry_row
    assert "Bobur Aliyev" in ministry_row
    assert "Sent a letter" in ministry_row
    assert ">Presenter, Participant</td>" in ministry_row
    assert "Attended, Declined" in ministry_row
    donor_row = row_linking(content, "KfW Bank")
    assert "Dilnoza Yusupova" in donor_row
    assert ">Observer</td>" in donor_row
    # Presenters before observers.
    assert content.index(ministry_row) < content.index(donor_row)
    assert "2 organisations, 3 people" in content


def test_it_shows_follow_ups_with_their_owners(user_client):
    meeting = MeetingFactory()
    owner = OrganisationFactory(name="UZINFOCOM")
    person = PersonFactory(full_name="Aziza Karimova")
    FollowUpFactory(
        meeting=meeting,
        action="Share the integration roadmap",
        owner_organisation=owner,
        owner_person=person,
        due_on=datetime.date(2025, 3, 1),
    )

    content = user_client.get(detail_url(meeting)).content.decode()

    row = row_linking(content, "UZINFOCOM")
    assert "Share the integration roadmap" in row
    assert link("people:detail", person, "Aziza Karimova") in row
    assert "1 Mar 2025" in row
    assert "Open" in row


def test_it_escapes_text_entered_by_users(user_client):
    meeting = MeetingFactory(title=SCRIPT, summary=SCRIPT, venue=SCRIPT)
    meeting.initiators.set([OrganisationFactory(name=f"{SCRIPT} initiator")])
    AttendanceFactory(
        meeting=meeting,
        organisation=OrganisationFactory(name=f"{SCRIPT} office"),
        person=PersonFactory(full_name=SCRIPT),
    )
    AgendaItemFactory(meeting=meeting, topic=TopicFactory(name=SCRIPT), notes=SCRIPT)
    FollowUpFactory(meeting=meeting, action=SCRIPT)

    content = user_client.get(detail_url(meeting)).content.decode()

    assert SCRIPT not in content
    assert content.count(escape(SCRIPT)) >= 9


# Queries.


def make_meeting(n):
    """A meeting with ``n`` of each related row: initiators, agenda items,
    follow-ups owned by an organisation and a person, and attendance rows each
    with a person (half of them for one organisation)."""
    meeting = MeetingFactory()
    meeting.initiators.set(OrganisationFactory.create_batch(n))
    AgendaItemFactory.create_batch(n, meeting=meeting)
    FollowUpFactory.create_batch(n, meeting=meeting, owner_person=PersonFactory())
    shared = OrganisationFactory()
    AttendanceFactory.create_batch(n // 2, meeting=meeting, organisation=shared)
    AttendanceFactory.create_batch(n - n // 2, meeting=meeting)
    return meeting


@pytest.mark.parametrize("n", [2, 20])
def test_the_meeting_page_queries_do_not_grow_with_rows(
    user_client, django_assert_num_queries, n
):
    meeting = make_meeting(n)
    people = list(meeting.attendances.values_list("person__full_name", flat=True))

    # session, user with its permissions,
    # meeting with host, initiators, agenda with topics,
    # attendance with organisations, types and people, follow-ups with owners
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(8):
        response = user_client.get(detail_url(meeting))

    assert response.status_code == 200
    content = response.content.decode()
    assert len(people) == n
    assert all(escape(name) in content for name in people)


@pytest.mark.parametrize("n", [2, 20])
def test_the_calendar_file_queries_do_not_grow_with_agenda_items(
    user_client, django_assert_num_queries, n
):
    meeting = make_meeting(n)

    # session, user with its permissions, meeting, agenda with topics
    with django_assert_num_queries(4):
        response = user_client.get(ics_url(meeting))

    _calendar, event = calendar_event(response)
    topics = meeting.agenda_items.order_by("order").values_list(
        "topic__name", flat=True
    )
    assert str(event["DESCRIPTION"]).splitlines() == [
        "Agenda:",
        *(f"{number}. {topic}" for number, topic in enumerate(topics, start=1)),
    ]


# The .ics file.


def test_the_seed_meeting_calendar_file_parses_back(user_client):
    meeting = demo_load()

    response = user_client.get(ics_url(meeting))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="meeting-{meeting.pk}.ics"'
    )
    calendar, event = calendar_event(response)
    assert str(calendar["PRODID"]) == "-//Hamkor//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(event["UID"]) == f"meeting-{meeting.pk}@hamkor"
    assert str(event["SUMMARY"]) == meeting.title
    assert str(event["LOCATION"]) == "WHO Representative Office in Uzbekistan"
    assert str(event["STATUS"]) == "CONFIRMED"
    start = event.decoded("DTSTART")
    assert not isinstance(start, datetime.datetime)
    assert start == datetime.date(2025, 1, 29)
    assert event.decoded("DTEND") == datetime.date(2025, 1, 30)
    assert event.decoded("DTSTAMP").tzinfo is not None
    description = str(event["DESCRIPTION"])
    assert description.startswith(meeting.summary)
    for number, topic in enumerate(SEED_TOPICS, start=1):
        assert f"{number}. {topic}" in description


def test_a_timed_meeting_exports_its_start_and_end_in_utc(user_client):
    meeting = MeetingFactory(
        starts_at=datetime.datetime(2025, 3, 4, 5, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2025, 3, 4, 7, 30, tzinfo=UTC),
        venue="Tashkent, Amir Temur 4",
    )

    _calendar, event = calendar_event(user_client.get(ics_url(meeting)))

    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
    assert event.decoded("DTEND") == meeting.ends_at
    assert str(event["LOCATION"]) == "Tashkent, Amir Temur 4"


def test_a_meeting_without_an_end_exports_no_end(user_client):
    meeting = MeetingFactory(ends_at=None)

    _calendar, event = calendar_event(user_client.get(ics_url(meeting)))

    assert "DTEND" not in event


def test_a_two_day_meeting_by_date_exports_both_days(user_client):
    meeting = MeetingFactory(
        date_only=True,
        starts_at=datetime.datetime(2025, 5, 11, 19, 0, tzinfo=UTC),  # 12 May
        ends_at=datetime.datetime(2025, 5, 13, 19, 0, tzinfo=UTC),  # midnight 14 May
    )

    _calendar, event = calendar_event(user_client.get(ics_url(meeting)))
    when = definition(user_client.get(detail_url(meeting)).content.decode(), "When")

    assert event.decoded("DTSTART") == datetime.date(2025, 5, 12)
    assert event.decoded("DTEND") == datetime.date(2025, 5, 14)  # exclusive
    assert "12 May 2025" in when
    assert "13 May 2025" in when


def test_a_one_day_meeting_by_date_is_an_all_day_event(user_client):
    meeting = MeetingFactory(
        date_only=True,
        starts_at=datetime.datetime(2025, 1, 28, 19, 0, tzinfo=UTC),  # 29 January
        ends_at=None,
    )

    content = user_client.get(ics_url(meeting)).content.decode()

    assert "DTSTART;VALUE=DATE:20250129\r\n" in content
    assert "DTEND;VALUE=DATE:20250130\r\n" in content


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Meeting.Status.HELD, "CONFIRMED"),
        (Meeting.Status.PLANNED, "TENTATIVE"),
        (Meeting.Status.CANCELLED, "CANCELLED"),
    ],
)
def test_the_calendar_status_follows_the_meeting_status(user_client, status, expected):
    meeting = MeetingFactory(status=status)

    _calendar, event = calendar_event(user_client.get(ics_url(meeting)))

    assert str(event["STATUS"]) == expected
