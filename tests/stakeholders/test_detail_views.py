"""The organisation and person pages: login required, 404 for an unknown record,
the hierarchy, people, meetings and follow-ups of an organisation, a person's
positions over time and on whose behalf they attended, text escaped, and a fixed
number of queries whatever the number of related rows."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from meetings.models import Attendance
from meetings.services import demo_load
from stakeholders.models import Organisation
from stakeholders.views import OrganisationDetailView, PersonDetailView
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationIdentifierFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
WHO_OFFICE = "WHO Representative Office in Uzbekistan"


def organisation_url(organisation):
    return reverse("organisations:detail", args=[organisation.pk])


def person_url(person):
    return reverse("people:detail", args=[person.pk])


def link(url_name, obj, text):
    return f'href="{reverse(url_name, args=[obj.pk])}">{escape(text)}</a>'


def table_rows(content):
    return re.findall(r"<tr>.*?</tr>", content, re.DOTALL)


def row_linking(content, text):
    """The one table row of the page whose link text is ``text``."""
    rows = [row for row in table_rows(content) if f">{escape(text)}</a>" in row]
    assert len(rows) == 1, f"{len(rows)} rows link {text!r}"
    return rows[0]


def section(content, heading_id):
    """The HTML of the page from the heading ``heading_id`` to the next <h2>."""
    after = content.split(f'id="{heading_id}"', 1)[1]
    return after.split("<h2", 1)[0]


def who_office():
    return Organisation.objects.get(name=WHO_OFFICE, is_active=True)


# Access and bad input, both pages.

PAGES = [
    (OrganisationFactory, organisation_url, "organisations"),
    (PersonFactory, person_url, "people"),
]


@pytest.mark.parametrize(("factory", "url", "prefix"), PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, factory, url, prefix):
    record = factory()

    response = client.get(url(record))

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url(record)}"


@pytest.mark.parametrize(("factory", "url", "prefix"), PAGES)
def test_it_opens_for_a_user_who_is_not_staff(user_client, factory, url, prefix):
    record = factory()

    response = user_client.get(url(record))

    assert response.status_code == 200
    content = response.content.decode()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", content, re.DOTALL).group(1)
    assert heading.startswith(escape(getattr(record, "name", str(record))))
    assert "Edit in admin" not in content


@pytest.mark.parametrize(("factory", "url", "prefix"), PAGES)
def test_an_unknown_id_is_not_found(user_client, factory, url, prefix):
    record = factory()

    response = user_client.get(reverse(f"{prefix}:detail", args=[record.pk + 1]))

    assert response.status_code == 404


@pytest.mark.parametrize(("factory", "url", "prefix"), PAGES)
def test_an_id_that_is_not_a_number_is_not_found(user_client, factory, url, prefix):
    factory()

    assert user_client.get(f"/{prefix}/who/").status_code == 404


@pytest.mark.parametrize(
    ("factory", "url", "admin_url_name"),
    [
        (
            OrganisationFactory,
            organisation_url,
            "admin:stakeholders_organisation_change",
        ),
        (PersonFactory, person_url, "admin:stakeholders_person_change"),
    ],
)
def test_it_shows_staff_an_edit_in_admin_link(
    admin_client, factory, url, admin_url_name
):
    record = factory()

    content = admin_client.get(url(record)).content.decode()

    assert f'href="{reverse(admin_url_name, args=[record.pk])}">Edit in admin' in (
        content
    )


# The organisation page, on the seed data.


def test_the_who_office_shows_its_parent_and_the_seed_meeting_it_hosted(user_client):
    meeting = demo_load()
    office = who_office()

    content = user_client.get(organisation_url(office)).content.decode()

    assert content.count("<h1") == 1
    breadcrumb = content.split('class="breadcrumb', 1)[1].split("</ol>")[0]
    assert link("organisations:detail", office.parent, "World Health Organization") in (
        breadcrumb
    )
    assert WHO_OFFICE in breadcrumb
    row = row_linking(content, meeting.title)
    assert ">Host</td>" in row
    assert "hosted" in row
    assert "29 Jan 2025" in row


def test_the_who_headquarters_lists_the_office_and_the_meeting_it_initiated(
    user_client,
):
    meeting = demo_load()
    who = Organisation.objects.get(acronym="WHO")

    content = user_client.get(organisation_url(who)).content.decode()

    children = section(content, "children-heading")
    assert link("organisations:detail", who_office(), WHO_OFFICE) in children
    assert f'href="{reverse("organisations:list")}?parent={who.pk}"' in children
    # WHO headquarters initiated the meeting without attending it.
    row = row_linking(content, meeting.title)
    assert "initiated" in row
    assert "hosted" not in row
    assert "No attendance recorded" in row


def test_it_links_to_the_meetings_list_filtered_by_the_organisation(user_client):
    demo_load()
    office = who_office()

    content = user_client.get(organisation_url(office)).content.decode()

    assert f'href="{reverse("meetings:list")}?organisation={office.pk}"' in content


# The organisation page, in detail.


def test_it_shows_the_whole_parent_chain_nearest_last(user_client):
    cabinet = OrganisationFactory(name="Cabinet of Ministers")
    ministry = OrganisationFactory(name="Ministry of Health", parent=cabinet)
    centre = OrganisationFactory(name="eHealth Centre", parent=ministry)

    content = user_client.get(organisation_url(centre)).content.decode()

    breadcrumb = content.split('class="breadcrumb', 1)[1].split("</ol>")[0]
    assert breadcrumb.index("Cabinet of Ministers") < breadcrumb.index(
        "Ministry of Health"
    )
    assert breadcrumb.index("Ministry of Health") < breadcrumb.index("eHealth Centre")


def test_it_shows_contact_details_other_names_and_identifiers(user_client):
    organisation = OrganisationFactory(
        name="KfW Bank",
        acronym="KfW",
        country="DE",
        website="https://www.kfw.de",
        email="info@kfw.de",
        phone="+49 69 7431 0",
        address="Palmengartenstraße 5-9\nFrankfurt am Main",
        notes="Funds the eHealth programme.",
    )
    OrganisationNameFactory(organisation=organisation, name="Банк KfW")
    OrganisationIdentifierFactory(organisation=organisation, scheme="XM-DAC", value="7")

    content = user_client.get(organisation_url(organisation)).content.decode()

    assert "KfW Bank" in content
    assert "(KfW)" in content
    assert "Germany" in content
    assert 'href="https://www.kfw.de"' in content
    assert 'href="mailto:info@kfw.de"' in content
    assert "+49 69 7431 0" in content
    assert "Palmengartenstraße 5-9<br>Frankfurt am Main" in content
    assert "Funds the eHealth programme." in content
    names = section(content, "names-heading")
    assert "Банк KfW" in names
    assert "Russian" in names
    identifiers = section(content, "identifiers-heading")
    assert "XM-DAC" in identifiers
    assert "<code>7</code>" in identifiers
    assert ">active<" in content


def test_it_marks_an_inactive_organisation(user_client):
    organisation = OrganisationFactory(is_active=False)

    content = user_client.get(organisation_url(organisation)).content.decode()

    assert ">inactive<" in content


def test_it_does_not_link_a_website_that_is_not_http(user_client):
    organisation = OrganisationFactory(website="javascript:alert(1)")

    content = user_client.get(organisation_url(organisation)).content.decode()

    assert 'href="javascript:' not in content


def test_it_separates_current_from_past_positions(user_client):
    organisation = OrganisationFactory()
    today = timezone.localdate()
    current = PositionFactory(
        organisation=organisation,
        person__full_name="Aziza Karimova",
        title="Head of digital health",
        department="eHealth",
    )
    PositionFactory(
        organisation=organisation,
        person__full_name="Bobur Aliyev",
        title="Adviser",
        until=today - datetime.timedelta(days=1),
    )

    content = user_client.get(organisation_url(organisation)).content.decode()

    people = section(content, "people-heading")
    current_part, past_part = people.split("Past positions")
    row = row_linking(current_part, "Aziza Karimova")
    assert link("people:detail", current.person, "Aziza Karimova") in row
    assert "Head of digital health" in row
    assert "eHealth" in row
    assert "1 Jan 2024" in row
    assert "Bobur Aliyev" in past_part
    assert "Bobur Aliyev" not in current_part


def test_it_lists_each_attendance_row_of_a_meeting_with_its_person(user_client):
    organisation = OrganisationFactory()
    meeting = MeetingFactory(title="Steering committee")
    AttendanceFactory(
        meeting=meeting,
        organisation=organisation,
        person__full_name="Aziza Karimova",
        role=Attendance.Role.PRESENTER,
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=organisation,
        person__full_name="Bobur Aliyev",
        status=Attendance.Status.ABSENT,
    )
    # Another organisation's row at the same meeting is not this one's.
    AttendanceFactory(meeting=meeting, person__full_name="Dilnoza Yusupova")

    content = user_client.get(organisation_url(organisation)).content.decode()

    meetings = section(content, "meetings-heading")
    assert 'rowspan="2"' in meetings
    assert row_linking(meetings, "Steering committee").count(">Presenter</td>") == 1
    assert "Aziza Karimova" in meetings
    assert "Bobur Aliyev" in meetings
    assert "Absent" in meetings
    assert "Dilnoza Yusupova" not in content


def test_it_lists_meetings_newest_first(user_client):
    organisation = OrganisationFactory()
    older = MeetingFactory(
        title="Kick-off",
        host=organisation,
        starts_at=datetime.datetime(2025, 1, 29, 5, tzinfo=datetime.UTC),
    )
    newer = MeetingFactory(
        title="Review",
        host=organisation,
        starts_at=datetime.datetime(2025, 6, 2, 5, tzinfo=datetime.UTC),
    )

    content = user_client.get(organisation_url(organisation)).content.decode()

    assert content.index(newer.title) < content.index(older.title)


def test_it_shows_the_follow_ups_the_organisation_owns(user_client):
    organisation = OrganisationFactory()
    meeting = MeetingFactory(title="Steering committee")
    FollowUpFactory(
        meeting=meeting,
        owner_organisation=organisation,
        action="Send the draft roadmap",
        due_on=datetime.date(2025, 3, 1),
    )
    FollowUpFactory(meeting=meeting, action="Someone else's task")

    content = user_client.get(organisation_url(organisation)).content.decode()

    follow_ups = section(content, "follow-ups-heading")
    row = row_linking(follow_ups, "Steering committee")
    assert "Send the draft roadmap" in row
    assert "1 Mar 2025" in row
    assert "Open" in row
    assert "Someone else" not in content


def test_the_organisation_page_escapes_text_entered_by_users(user_client):
    parent = OrganisationFactory(name=f"{SCRIPT} parent")
    organisation = OrganisationFactory(
        name=SCRIPT, acronym="X", notes=SCRIPT, address=SCRIPT, parent=parent
    )
    OrganisationNameFactory(organisation=organisation, name=SCRIPT)
    OrganisationFactory(parent=organisation, name=f"{SCRIPT} child")
    PositionFactory(organisation=organisation, person__full_name=SCRIPT, title=SCRIPT)
    AttendanceFactory(organisation=organisation, meeting__title=SCRIPT)
    FollowUpFactory(owner_organisation=organisation, action=SCRIPT)

    content = user_client.get(organisation_url(organisation)).content.decode()

    assert SCRIPT not in content
    assert content.count(escape(SCRIPT)) >= 10


# The person page.


def test_it_shows_on_whose_behalf_a_person_attended_not_their_current_job(
    user_client,
):
    meeting = demo_load()
    person = PersonFactory(full_name="Aziza Karimova")
    now_at = OrganisationFactory(name="Ministry of Digital Technologies (new job)")
    PositionFactory(person=person, organisation=now_at, title="Director")
    who = who_office()
    AttendanceFactory(
        meeting=meeting, organisation=who, person=person, role=Attendance.Role.HOST
    )

    content = user_client.get(person_url(person)).content.decode()

    row = row_linking(content, meeting.title)
    assert link("organisations:detail", who, WHO_OFFICE) in row
    assert ">Host</td>" in row
    assert "Attended" in row
    assert now_at.name not in row
    assert "29 Jan 2025" in row


def test_it_shows_positions_over_time_with_the_current_one_marked(user_client):
    person = PersonFactory(full_name="Aziza Karimova")
    current = PositionFactory(
        person=person,
        organisation__name="UZINFOCOM",
        title="Product owner",
        since=datetime.date(2024, 2, 1),
    )
    PositionFactory(
        person=person,
        organisation__name="Ministry of Health",
        title="Analyst",
        department="Statistics",
        since=datetime.date(2020, 1, 1),
        until=datetime.date(2024, 1, 31),
    )

    content = user_client.get(person_url(person)).content.decode()

    positions = section(content, "positions-heading")
    now = row_linking(positions, "UZINFOCOM")
    assert link("organisations:detail", current.organisation, "UZINFOCOM") in now
    assert "Product owner" in now
    assert ">current<" in now
    before = row_linking(positions, "Ministry of Health")
    assert "Analyst" in before
    assert "Statistics" in before
    assert "1 Jan 2020" in before
    assert "31 Jan 2024" in before
    assert ">current<" not in before
    assert positions.index("UZINFOCOM") < positions.index("Ministry of Health")


def test_it_shows_contact_details_and_a_do_not_contact_badge(user_client):
    person = PersonFactory(
        email="aziza@example.uz",
        phone="+998 71 000 00 00",
        notes="Prefers Uzbek.",
        do_not_contact=True,
    )

    content = user_client.get(person_url(person)).content.decode()

    assert 'href="mailto:aziza@example.uz"' in content
    assert "+998 71 000 00 00" in content
    assert "Prefers Uzbek." in content
    assert ">do not contact<" in content


def test_it_shows_the_follow_ups_a_person_owns(user_client):
    person = PersonFactory()
    FollowUpFactory(
        owner_person=person,
        owner_organisation__name="UZINFOCOM",
        meeting__title="Steering committee",
        action="Share the integration roadmap",
    )

    content = user_client.get(person_url(person)).content.decode()

    row = row_linking(section(content, "follow-ups-heading"), "Steering committee")
    assert "Share the integration roadmap" in row
    assert ">UZINFOCOM</a>" in row


def test_the_person_page_escapes_text_entered_by_users(user_client):
    person = PersonFactory(full_name=SCRIPT, notes=SCRIPT, phone=SCRIPT)
    PositionFactory(person=person, organisation__name=SCRIPT, title=SCRIPT)
    AttendanceFactory(
        person=person, organisation__name=f"{SCRIPT} 2", meeting__title=SCRIPT
    )
    FollowUpFactory(owner_person=person, action=SCRIPT)

    content = user_client.get(person_url(person)).content.decode()

    assert SCRIPT not in content
    assert content.count(escape(SCRIPT)) >= 8


# Queries.


def make_organisation(n):
    """An organisation under a parent with ``n`` of each: other names,
    identifiers, sub-organisations, current and past positions, attendance rows
    each with a person at its own meeting, meetings hosted, meetings initiated
    and follow-ups owned with a person."""
    organisation = OrganisationFactory(parent=OrganisationFactory())
    OrganisationNameFactory.create_batch(n, organisation=organisation)
    OrganisationIdentifierFactory.create_batch(n, organisation=organisation)
    OrganisationFactory.create_batch(n, parent=organisation)
    PositionFactory.create_batch(n, organisation=organisation)
    PositionFactory.create_batch(
        n, organisation=organisation, until=datetime.date(2024, 6, 30)
    )
    AttendanceFactory.create_batch(n, organisation=organisation)
    MeetingFactory.create_batch(n, host=organisation)
    for meeting in MeetingFactory.create_batch(n):
        meeting.initiators.add(organisation)
    FollowUpFactory.create_batch(
        n, owner_organisation=organisation, owner_person=PersonFactory()
    )
    return organisation


@pytest.mark.parametrize("n", [2, 20])
def test_the_organisation_page_queries_do_not_grow_with_rows(
    user_client, django_assert_num_queries, n
):
    organisation = make_organisation(n)

    # session, user with its permissions,
    # organisation with its parent chain and sub-organisations and their
    # types, other names with identifiers, positions with people, meetings,
    # attendance rows with people, follow-ups with meetings and people,
    # assessments with who made them (the names in the reader's language
    # come with the parent chain)
    with django_assert_num_queries(9):
        response = user_client.get(organisation_url(organisation))

    assert response.status_code == 200
    # 3 × 20 meetings pass the 50 shown: the newest 50, and a link to the rest.
    assert len(response.context["meetings"]) == min(3 * n, 50)
    assert response.context["more_meetings"] == (3 * n > 50)
    assert len(response.context["current_positions"]) == n
    assert len(response.context["past_positions"]) == n


@pytest.mark.parametrize("depth", [1, 6])
def test_the_parent_chain_costs_one_query_whatever_its_depth(
    user_client, django_assert_num_queries, depth
):
    organisation = None
    for level in range(depth + 1):
        organisation = OrganisationFactory(name=f"Level {level}", parent=organisation)

    # session, user with its permissions,
    # organisation with its parent chain and sub-organisations, other names
    # with identifiers, positions, meetings, follow-ups, assessments (no
    # meetings: no attendance rows to read; the names in the reader's
    # language come with the parent chain)
    with django_assert_num_queries(8):
        response = user_client.get(organisation_url(organisation))

    assert [o.name for o in response.context["ancestors"]] == [
        f"Level {level}" for level in reversed(range(depth))
    ]


def test_a_parent_cycle_in_the_database_does_not_loop(user_client):
    first = OrganisationFactory(name="First")
    second = OrganisationFactory(name="Second", parent=first)
    # Written past the model's validation, as a bad import could.
    Organisation.objects.filter(pk=first.pk).update(parent=second)

    response = user_client.get(organisation_url(second))

    assert response.status_code == 200
    assert [o.name for o in response.context["ancestors"]] == ["First"]


def make_person(n):
    """A person with ``n`` of each: positions at different organisations,
    attendance rows at different meetings for different organisations, and
    follow-ups owned with an organisation."""
    person = PersonFactory()
    PositionFactory.create_batch(n, person=person)
    AttendanceFactory.create_batch(n, person=person)
    FollowUpFactory.create_batch(n, owner_person=person)
    return person


@pytest.mark.parametrize("n", [2, 20])
def test_the_person_page_queries_do_not_grow_with_rows(
    user_client, django_assert_num_queries, n
):
    person = make_person(n)

    # session, user with its permissions,
    # person, positions with organisations, attendance rows with
    # meetings and organisations, follow-ups with meetings and organisations
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(7):
        response = user_client.get(person_url(person))

    assert response.status_code == 200
    content = response.content.decode()
    for attendance in person.attendances.select_related("organisation", "meeting"):
        assert row_linking(content, attendance.meeting.title).count(
            escape(attendance.organisation.name)
        )


# Long sections: the newest rows, and the way to the rest.


def test_the_organisation_page_shows_the_newest_meetings_and_links_to_all(
    user_client, monkeypatch
):
    monkeypatch.setattr(OrganisationDetailView, "meetings_shown", 2)
    organisation = OrganisationFactory()
    day = datetime.datetime(2025, 3, 1, 10, tzinfo=datetime.UTC)
    titles = ["Oldest", "Middle", "Newest"]
    for offset, title in enumerate(titles):
        meeting = MeetingFactory(
            title=title, starts_at=day + datetime.timedelta(days=offset)
        )
        AttendanceFactory(meeting=meeting, organisation=organisation)

    content = user_client.get(organisation_url(organisation)).content.decode()

    meetings = section(content, "meetings-heading")
    assert "Newest" in meetings
    assert "Middle" in meetings
    assert "Oldest" not in meetings
    assert "Showing the 2 newest meetings." in meetings
    assert (
        f'href="{reverse("meetings:list")}?organisation={organisation.pk}"' in meetings
    )


def test_the_organisation_page_says_nothing_of_more_when_all_are_shown(
    user_client, monkeypatch
):
    monkeypatch.setattr(OrganisationDetailView, "meetings_shown", 2)
    monkeypatch.setattr(OrganisationDetailView, "positions_shown", 2)
    organisation = OrganisationFactory()
    AttendanceFactory.create_batch(2, organisation=organisation)
    PositionFactory.create_batch(2, organisation=organisation)

    content = user_client.get(organisation_url(organisation)).content.decode()

    assert "Showing the" not in content


def test_the_organisation_page_shows_the_current_positions_first_then_links(
    user_client, monkeypatch
):
    monkeypatch.setattr(OrganisationDetailView, "positions_shown", 2)
    organisation = OrganisationFactory()
    PositionFactory(
        organisation=organisation,
        person=PersonFactory(full_name="Past Holder"),
        since=datetime.date(2019, 1, 1),
        until=datetime.date(2020, 1, 1),
    )
    for name in ["Current One", "Current Two"]:
        PositionFactory(organisation=organisation, person=PersonFactory(full_name=name))

    content = user_client.get(organisation_url(organisation)).content.decode()

    people = section(content, "people-heading")
    assert "Current One" in people
    assert "Current Two" in people
    assert "Past Holder" not in people
    assert "Showing the 2 most recent positions." in people
    assert f'href="{reverse("people:list")}?organisation={organisation.pk}"' in people


def test_the_organisation_page_shows_the_first_follow_ups_by_due_date(
    user_client, monkeypatch
):
    monkeypatch.setattr(OrganisationDetailView, "follow_ups_shown", 1)
    organisation = OrganisationFactory()
    FollowUpFactory(
        owner_organisation=organisation,
        action="Later task",
        due_on=datetime.date(2025, 6, 1),
    )
    FollowUpFactory(
        owner_organisation=organisation,
        action="Sooner task",
        due_on=datetime.date(2025, 5, 1),
    )

    content = user_client.get(organisation_url(organisation)).content.decode()

    follow_ups = section(content, "follow-ups-heading")
    assert "Sooner task" in follow_ups
    assert "Later task" not in follow_ups
    assert "Showing the first follow-up by due date." in follow_ups
    # The rest are on the worklist, filtered by the organisation.
    assert f'href="/follow-ups/?owner_organisation={organisation.pk}"' in follow_ups


def test_the_person_page_shows_the_newest_meetings_of_all(user_client, monkeypatch):
    monkeypatch.setattr(PersonDetailView, "attendance_shown", 2)
    monkeypatch.setattr(PersonDetailView, "follow_ups_shown", 1)
    person = PersonFactory()
    day = datetime.datetime(2025, 3, 1, 10, tzinfo=datetime.UTC)
    for offset, title in enumerate(["Oldest", "Middle", "Newest"]):
        meeting = MeetingFactory(
            title=title, starts_at=day + datetime.timedelta(days=offset)
        )
        AttendanceFactory(meeting=meeting, person=person)
    FollowUpFactory.create_batch(3, owner_person=person)

    content = user_client.get(person_url(person)).content.decode()

    meetings = section(content, "meetings-heading")
    assert "Newest" in meetings
    assert "Middle" in meetings
    assert "Oldest" not in meetings
    assert "Showing the 2 newest meetings." in meetings
    assert "Showing the first follow-up by due date." in content
    assert f'href="/follow-ups/?owner_person={person.pk}"' in content
