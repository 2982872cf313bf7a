"""The people list (/people/): its filters (``q``, ``organisation``, ``type``,
``attended``), bad values as a 400 naming the field, sorting, pagination that
keeps the filter, a fixed number of queries, and the people picker's
search-as-you-type endpoint."""

import datetime
import html
import itertools
import re
from urllib.parse import parse_qs, urlsplit

import factory
import pytest
from django.template import engines
from django.urls import reverse

from meetings.models import Attendance
from stakeholders import views
from stakeholders.models import OrganisationType, Person
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/people/"


def of_type(slug):
    return OrganisationType.objects.get(slug=slug)


def listed(response):
    """Names of the people on the page, in the order shown."""
    return [person.full_name for person in response.context["object_list"]]


def link(response, rel):
    """The query string of the pagination link with ``rel`` ("next", "prev")."""
    match = re.search(
        rf'<a [^>]*href="([^"]*)"[^>]*rel="{rel}"', response.content.decode()
    )
    assert match, f'no rel="{rel}" link on the page'
    return html.unescape(match.group(1))


# Access


@pytest.mark.parametrize(
    "url",
    [
        LIST,
        LIST + "?q=karimova",
        LIST + "export.csv",
        LIST + "export.xlsx",
        LIST + "suggest/?q=karimova",
    ],
)
def test_it_requires_login(client, url):
    PersonFactory(full_name="Aziza Karimova")

    response = client.get(url)

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query) == {"next": [url]}
    assert b"Karimova" not in response.content


@pytest.mark.parametrize(
    "url",
    [LIST, LIST + "export.csv", LIST + "export.xlsx", LIST + "suggest/?q=karimova"],
)
def test_a_logged_in_user_without_staff_status_may_use_it(user_client, url):
    PersonFactory(full_name="Aziza Karimova")

    response = user_client.get(url)

    assert response.status_code == 200


def test_it_shows_current_positions_only(admin_client):
    person = PersonFactory(full_name="Aziza Karimova")
    kfw = OrganisationFactory(name="KfW Bank", acronym="")
    PositionFactory(person=person, title="Health adviser", organisation=kfw)
    PositionFactory(
        person=person,
        title="Analyst",
        organisation=OrganisationFactory(name="Ministry of Health", acronym=""),
        since=datetime.date(2019, 1, 1),
        until=datetime.date(2022, 12, 31),
    )

    response = admin_client.get(LIST)

    content = response.content.decode()
    assert "Health adviser" in content
    assert "KfW Bank" in content
    assert "Analyst" not in content
    person_url = reverse("people:detail", args=[person.pk])
    kfw_url = reverse("organisations:detail", args=[kfw.pk])
    assert f'<a href="{person_url}">Aziza Karimova</a>' in content
    assert f'<a href="{kfw_url}">KfW Bank</a>' in content


# Filters


@pytest.mark.parametrize(
    "q", ["karimova", "AZIZA KARIM", "a.karimova@kfw", "kfw.example"]
)
def test_it_searches_name_and_email(admin_client, q):
    PersonFactory(full_name="Aziza Karimova", email="a.karimova@kfw.example")
    PersonFactory(full_name="Bobur Aliyev", email="b.aliyev@giz.example")

    response = admin_client.get(LIST, {"q": q})

    assert response.status_code == 200
    assert listed(response) == ["Aziza Karimova"]


def test_its_search_ignores_the_case_of_cyrillic_names(admin_client):
    PersonFactory(full_name="Азиза Каримова")
    PersonFactory(full_name="Бобур Алиев")

    response = admin_client.get(LIST, {"q": "каримова"})

    assert listed(response) == ["Азиза Каримова"]


def test_it_filters_by_organisation_worked_for_or_attended_for(admin_client):
    kfw = OrganisationFactory(name="KfW Bank")
    giz = OrganisationFactory(name="GIZ")
    meeting = MeetingFactory()
    PositionFactory(person=PersonFactory(full_name="Works there"), organisation=kfw)
    PositionFactory(
        person=PersonFactory(full_name="Worked there"),
        organisation=kfw,
        since=datetime.date(2018, 1, 1),
        until=datetime.date(2020, 1, 1),
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=kfw,
        person=PersonFactory(full_name="Attended for it"),
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=kfw,
        person=PersonFactory(full_name="Only invited for it"),
        status=Attendance.Status.INVITED,
    )
    PositionFactory(person=PersonFactory(full_name="Works elsewhere"), organisation=giz)
    AttendanceFactory(
        meeting=meeting,
        organisation=giz,
        person=PersonFactory(full_name="Attended for another"),
    )

    response = admin_client.get(LIST, {"organisation": kfw.pk})

    assert response.status_code == 200
    assert listed(response) == ["Attended for it", "Worked there", "Works there"]


