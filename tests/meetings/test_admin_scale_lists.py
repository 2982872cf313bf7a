"""The meetings admin as the data grows: the year filter that replaces the
date hierarchy, the type filters, the attendance search through the small
tables, lists counted only up to a limit, unsortable columns over big tables,
and an attendance row's form read in one query."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import paginators
from meetings import admin as meetings_admin
from meetings.models import Attendance, Meeting
from stakeholders.models import OrganisationType
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
)
from tests.meetings.test_admin import changelist
from tests.stakeholders.test_admin import listed

pytestmark = pytest.mark.django_db


def at(*args):
    return timezone.make_aware(datetime.datetime(*args))


# The year filter.


def test_the_year_filter_lists_the_meetings_of_a_local_year(admin_client):
    # 1 January 2025, 01:00 in Tashkent is still 2024 in UTC.
    new_year = MeetingFactory(starts_at=at(2025, 1, 1, 1))
    december = MeetingFactory(starts_at=at(2025, 12, 31, 23))
    MeetingFactory(starts_at=at(2024, 12, 31, 23))
    MeetingFactory(starts_at=at(2026, 1, 1, 0))

    response = admin_client.get(changelist("meeting"), {"starts_at__year": "2025"})

    assert sorted(listed(response)) == sorted([new_year.pk, december.pk])


def test_the_year_filter_offers_every_year_from_the_first_meeting_newest_first(
    admin_client,
):
    MeetingFactory(starts_at=at(2022, 3, 1, 10))
    MeetingFactory(starts_at=at(2025, 3, 1, 10))

    response = admin_client.get(changelist("meeting"))

    (year_filter,) = [
        spec for spec in response.context["cl"].filter_specs if spec.title == "year"
    ]
    assert [value for value, _label in year_filter.lookup_choices] == [
        "2025",
        "2024",
        "2023",
        "2022",
    ]


@pytest.mark.parametrize("year", ["abc", "0", "12345", "-1"])
def test_a_year_that_is_not_one_is_refused(admin_client, year):
    MeetingFactory()

    response = admin_client.get(changelist("meeting"), {"starts_at__year": year})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


@pytest.mark.parametrize("n", [2, 20])
def test_a_year_of_meetings_costs_the_same_queries_whatever_their_number(
    admin_client, django_assert_num_queries, n
):
    for day in range(n):
        MeetingFactory(starts_at=at(2025, 2, 1, 10) + datetime.timedelta(days=day))

    # session, user, first and last start, participant type choices, count,
    # page
    with django_assert_num_queries(6):
        response = admin_client.get(changelist("meeting"), {"starts_at__year": "2025"})

    assert len(listed(response)) == n


# Filters by organisation type.


def test_attendance_is_filtered_by_the_type_of_its_organisation(admin_client):
    donor = OrganisationType.objects.get(slug="donor")
    of_donors = [
        AttendanceFactory(organisation=OrganisationFactory(type=donor))
        for _ in range(2)
    ]
    AttendanceFactory()  # a ministry

    response = admin_client.get(
        changelist("attendance"), {"organisation__type__id__exact": donor.pk}
    )

    assert sorted(listed(response)) == sorted(row.pk for row in of_donors)


def test_a_type_that_is_not_one_is_refused(admin_client):
    AttendanceFactory()

    response = admin_client.get(
        changelist("attendance"), {"organisation__type__id__exact": "abc"}
    )

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


@pytest.mark.parametrize("n", [2, 20])
def test_meetings_by_participant_type_cost_the_same_queries_whatever_their_number(
    admin_client, django_assert_num_queries, n
):
    donor = OrganisationType.objects.get(slug="donor")
    for _ in range(n):
        AttendanceFactory(organisation=OrganisationFactory(type=donor))

    # session, user, first and last start, participant type choices, count,
    # page
    with django_assert_num_queries(6):
        response = admin_client.get(
            changelist("meeting"), {"participant_type": "donor"}
        )

    assert len(listed(response)) == n


# The attendance search.


@pytest.fixture
def rows():
    """Attendance rows findable by each of the searched names."""
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    uzinfocom = OrganisationFactory(name="Uzinfocom", acronym="")
    OrganisationNameFactory(organisation=uzinfocom, name="Узинфоком")
    return {
        "acronym": AttendanceFactory(organisation=who),
        "other name": AttendanceFactory(organisation=uzinfocom),
        "person": AttendanceFactory(person=PersonFactory(full_name="Азиза Каримова")),
        "meeting": AttendanceFactory(meeting=MeetingFactory(title="Donor roundtable")),
        "unrelated": AttendanceFactory(),
    }


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("who", "acronym"),
        ("УЗИНФОКОМ", "other name"),
        ("каримова", "person"),
        ("roundtable", "meeting"),
    ],
)
def test_attendance_is_found_by_organisation_person_or_meeting(
    admin_client, rows, term, found
):
    response = admin_client.get(changelist("attendance"), {"q": term})

    assert listed(response) == [rows[found].pk]


def test_an_empty_search_lists_every_row(admin_client, rows):
    response = admin_client.get(changelist("attendance"), {"q": "   "})

    assert len(listed(response)) == len(rows)


@pytest.mark.parametrize("n", [2, 20])
def test_an_attendance_search_costs_the_same_queries_whatever_it_finds(
    admin_client, django_assert_num_queries, n
):
    organisation = OrganisationFactory(name="Ministry of Health")
    AttendanceFactory.create_batch(n, organisation=organisation)
    AttendanceFactory.create_batch(3)

    # session, user, organisation type choices, how much the search finds
    # (SQLite only: PostgreSQL reads the rows one way whatever it finds),
    # count, page
    with django_assert_num_queries(6 if connection.vendor == "sqlite" else 5):
        response = admin_client.get(changelist("attendance"), {"q": "health"})

    assert len(listed(response)) == n


@pytest.mark.parametrize("broad", [False, True])
def test_a_broad_attendance_search_lists_the_same_rows(
    admin_client, monkeypatch, capture_queries, broad
):
    # A term that finds many organisations, people or meetings has the rows
    # tested as the list is read in its order; the list must not change.
    if broad:
        monkeypatch.setattr(meetings_admin, "BROAD_SEARCH", 2)
    health = OrganisationFactory(name="Ministry of Health")
    AttendanceFactory.create_batch(2, organisation=health)
    AttendanceFactory(person=PersonFactory(full_name="Health Adviser"))
    AttendanceFactory(meeting=MeetingFactory(title="Health financing"))
    AttendanceFactory.create_batch(3)
    expected = [
        str(row)
        for row in Attendance.objects.filter(
            Q(organisation=health)
            | Q(person__full_name="Health Adviser")
            | Q(meeting__title="Health financing")
        ).order_by("meeting_id", "pk")
    ]

    with capture_queries() as queries:
        response = admin_client.get(changelist("attendance"), {"q": "health"})

    assert [str(row) for row in response.context["cl"].result_list] == expected
    walked = any(
        '+"meetings_attendance"."organisation_id" IN' in sql for sql in queries.sql
    )
    assert walked == (broad and connection.vendor == "sqlite")


# Lists counted up to a limit.


@pytest.fixture
def count_limit(monkeypatch):
    """Attendance counted up to 60 rows, and paged by 5 (the limit reaches ten
    pages past the one asked for)."""
    attendance_admin = admin.site._registry[Attendance]
    monkeypatch.setattr(attendance_admin, "count_limit", 60)
    monkeypatch.setattr(attendance_admin, "list_per_page", 5)


def test_a_filtered_list_longer_than_the_limit_says_more_than(
    admin_client, count_limit
):
    meeting = MeetingFactory()
    AttendanceFactory.create_batch(61, meeting=meeting, role=Attendance.Role.OBSERVER)

    response = admin_client.get(changelist("attendance"), {"role__exact": "observer"})

    html = response.content.decode()
    assert "More than 60 attendance" in html
    assert "Select all attendance" in html
    assert len(listed(response)) == 5
    # The last page, which the limit does not cover, is counted to.
    last = admin_client.get(
        changelist("attendance"), {"role__exact": "observer", "p": "13"}
    )
    assert listed(last) == [Attendance.objects.order_by("pk").last().pk]


def test_a_filtered_list_within_the_limit_gives_its_exact_count(
    admin_client, count_limit
):
    AttendanceFactory.create_batch(55, role=Attendance.Role.OBSERVER)

    response = admin_client.get(changelist("attendance"), {"role__exact": "observer"})

    html = response.content.decode()
    assert "55 attendance" in html
    assert "More than" not in html
    assert "Select all 55 attendance" in html


def test_a_search_longer_than_the_limit_says_more_than(admin_client, count_limit):
    AttendanceFactory.create_batch(61, meeting=MeetingFactory(title="Health forum"))

    response = admin_client.get(changelist("attendance"), {"q": "forum"})

    assert "More than 60 results" in response.content.decode()


def test_an_unfiltered_list_is_counted_in_full(admin_client, count_limit):
    AttendanceFactory.create_batch(61, meeting=MeetingFactory())

    response = admin_client.get(changelist("attendance"))

    assert "61 attendance" in response.content.decode()
    assert response.context["cl"].result_count == 61


def test_an_unfiltered_list_of_a_large_table_says_about_its_estimated_size(
    admin_client, count_limit, monkeypatch, django_assert_num_queries
):
    """On PostgreSQL a table estimated at ESTIMATE_FROM rows or more is
    counted up to the limit, and its size given as the planner's estimate:
    a COUNT(*) of 2.5 M attendance rows was most of a page at XL. (Here the
    threshold is lowered to a small table's.) SQLite counts it in full."""
    monkeypatch.setattr(paginators, "ESTIMATE_FROM", 50)
    AttendanceFactory.create_batch(61, meeting=MeetingFactory())
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE meetings_attendance"
            if connection.vendor == "postgresql"
            else "SELECT 1"
        )

    # session, user, the type filter's types, count (with the estimate on
    # PostgreSQL), page
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("attendance"))

    html = response.content.decode()
    if connection.vendor == "postgresql":
        assert "About 61 attendance" in html
        assert response.context["cl"].paginator.exceeds_limit
    else:
        assert "61 attendance" in html
        assert "About" not in html
    assert len(listed(response)) == 5
    # Every page the limit covers opens.
    assert listed(admin_client.get(changelist("attendance"), {"p": "12"}))


