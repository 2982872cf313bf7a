"""The attendance matrix (/attendance/), continued from test_attendance.py: the
pivot of organisations × meetings (the founding meeting's cells, which donors
came, paging by organisations, the 60-meeting cap) and the fixed number of
queries of the list and the pivot, filtered or not."""

import datetime

import pytest
from django.db import connection

from meetings.matrix import MAX_MEETINGS
from meetings.models import Meeting
from meetings.services import demo_load
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    TopicFactory,
)
from tests.meetings.test_attendance import LIST, Role, Status, local, of_type, pivot_of

pytestmark = pytest.mark.django_db


# The pivot


def test_the_pivot_of_the_founding_meeting(user_client):
    """The meeting of 29 January 2025: ten organisations attended, the WHO
    office hosting and UZINFOCOM presenting; the initiators are a fact of the
    meeting, not attendance."""
    seed = demo_load()

    response = user_client.get(LIST, {"view": "pivot"})

    assert response.status_code == 200
    pivot = response.context["pivot"]
    assert [m.title for m in pivot.meetings] == [seed.title]
    assert pivot_of(response) == {
        "Deutsche Gesellschaft für Internationale Zusammenarbeit": {
            seed.title: "Participant, attended"
        },
        "KfW Bank": {seed.title: "Participant, attended"},
        "Ministry of Digital Technologies of the Republic of Uzbekistan": {
            seed.title: "Participant, attended"
        },
        "Ministry of Health of the Republic of Uzbekistan": {
            seed.title: "Participant, attended"
        },
        'Project Office "Center for Healthcare Projects"': {
            seed.title: "Participant, attended"
        },
        "State Health Insurance Fund": {seed.title: "Participant, attended"},
        "Statistics Agency under the President of the Republic of Uzbekistan": {
            seed.title: "Participant, attended"
        },
        "Unified Integrator for the Development and Support of State Information "
        "Systems": {seed.title: "Presenter, attended"},
        "United Nations Office for Project Services": {
            seed.title: "Participant, attended"
        },
        "WHO Representative Office in Uzbekistan": {seed.title: "Host, attended"},
    }
    assert [row.total for row in response.context["object_list"]] == [1] * 10
    assert pivot.column_totals == [10]
    assert pivot.total == 10
    content = response.content.decode()
    assert "10 organisations × 1 meeting" in content
    assert '<div>Presenter</div><div class="small"><span aria-hidden="true"' in (
        content
    )
    # A phone's narrow column shows the acronym, the full name beside it.
    assert (
        'title="KfW Bank"><span class="d-none d-sm-inline">KfW Bank</span>'
        '<span class="d-sm-none">KfW</span></a>'
    ) in content


def test_which_donors_came_to_the_founding_meeting(user_client):
    seed = demo_load()

    response = user_client.get(LIST, {"view": "pivot", "type": "donor"})

    assert pivot_of(response) == {
        "Deutsche Gesellschaft für Internationale Zusammenarbeit": {
            seed.title: "Participant, attended"
        },
        "KfW Bank": {seed.title: "Participant, attended"},
        "United Nations Office for Project Services": {
            seed.title: "Participant, attended"
        },
    }
    assert response.context["pivot"].column_totals == [3]


def test_a_cell_of_several_people_shows_the_leading_role_and_the_best_status(
    user_client,
):
    meeting = MeetingFactory(title="Review")
    who = OrganisationFactory(name="WHO")
    AttendanceFactory(meeting=meeting, organisation=who, role=Role.OBSERVER)
    AttendanceFactory(
        meeting=meeting, organisation=who, role=Role.HOST, status=Status.DECLINED
    )
    AttendanceFactory(
        meeting=meeting, organisation=who, person=None, status=Status.INVITED
    )

    response = user_client.get(LIST, {"view": "pivot"})

    assert pivot_of(response) == {"WHO": {"Review": "Host, attended, 2 people"}}
    assert "2 people" in response.content.decode()