def test_a_person_with_a_position_and_attendance_there_is_listed_once(admin_client):
    kfw = OrganisationFactory(name="KfW Bank")
    person = PersonFactory(full_name="Aziza Karimova")
    PositionFactory(person=person, organisation=kfw)
    PositionFactory(person=person, organisation=kfw, title="Head of office")
    AttendanceFactory.create_batch(2, organisation=kfw, person=person)

    response = admin_client.get(LIST, {"organisation": kfw.pk})

    assert listed(response) == ["Aziza Karimova"]


def test_it_filters_by_the_type_of_their_organisation(admin_client):
    kfw = OrganisationFactory(name="KfW Bank", type=of_type("donor"))
    giz = OrganisationFactory(name="GIZ", type=of_type("donor"))
    ministry = OrganisationFactory(name="Ministry of Health", type=of_type("ministry"))
    PositionFactory(person=PersonFactory(full_name="At KfW"), organisation=kfw)
    # Two donor positions, listed once.
    both = PersonFactory(full_name="At KfW and GIZ")
    PositionFactory(person=both, organisation=kfw)
    PositionFactory(person=both, organisation=giz)
    PositionFactory(
        person=PersonFactory(full_name="At the ministry"), organisation=ministry
    )
    PersonFactory(full_name="Nowhere")

    response = admin_client.get(LIST, {"type": "donor"})

    assert response.status_code == 200
    assert listed(response) == ["At KfW", "At KfW and GIZ"]

    response = admin_client.get(LIST + "?type=donor&type=ministry")

    assert listed(response) == ["At KfW", "At KfW and GIZ", "At the ministry"]


def test_the_type_filter_counts_an_organisation_they_represented(admin_client):
    kfw = OrganisationFactory(name="KfW Bank", type=of_type("donor"))
    ministry = OrganisationFactory(name="Ministry of Health", type=of_type("ministry"))
    # Works at the ministry, but attended a meeting on KfW's behalf.
    envoy = PersonFactory(full_name="Envoy")
    PositionFactory(person=envoy, organisation=ministry)
    AttendanceFactory(person=envoy, organisation=kfw)
    invited = PersonFactory(full_name="Only invited")
    AttendanceFactory(
        person=invited, organisation=kfw, status=Attendance.Status.INVITED
    )

    response = admin_client.get(LIST, {"type": "donor"})

    assert listed(response) == ["Envoy"]


def test_it_filters_by_a_meeting_attended(admin_client):
    meeting = MeetingFactory()
    kfw = OrganisationFactory(name="KfW Bank")
    giz = OrganisationFactory(name="GIZ")
    # Attended for two organisations at once: one person, listed once.
    twice = PersonFactory(full_name="For KfW and GIZ")
    AttendanceFactory(meeting=meeting, organisation=kfw, person=twice)
    AttendanceFactory(meeting=meeting, organisation=giz, person=twice)
    AttendanceFactory(
        meeting=meeting, organisation=kfw, person=PersonFactory(full_name="For KfW")
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=kfw,
        person=PersonFactory(full_name="Invited"),
        status=Attendance.Status.INVITED,
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=kfw,
        person=PersonFactory(full_name="Absent"),
        status=Attendance.Status.ABSENT,
    )
    AttendanceFactory(person=PersonFactory(full_name="Another meeting"))

    response = admin_client.get(LIST, {"attended": meeting.pk})

    assert response.status_code == 200
    assert listed(response) == ["For KfW", "For KfW and GIZ"]


# Bad input


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ({"type": "no-such-type"}, "type", "Type"),
        ({"organisation": "abc"}, "organisation", "Organisation"),
        ({"organisation": "999999"}, "organisation", "Organisation"),
        ({"attended": "abc"}, "attended", "Attended meeting"),
        ({"attended": "999999"}, "attended", "Attended meeting"),
        ({"sort": "phone"}, "sort", "Sort by"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_field(
    admin_client, query, field, label
):
    PersonFactory(full_name="Aziza Karimova")

    response = admin_client.get(LIST, query)

    assert response.status_code == 400
    content = response.content.decode()
    error = re.search(
        rf'<div class="invalid-feedback[^"]*" id="id_{field}_error">([^<]*)</div>',
        content,
    )
    assert error, f"no error shown for {field}"
    assert error.group(1).startswith(f"{label}: ")
    assert "Correct the filter to see results." in content
    assert list(response.context["object_list"]) == []
    assert "Aziza Karimova" not in content


# Sorting


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Aziza Karimova", "Bobur Aliyev", "Dilnoza Yusupova"]),
        ("-name", ["Dilnoza Yusupova", "Bobur Aliyev", "Aziza Karimova"]),
    ],
)
def test_it_sorts_by_name_both_ways(admin_client, sort, expected):
    for name in ["Bobur Aliyev", "Dilnoza Yusupova", "Aziza Karimova"]:
        PersonFactory(full_name=name)

    response = admin_client.get(LIST, {"sort": sort})

    assert response.status_code == 200
    assert listed(response) == expected