def test_a_large_table_within_the_limit_gives_its_exact_count(
    admin_client, count_limit, monkeypatch
):
    monkeypatch.setattr(paginators, "ESTIMATE_FROM", 10)
    AttendanceFactory.create_batch(55, meeting=MeetingFactory())
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE meetings_attendance"
            if connection.vendor == "postgresql"
            else "SELECT 1"
        )

    response = admin_client.get(changelist("attendance"))

    html = response.content.decode()
    assert "55 attendance" in html
    assert "About" not in html


def test_a_page_past_the_end_of_a_long_filtered_list_is_refused(
    admin_client, count_limit
):
    AttendanceFactory.create_batch(61, role=Attendance.Role.OBSERVER)

    response = admin_client.get(
        changelist("attendance"), {"role__exact": "observer", "p": "14"}
    )

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


# Columns over big tables.


def test_attendance_is_not_sorted_by_organisation_even_when_asked(admin_client):
    first, second = MeetingFactory.create_batch(2)
    rows = [
        AttendanceFactory(meeting=first, organisation=OrganisationFactory(name="Zeta")),
        AttendanceFactory(
            meeting=second, organisation=OrganisationFactory(name="Alpha")
        ),
    ]

    # Column 2 is the organisation (0 is the action checkbox).
    response = admin_client.get(changelist("attendance"), {"o": "2"})

    assert listed(response) == [row.pk for row in rows]
    html = response.content.decode()
    assert '<div class="text"><span>On behalf of</span></div>' in html
    assert '">Status</a></div>' in html