def test_an_organisation_that_missed_a_meeting_has_an_empty_cell(user_client):
    first = MeetingFactory(title="First", starts_at=local(2025, 1, 1, 10))
    second = MeetingFactory(title="Second", starts_at=local(2025, 2, 1, 10))
    kfw = OrganisationFactory(name="KfW Bank")
    giz = OrganisationFactory(name="GIZ")
    AttendanceFactory(meeting=first, organisation=kfw)
    AttendanceFactory(meeting=second, organisation=kfw, status=Status.ABSENT)
    AttendanceFactory(meeting=second, organisation=giz)

    response = user_client.get(LIST, {"view": "pivot"})

    pivot = response.context["pivot"]
    # Newest first.
    assert [m.title for m in pivot.meetings] == ["Second", "First"]
    assert pivot_of(response) == {
        "GIZ": {"Second": "Participant, attended"},
        "KfW Bank": {
            "Second": "Participant, absent",
            "First": "Participant, attended",
        },
    }
    assert [row.total for row in response.context["object_list"]] == [1, 2]
    assert pivot.column_totals == [2, 1]


def test_the_pivot_is_paged_by_organisations_and_totals_count_every_page(
    user_client,
):
    meeting = MeetingFactory(title="Big meeting")
    for number in range(55):
        AttendanceFactory(
            meeting=meeting,
            organisation=OrganisationFactory(name=f"Organisation {number:02}"),
        )

    first = user_client.get(LIST, {"view": "pivot", "type": "ministry"})
    second = user_client.get(LIST, {"view": "pivot", "type": "ministry", "page": 2})

    assert len(first.context["object_list"]) == 50
    assert list(pivot_of(second)) == [f"Organisation {n}" for n in range(50, 55)]
    assert second.context["pivot"].column_totals == [55]
    content = first.content.decode()
    assert "55 organisations × 1 meeting" in content
    assert 'href="?view=pivot&amp;type=ministry&amp;page=2"' in content


def test_the_pivot_shows_the_newest_60_meetings_and_says_so(user_client):
    kfw = OrganisationFactory(name="KfW Bank")
    meetings = [
        MeetingFactory(
            title=f"Meeting {number:02}",
            starts_at=local(2025, 1, 1, 10) + datetime.timedelta(days=number),
        )
        for number in range(MAX_MEETINGS + 1)
    ]
    for meeting in meetings:
        AttendanceFactory(meeting=meeting, organisation=kfw)

    response = user_client.get(LIST, {"view": "pivot"})

    pivot = response.context["pivot"]
    assert MAX_MEETINGS == 60
    assert [m.title for m in pivot.meetings] == [
        m.title for m in reversed(meetings[1:])
    ]
    assert pivot.more_meetings
    content = response.content.decode()
    assert "More than 60 meetings match this filter: the newest 60 are shown." in (
        content
    )
    assert "10 organisations" not in content
    assert "1 organisation × 60 meetings" in content

    narrowed = user_client.get(LIST, {"view": "pivot", "after": "2025-01-02"})

    assert len(narrowed.context["pivot"].meetings) == 60
    assert not narrowed.context["pivot"].more_meetings
    assert "More than 60" not in narrowed.content.decode()


# Queries


def make_meetings(count, donor, start):
    """``count`` meetings, each with the donor (two people), an organisation
    alone and one more with a person, and an agenda item."""
    for number in range(count):
        meeting = MeetingFactory(starts_at=start - datetime.timedelta(days=number))
        AgendaItemFactory(meeting=meeting)
        AttendanceFactory.create_batch(2, meeting=meeting, organisation=donor)
        AttendanceFactory(
            meeting=meeting, organisation=OrganisationFactory(), person=None
        )
        AttendanceFactory(meeting=meeting)


@pytest.fixture
def donor():
    return OrganisationFactory(name="KfW Bank", type=of_type("donor"))