def test_it_sorts_by_meetings_attended(admin_client):
    for name, meetings in [("Aziza Karimova", 2), ("Bobur Aliyev", 1)]:
        person = PersonFactory(full_name=name)
        AttendanceFactory.create_batch(meetings, person=person)

    assert listed(admin_client.get(LIST, {"sort": "meetings"})) == [
        "Bobur Aliyev",
        "Aziza Karimova",
    ]
    assert listed(admin_client.get(LIST, {"sort": "-meetings"})) == [
        "Aziza Karimova",
        "Bobur Aliyev",
    ]


def test_paging_through_a_sort_with_ties_shows_every_row_once(admin_client):
    """Nobody here has met anyone: each page must still come from one order, or
    a person shows on two pages and another on none."""
    people = PersonFactory.create_batch(230)

    shown = []
    for page in range(1, 6):
        shown += listed(admin_client.get(LIST, {"sort": "meetings", "page": page}))

    assert sorted(shown) == sorted(p.full_name for p in people)


# Pagination


@pytest.fixture
def sixty_at_donors():
    """60 people working for donors (more than a page of 50), and a few at a
    ministry."""
    kfw = OrganisationFactory(name="KfW Bank", type=of_type("donor"))
    people = [
        PositionFactory(
            person=PersonFactory(full_name=f"Donor person {n:02}"), organisation=kfw
        ).person
        for n in range(1, 61)
    ]
    ministry = OrganisationFactory(type=of_type("ministry"))
    PositionFactory.create_batch(5, organisation=ministry)
    return people


def test_pagination_keeps_the_filter(admin_client, sixty_at_donors):
    response = admin_client.get(LIST, {"type": "donor"})

    assert listed(response) == [p.full_name for p in sixty_at_donors[:50]]
    next_page = link(response, "next")
    assert parse_qs(urlsplit(next_page).query) == {"type": ["donor"], "page": ["2"]}

    response = admin_client.get(LIST + next_page)

    assert response.status_code == 200
    assert listed(response) == [p.full_name for p in sixty_at_donors[50:]]


def test_it_shows_the_result_count_across_all_pages(admin_client, sixty_at_donors):
    response = admin_client.get(LIST, {"type": "donor"})

    assert "60 results" in response.content.decode()