# An attendance row's form.


def test_an_attendance_row_opens_in_one_query_with_its_choices_shown(
    admin_client, django_assert_num_queries
):
    row = AttendanceFactory()
    url = reverse("admin:meetings_attendance_change", args=[row.pk])
    admin_client.get(url)  # fills the content-type cache, once per process

    # session, user, the row with its meeting, organisation and person
    with django_assert_num_queries(3):
        response = admin_client.get(url)

    html = response.content.decode()
    for related in (row.meeting, row.organisation, row.person):
        assert f'<option value="{related.pk}" selected>{related}</option>' in html


def test_a_missing_attendance_row_is_reported(admin_client):
    response = admin_client.get(
        reverse("admin:meetings_attendance_change", args=[999999])
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


# Access.


@pytest.mark.parametrize(
    "url",
    [
        lambda: changelist("meeting") + "?starts_at__year=2025",
        lambda: changelist("attendance") + "?q=health",
        lambda: reverse(
            "admin:meetings_attendance_change", args=[AttendanceFactory().pk]
        ),
    ],
    ids=["meetings of a year", "attendance search", "attendance row"],
)
def test_the_pages_are_closed_to_anonymous_visitors_and_viewers(assert_admin_only, url):
    assert_admin_only(url())


def test_meetings_are_still_listed_newest_first(admin_client):
    older = MeetingFactory(starts_at=at(2024, 5, 1, 10))
    newer = MeetingFactory(starts_at=at(2025, 5, 1, 10))

    response = admin_client.get(changelist("meeting"))

    assert listed(response) == [newer.pk, older.pk]
    assert Meeting.objects.count() == 2


# The follow-ups' changelist sorted by a joined column and deep.


@pytest.mark.parametrize("n", [2, 20])
def test_follow_ups_sorted_by_owner_organisation_cost_the_same_queries(
    admin_client, django_assert_num_queries, n
):
    names = [f"Owner {number:02}" for number in range(n)]
    for name in reversed(names):
        FollowUpFactory(owner_organisation=OrganisationFactory(name=name))
    FollowUpFactory(owner_organisation=None, action="Nobody's")

    # session, user, count, page: the owners come with the page's rows.
    with django_assert_num_queries(4):
        response = admin_client.get(changelist("followup"), {"o": "3"})

    shown = [row.owner_organisation for row in response.context["cl"].result_list]
    assert [o.name for o in shown if o is not None] == names
    # No owner: last on PostgreSQL, first on SQLite (its NULLs sort first).
    assert None in (shown[0], shown[-1])


@pytest.mark.parametrize("rows", [52, 70])
def test_a_deep_page_of_follow_ups_costs_the_same_queries(
    admin_client, django_assert_num_queries, rows
):
    for number in range(rows):
        FollowUpFactory(due_on=datetime.date(2025, 1, 1) + datetime.timedelta(number))
    FollowUpFactory(due_on=None, action="Undated")

    # session, user, count, page
    with django_assert_num_queries(4):
        response = admin_client.get(changelist("followup"), {"p": "2"})

    listed_rows = response.context["cl"].result_list
    # 50 a page, by due day, the undated last.
    assert len(listed_rows) == rows + 1 - 50
    assert listed_rows[0].due_on == datetime.date(2025, 1, 1) + datetime.timedelta(50)
    assert listed_rows[len(listed_rows) - 1].due_on is None