def test_the_list_queries_do_not_grow_with_rows(
    user_client, django_assert_num_queries, donor
):
    make_meetings(1, donor, local(2025, 1, 1, 10))
    # session, user with its permissions, count, page (rows with their
    # meeting, organisation and type, person), the organisations' names in
    # the reader's language, type choices
    with django_assert_num_queries(6):
        response = user_client.get(LIST)
    assert len(response.context["object_list"]) == 4

    make_meetings(20, donor, local(2024, 1, 1, 10))
    with django_assert_num_queries(6):
        response = user_client.get(LIST)
    assert len(response.context["object_list"]) == 50


def test_the_filtered_list_queries_do_not_grow_with_rows(
    user_client, django_assert_num_queries, donor
):
    query = {"type": "donor", "organisation": donor.pk, "status": "attended"}
    make_meetings(1, donor, local(2025, 1, 1, 10))
    # session, user with its permissions, organisation of the filter, types
    # of the filter, the organisations of those types, count (the keys of
    # the rows, up to the limit), page, the organisations' names in the
    # reader's language, type choices
    with django_assert_num_queries(9):
        response = user_client.get(LIST, query)
    assert len(response.context["object_list"]) == 2

    make_meetings(30, donor, local(2024, 1, 1, 10))
    with django_assert_num_queries(9):
        response = user_client.get(LIST, query)
    assert len(response.context["object_list"]) == 50


def test_the_pivot_queries_do_not_grow_with_rows(
    user_client, django_assert_num_queries, donor
):
    make_meetings(1, donor, local(2025, 1, 1, 10))
    # session, user with its permissions, meetings (up to 61), cells
    # (grouped by organisation and meeting), their organisations (with their
    # names in the reader's language), type choices
    with django_assert_num_queries(6):
        response = user_client.get(LIST, {"view": "pivot"})
    assert len(response.context["object_list"]) == 3

    make_meetings(70, donor, local(2024, 1, 1, 10))
    with django_assert_num_queries(6):
        response = user_client.get(LIST, {"view": "pivot"})
    assert len(response.context["object_list"]) == 50
    assert len(response.context["pivot"].meetings) == 60


def on_the_agenda(topic):
    """``topic`` on the agenda of every meeting without it."""
    for meeting in Meeting.objects.exclude(agenda_items__topic=topic):
        AgendaItemFactory(meeting=meeting, topic=topic)


def test_the_filtered_pivot_queries_do_not_grow_with_rows(
    user_client, django_assert_num_queries, donor
):
    topic = TopicFactory()
    query = {"view": "pivot", "type": "donor", "topic": topic.pk, "after": "2020-01-01"}
    make_meetings(1, donor, local(2025, 1, 1, 10))
    on_the_agenda(topic)
    # session, user with its permissions, types of the filter, the
    # organisations of those types, topic of the filter, meetings, cells,
    # their organisations (with their names in the reader's language), type
    # choices
    with django_assert_num_queries(9):
        response = user_client.get(LIST, query)
    assert len(response.context["pivot"].meetings) == 1

    make_meetings(70, donor, local(2024, 1, 1, 10))
    on_the_agenda(topic)
    with django_assert_num_queries(9):
        response = user_client.get(LIST, query)
    assert len(response.context["pivot"].meetings) == 60


def test_a_types_organisations_are_one_parameter_on_postgresql(
    user_client, capture_queries
):
    """The type's organisations, read first, are given to the pivot's
    queries as a list (core.models.AmongIds): on PostgreSQL one array, not a
    parameter an organisation (at XL, 5,067 donors prepared, sent and planned
    in each of two queries), with the same cells."""
    meeting = MeetingFactory()
    donors = OrganisationFactory.create_batch(30, type=of_type("donor"))
    for donor in donors[:3]:
        AttendanceFactory(meeting=meeting, organisation=donor)
    AttendanceFactory(meeting=meeting)  # not a donor

    with capture_queries() as queries:
        response = user_client.get(LIST, {"view": "pivot", "type": "donor"})

    assert sorted(pivot_of(response)) == sorted(d.name for d in donors[:3])
    walk = next(sql for sql in queries.sql if '"meetings_meeting"."title"' in sql)
    if connection.vendor == "postgresql":
        assert '"organisation_id" = ANY(' in walk
    else:
        assert '"organisation_id" IN (' in walk