@pytest.mark.parametrize(("page", "shown"), [("999", 2), ("abc", 1)])
def test_a_page_out_of_range_or_malformed_shows_the_last_or_first(
    admin_client, sixty_at_donors, page, shown
):
    response = admin_client.get(LIST, {"type": "donor", "page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == shown


# Queries

NUMBERS = itertools.count(1)


def make_people(n, meetings):
    """``n`` people at donors, each with two current positions and attendance at
    both ``meetings``."""
    donor = of_type("donor")
    people = []
    for number in itertools.islice(NUMBERS, n):
        person = PersonFactory(full_name=f"Person {number:03}")
        for _ in range(2):
            PositionFactory(person=person, organisation=OrganisationFactory(type=donor))
        for meeting in meetings:
            AttendanceFactory(
                meeting=meeting,
                person=person,
                organisation=person.positions.first().organisation,
            )
        people.append(person)
    return people


def test_the_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    meetings = MeetingFactory.create_batch(2)
    first = make_people(2, meetings)
    # session, user, count, type choices, page, current positions
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(7):
        response = admin_client.get(LIST)
    assert listed(response) == [p.full_name for p in first]
    assert first[0].positions.last().organisation.name in response.content.decode()

    more = make_people(48, meetings)
    # session, user, count, type choices, page, current positions
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(7):
        response = admin_client.get(LIST)
    assert listed(response) == [p.full_name for p in first + more]
    assert all(len(p.current_positions) == 2 for p in response.context["object_list"])
    assert all(p.meetings_attended == 2 for p in response.context["object_list"])


def test_the_filtered_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    meetings = MeetingFactory.create_batch(2)
    query = {"type": "donor", "attended": meetings[0].pk}
    first = make_people(2, meetings)
    # session, user, types of the filter, meeting of the filter, count,
    # type choices, page, current positions
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(9):
        response = admin_client.get(LIST, query)
    assert listed(response) == [p.full_name for p in first]

    more = make_people(48, meetings)
    # session, user, types of the filter, meeting of the filter, count,
    # type choices, page, current positions
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(9):
        response = admin_client.get(LIST, query)
    assert listed(response) == [p.full_name for p in first + more]


# Suggest (the people picker)

SUGGEST = LIST + "suggest/"


@pytest.mark.parametrize("q", ["karim", "a.karimova@"])
def test_suggest_finds_a_person_by_name_or_email(admin_client, q):
    aziza = PersonFactory(full_name="Aziza Karimova", email="a.karimova@kfw.example")
    PersonFactory(full_name="Bobur Aliyev")

    response = admin_client.get(SUGGEST, {"q": q})

    assert response.status_code == 200
    # Labelled with where the person works now (none here); the name alone
    # for the page that lists them under their organisation.
    assert response.json() == {
        "results": [
            {"id": aziza.pk, "label": "Aziza Karimova", "name": "Aziza Karimova"}
        ]
    }


def test_suggest_answers_nothing_to_one_character(admin_client):
    PersonFactory(full_name="A")

    response = admin_client.get(SUGGEST, {"q": "a"})

    assert response.json() == {"results": []}


def test_suggest_gives_the_label_of_an_id(admin_client):
    aziza = PersonFactory(full_name="Aziza Karimova")
    PersonFactory(full_name="Bobur Aliyev")

    response = admin_client.get(SUGGEST, {"id": aziza.pk})

    # Labelled with where the person works now (none here); the name alone
    # for the page that lists them under their organisation.
    assert response.json() == {
        "results": [
            {"id": aziza.pk, "label": "Aziza Karimova", "name": "Aziza Karimova"}
        ]
    }


def test_suggest_rejects_an_id_that_is_not_a_number(admin_client):
    response = admin_client.get(SUGGEST, {"id": "abc"})

    assert response.status_code == 400


def test_suggest_gives_at_most_ten(admin_client):
    PersonFactory.create_batch(
        12, full_name=factory.Sequence(lambda n: f"Karimova {n:03}")
    )

    response = admin_client.get(SUGGEST, {"q": "karimova"})

    assert len(response.json()["results"]) == 10


# The people list's rows as its template wrote them before the person_rows tag.
ROWS_TEMPLATE = """{% load i18n list_links local_dates %}
    {% for person in object_list %}
    <tr>
      <td>
        <a href="{% pk_url 'people:detail' person.pk %}">{{ person.full_name }}</a>
        {% if person.do_not_contact %}<span class="badge text-bg-warning">{% translate "do not contact" %}</span>{% endif %}
      </td>
      <td>
        {% for position in person.current_positions %}
          <div>{{ position.title|default:_("Position") }}, <a href="{% pk_url 'organisations:detail' position.organisation_id %}">{{ position.organisation.name }}</a></div>
        {% empty %}—{% endfor %}
      </td>
      <td>{% if person.email %}<a href="mailto:{{ person.email }}">{{ person.email }}</a>{% endif %}</td>
      <td class="text-end">{{ person.meetings_attended }}</td>
      <td class="text-nowrap">{{ person.last_met|day|default:"—" }}</td>
    </tr>
    {% endfor %}
"""  # noqa: E501


def test_the_rows_are_those_the_template_wrote():
    PositionFactory(
        person__full_name='Anna <b>"Karimova"</b>',
        person__email="",
        person__do_not_contact=True,
        organisation__name="Health & Co",
        title="",
    )
    adviser = PositionFactory(person__email="a&b@example.org", title="Head <of> unit")
    PositionFactory(person=adviser.person, title="Adviser")
    PersonFactory(full_name="Nobody Employed")
    Person.objects.filter(pk=adviser.person_id).update(
        meetings_attended=12345,
        last_met=datetime.datetime(2025, 1, 28, 21, 30, tzinfo=datetime.UTC),
    )
    rows = list(views.PersonListView().get_queryset())
    engine = engines["django"]

    ours = engine.from_string(
        "{% load stakeholder_rows %}\n    {% person_rows object_list %}\n"
    ).render({"object_list": rows})
    theirs = engine.from_string(ROWS_TEMPLATE).render({"object_list": rows})

    assert ours == theirs
    assert "29 Jan 2025" in ours
    assert "Head &lt;of&gt; unit" in ours
    assert ">Position, <a" in ours


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Nothing recorded yet."),
        # Sorting is how rows are shown, not which: still no filter.
        ({"sort": "-name"}, "Nothing recorded yet."),
        ({"q": "Aziz"}, "Nothing matches this filter."),
    ],
)
def test_an_empty_list_says_why_it_is_empty(admin_client, query, message):
    """The demo of ``make run`` has organisations and no people: its people
    list said "Nothing matches this filter" with no filter set."""
    response = admin_client.get(LIST, query)

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    other = {"Nothing recorded yet.", "Nothing matches this filter."} - {message}
    assert other.pop() not in content
