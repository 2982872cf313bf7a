"""The meetings list (/meetings/): its filters (``q``, ``after`` / ``before``,
``organisation``, ``type``, ``topic``, ``status``), bad values as a 400 naming
the field, sorting, pagination that keeps the filter, a fixed number of queries,
and the meeting and topic pickers' search-as-you-type endpoints."""

import datetime
import html
import itertools
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import factory
import pytest
from django.template import engines
from django.urls import reverse

from meetings import views
from meetings.models import Attendance, Meeting
from stakeholders.models import OrganisationType
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/meetings/"
TASHKENT = ZoneInfo("Asia/Tashkent")


def of_type(slug):
    return OrganisationType.objects.get(slug=slug)


def local(*args):
    return datetime.datetime(*args, tzinfo=TASHKENT)


def listed(response):
    """Titles of the meetings on the page, in the order shown."""
    return [meeting.title for meeting in response.context["object_list"]]


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
        LIST + "?status=held",
        LIST + "export.csv",
        LIST + "export.xlsx",
        LIST + "suggest/?q=roadmap",
        LIST + "topics/suggest/?q=roadmap",
    ],
)
def test_it_requires_login(client, url):
    AgendaItemFactory(
        meeting=MeetingFactory(title="Roadmap review"),
        topic=TopicFactory(name="Roadmap"),
    )

    response = client.get(url)

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query) == {"next": [url]}
    assert b"Roadmap" not in response.content


@pytest.mark.parametrize(
    "url",
    [
        LIST,
        LIST + "export.csv",
        LIST + "export.xlsx",
        LIST + "suggest/?q=roadmap",
        LIST + "topics/suggest/?q=roadmap",
    ],
)
def test_a_logged_in_user_without_staff_status_may_use_it(user_client, url):
    AgendaItemFactory(
        meeting=MeetingFactory(title="Roadmap review"),
        topic=TopicFactory(name="Roadmap"),
    )

    response = user_client.get(url)

    assert response.status_code == 200


def test_it_shows_date_host_organisations_and_agenda(admin_client):
    meeting = MeetingFactory(
        title="Digital health partners",
        starts_at=local(2025, 1, 29, 10, 30),
        host=OrganisationFactory(name="WHO Representative Office in Uzbekistan"),
    )
    AgendaItemFactory(meeting=meeting, topic=TopicFactory(name="Data exchange"))
    AttendanceFactory(meeting=meeting, organisation=meeting.host)
    AttendanceFactory(meeting=meeting, status=Attendance.Status.DECLINED)

    response = admin_client.get(LIST)

    content = response.content.decode()
    assert (
        '<time datetime="2025-01-29T10:30:00+05:00">29 Jan 2025, 10:30</time>'
        in content
    )
    meeting_url = reverse("meetings:detail", args=[meeting.pk])
    host_url = reverse("organisations:detail", args=[meeting.host_id])
    assert f'<a href="{meeting_url}">Digital health partners</a>' in content
    assert f'<a href="{host_url}">WHO Representative Office in Uzbekistan</a>' in (
        content
    )
    assert "Data exchange" in content
    assert response.context["object_list"][0].organisations_attended == 1


# Filters


@pytest.mark.parametrize("q", ["roadmap", "ROADMAP REVIEW", "Hilton", "tashkent"])
def test_it_searches_title_and_venue(admin_client, q):
    MeetingFactory(title="Roadmap review", venue="Hilton Tashkent City")
    MeetingFactory(title="Budget talks", venue="Ministry of Finance")

    response = admin_client.get(LIST, {"q": q})

    assert response.status_code == 200
    assert listed(response) == ["Roadmap review"]


@pytest.fixture
def meetings_around_midnight():
    """Meetings either side of midnight, Tashkent time, on 29 January 2025
    (UTC+5: 01:00 on the 29th there is still the 28th in UTC)."""
    early = MeetingFactory(title="Early on the 29th", starts_at=local(2025, 1, 29, 1))
    assert early.starts_at.astimezone(datetime.UTC).date() == datetime.date(2025, 1, 28)
    MeetingFactory(title="Late on the 28th", starts_at=local(2025, 1, 28, 23, 30))
    MeetingFactory(title="Late on the 29th", starts_at=local(2025, 1, 29, 23, 30))
    MeetingFactory(title="Early on the 30th", starts_at=local(2025, 1, 30, 0, 30))


@pytest.mark.usefixtures("meetings_around_midnight")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"after": "2025-01-29"},
            ["Early on the 30th", "Late on the 29th", "Early on the 29th"],
        ),
        ({"before": "2025-01-28"}, ["Late on the 28th"]),
        (
            {"after": "2025-01-29", "before": "2025-01-29"},
            ["Late on the 29th", "Early on the 29th"],
        ),
        (
            {"before": "2025-01-29"},
            ["Late on the 29th", "Early on the 29th", "Late on the 28th"],
        ),
    ],
)
def test_it_filters_by_local_dates(admin_client, query, expected):
    response = admin_client.get(LIST, query)

    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.parametrize(
    "status",
    [
        Attendance.Status.ATTENDED,
        Attendance.Status.CONFIRMED,
        Attendance.Status.INVITED,
    ],
)
def test_it_filters_by_an_organisation_taking_part(admin_client, status):
    kfw = OrganisationFactory(name="KfW Bank")
    AttendanceFactory(
        meeting=MeetingFactory(title="With KfW"), organisation=kfw, status=status
    )
    AttendanceFactory(meeting=MeetingFactory(title="Without KfW"))

    response = admin_client.get(LIST, {"organisation": kfw.pk})

    assert response.status_code == 200
    assert listed(response) == ["With KfW"]


@pytest.mark.parametrize(
    "status", [Attendance.Status.DECLINED, Attendance.Status.ABSENT]
)
def test_an_organisation_that_declined_or_was_absent_did_not_take_part(
    admin_client, status
):
    kfw = OrganisationFactory(name="KfW Bank")
    AttendanceFactory(meeting=MeetingFactory(title="Came"), organisation=kfw)
    AttendanceFactory(
        meeting=MeetingFactory(title="Stayed away"), organisation=kfw, status=status
    )

    response = admin_client.get(LIST, {"organisation": kfw.pk})

    assert listed(response) == ["Came"]


def test_an_organisation_that_sent_two_people_lists_the_meeting_once(admin_client):
    kfw = OrganisationFactory(name="KfW Bank")
    meeting = MeetingFactory(title="With KfW")
    AttendanceFactory.create_batch(2, meeting=meeting, organisation=kfw)

    response = admin_client.get(LIST, {"organisation": kfw.pk})

    assert listed(response) == ["With KfW"]


def test_it_lists_the_meetings_an_organisation_attended_hosted_or_initiated(
    admin_client,
):
    kfw = OrganisationFactory(name="KfW Bank")
    for day, status in enumerate(Attendance.Status.values, start=1):
        AttendanceFactory(
            meeting=MeetingFactory(
                title=f"{status}", starts_at=local(2025, 3, day, 10)
            ),
            organisation=kfw,
            status=status,
        )
    MeetingFactory(title="hosted", host=kfw, starts_at=local(2025, 4, 1, 10))
    MeetingFactory(title="initiated", starts_at=local(2025, 4, 2, 10)).initiators.add(
        kfw
    )
    MeetingFactory(title="elsewhere", starts_at=local(2025, 4, 3, 10))

    response = admin_client.get(LIST, {"organisation": kfw.pk})

    taking_part = [
        status
        for status in reversed(Attendance.Status.values)
        if status not in ("declined", "absent")
    ]
    assert listed(response) == ["initiated", "hosted", *taking_part]


def test_it_filters_by_the_type_of_a_participating_organisation(admin_client):
    donor = of_type("donor")
    two_donors = MeetingFactory(title="Two donors", starts_at=local(2025, 3, 1, 10))
    AttendanceFactory(meeting=two_donors, organisation=OrganisationFactory(type=donor))
    AttendanceFactory(meeting=two_donors, organisation=OrganisationFactory(type=donor))
    one_donor = MeetingFactory(title="One donor", starts_at=local(2025, 2, 1, 10))
    AttendanceFactory(meeting=one_donor, organisation=OrganisationFactory(type=donor))
    AttendanceFactory(meeting=one_donor, organisation=OrganisationFactory())
    AttendanceFactory(
        meeting=MeetingFactory(title="Ministries only"),
        organisation=OrganisationFactory(type=of_type("ministry")),
    )
    AttendanceFactory(
        meeting=MeetingFactory(title="Donor declined"),
        organisation=OrganisationFactory(type=donor),
        status=Attendance.Status.DECLINED,
    )
    # A donor that hosted but is not on the attendance list.
    MeetingFactory(title="Hosted by a donor", host=OrganisationFactory(type=donor))

    response = admin_client.get(LIST, {"type": "donor"})

    assert response.status_code == 200
    assert listed(response) == ["Two donors", "One donor"]
    assert "2 results" in response.content.decode()


def test_a_repeated_type_lists_meetings_with_either(admin_client):
    AttendanceFactory(
        meeting=MeetingFactory(title="Donor", starts_at=local(2025, 3, 1, 10)),
        organisation=OrganisationFactory(type=of_type("donor")),
    )
    AttendanceFactory(
        meeting=MeetingFactory(title="Ministry", starts_at=local(2025, 2, 1, 10)),
        organisation=OrganisationFactory(type=of_type("ministry")),
    )
    AttendanceFactory(
        meeting=MeetingFactory(title="UN agency"),
        organisation=OrganisationFactory(type=of_type("un-agency")),
    )

    response = admin_client.get(LIST + "?type=donor&type=ministry")

    assert listed(response) == ["Donor", "Ministry"]


def test_it_filters_by_agenda_topic(admin_client):
    his = TopicFactory(name="National health information system")
    budget = TopicFactory(name="Budget")
    AgendaItemFactory(meeting=MeetingFactory(title="HIS"), topic=his)
    AgendaItemFactory(meeting=MeetingFactory(title="Money"), topic=budget)
    MeetingFactory(title="No agenda")

    response = admin_client.get(LIST, {"topic": his.pk})

    assert response.status_code == 200
    assert listed(response) == ["HIS"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("held", ["Held"]), ("planned", ["Planned"]), ("cancelled", ["Cancelled"])],
)
def test_it_filters_by_status(admin_client, status, expected):
    for title, value in [
        ("Held", Meeting.Status.HELD),
        ("Planned", Meeting.Status.PLANNED),
        ("Cancelled", Meeting.Status.CANCELLED),
    ]:
        MeetingFactory(title=title, status=value)

    response = admin_client.get(LIST, {"status": status})

    assert response.status_code == 200
    assert listed(response) == expected


# Bad input


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ({"after": "yesterday"}, "after", "From"),
        ({"before": "2025-02-30"}, "before", "Until"),
        ({"after": "2025-02-01", "before": "2025-01-01"}, "before", "Until"),
        ({"organisation": "abc"}, "organisation", "Organisation took part"),
        ({"organisation": "999999"}, "organisation", "Organisation took part"),
        ({"type": "no-such-type"}, "type", "Type"),
        ({"topic": "abc"}, "topic", "Agenda topic"),
        ({"topic": "999999"}, "topic", "Agenda topic"),
        ({"status": "postponed"}, "status", "Status"),
        ({"sort": "summary"}, "sort", "Sort by"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_field(
    admin_client, query, field, label
):
    MeetingFactory(title="Roadmap review")

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
    assert "Roadmap review" not in content


# Sorting


@pytest.fixture
def three_meetings():
    MeetingFactory(title="Budget talks", starts_at=local(2025, 2, 1, 10))
    MeetingFactory(title="Annual review", starts_at=local(2025, 3, 1, 10))
    MeetingFactory(title="Census data", starts_at=local(2025, 1, 1, 10))


@pytest.mark.usefixtures("three_meetings")
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["Annual review", "Budget talks", "Census data"]),
        ("date", ["Census data", "Budget talks", "Annual review"]),
        ("-date", ["Annual review", "Budget talks", "Census data"]),
        ("title", ["Annual review", "Budget talks", "Census data"]),
        ("-title", ["Census data", "Budget talks", "Annual review"]),
    ],
)
def test_it_sorts_by_a_visible_column_both_ways(admin_client, sort, expected):
    response = admin_client.get(LIST, {"sort": sort} if sort else {})

    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("host", ["At GIZ", "At KfW", "Nobody hosted"]),
        ("-host", ["At KfW", "At GIZ", "Nobody hosted"]),
    ],
)
def test_meetings_without_a_host_sort_last_both_ways(admin_client, sort, expected):
    MeetingFactory(title="Nobody hosted", host=None)
    MeetingFactory(title="At KfW", host=OrganisationFactory(name="KfW Bank"))
    MeetingFactory(title="At GIZ", host=OrganisationFactory(name="GIZ"))

    response = admin_client.get(LIST, {"sort": sort})

    assert listed(response) == expected


def test_paging_through_a_sort_with_ties_shows_every_row_once(admin_client):
    """All these meetings were held: each page must still come from one order,
    or a meeting shows on two pages and another on none."""
    meetings = MeetingFactory.create_batch(230, status=Meeting.Status.HELD, host=None)

    shown = []
    for page in range(1, 6):
        shown += listed(admin_client.get(LIST, {"sort": "status", "page": page}))

    assert sorted(shown) == sorted(m.title for m in meetings)


# Pagination


@pytest.fixture
def sixty_held():
    """60 meetings held (more than a page of 50), newest first, and a few
    planned ones."""
    held = [
        MeetingFactory(
            title=f"Held {n:02}",
            starts_at=local(2024, 1, 1, 10) + datetime.timedelta(days=60 - n),
            status=Meeting.Status.HELD,
        )
        for n in range(1, 61)
    ]
    MeetingFactory.create_batch(5, status=Meeting.Status.PLANNED)
    return held


def test_pagination_keeps_the_filter(admin_client, sixty_held):
    response = admin_client.get(LIST, {"status": "held"})

    assert listed(response) == [m.title for m in sixty_held[:50]]
    next_page = link(response, "next")
    assert parse_qs(urlsplit(next_page).query) == {"status": ["held"], "page": ["2"]}

    response = admin_client.get(LIST + next_page)

    assert response.status_code == 200
    assert listed(response) == [m.title for m in sixty_held[50:]]


def test_it_shows_the_result_count_across_all_pages(admin_client, sixty_held):
    response = admin_client.get(LIST, {"status": "held"})

    assert "60 results" in response.content.decode()


@pytest.mark.parametrize(("page", "shown"), [("999", 2), ("abc", 1)])
def test_a_page_out_of_range_or_malformed_shows_the_last_or_first(
    admin_client, sixty_held, page, shown
):
    response = admin_client.get(LIST, {"status": "held", "page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == shown


# Queries

NUMBERS = itertools.count(1)


def make_meetings(n, donor):
    """``n`` meetings, each hosted, with two agenda items and attendance by
    ``donor`` and two more organisations (one of them with two people)."""
    meetings = []
    for number in itertools.islice(NUMBERS, n):
        meeting = MeetingFactory(
            title=f"Meeting {number:03}",
            starts_at=local(2024, 1, 1, 10) - datetime.timedelta(days=number),
        )
        AgendaItemFactory.create_batch(2, meeting=meeting)
        AttendanceFactory(meeting=meeting, organisation=donor)
        AttendanceFactory(meeting=meeting, organisation=meeting.host, person=None)
        AttendanceFactory.create_batch(
            2, meeting=meeting, organisation=OrganisationFactory()
        )
        meetings.append(meeting)
    return meetings


@pytest.fixture
def donor():
    return OrganisationFactory(name="KfW Bank", type=of_type("donor"))


def test_the_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, donor
):
    first = make_meetings(2, donor)
    # session, user, count, type choices, page, agenda items with their topics
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(7):
        response = admin_client.get(LIST)
    assert listed(response) == [m.title for m in first]
    assert first[0].host.name in response.content.decode()

    more = make_meetings(48, donor)
    # session, user, count, type choices, page, agenda items with their topics
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(7):
        response = admin_client.get(LIST)
    assert listed(response) == [m.title for m in first + more]
    rows = response.context["object_list"]
    assert all(m.organisations_attended == 3 for m in rows)
    content = response.content.decode()
    assert all(m.host.name in content for m in more)


def test_the_filtered_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, donor
):
    query = {"type": "donor", "organisation": donor.pk}
    first = make_meetings(2, donor)
    # session, user, organisation of the filter, types of the filter, count,
    # type choices, page, agenda items with their topics
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(9):
        response = admin_client.get(LIST, query)
    assert listed(response) == [m.title for m in first]

    more = make_meetings(48, donor)
    # session, user, organisation of the filter, types of the filter, count,
    # type choices, page, agenda items with their topics
    # + the organisations' names in the reader's language (attach_local_names)
    with django_assert_num_queries(9):
        response = admin_client.get(LIST, query)
    assert listed(response) == [m.title for m in first + more]


# Suggest (the meeting and topic pickers)

SUGGEST = LIST + "suggest/"
TOPIC_SUGGEST = LIST + "topics/suggest/"


def test_suggest_finds_a_meeting_by_title(admin_client):
    meeting = MeetingFactory(title="Roadmap review", starts_at=local(2025, 1, 29, 10))
    MeetingFactory(title="Budget talks")

    response = admin_client.get(SUGGEST, {"q": "roadmap"})

    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": meeting.pk, "label": "29 Jan 2025 — Roadmap review"}]
    }


def test_suggest_gives_the_label_of_a_meeting_id(admin_client):
    meeting = MeetingFactory(title="Roadmap review", starts_at=local(2025, 1, 29, 1))
    MeetingFactory(title="Budget talks")

    response = admin_client.get(SUGGEST, {"id": meeting.pk})

    # The local date, not the UTC one (28 January).
    assert response.json() == {
        "results": [{"id": meeting.pk, "label": "29 Jan 2025 — Roadmap review"}]
    }


def test_suggest_gives_at_most_ten_meetings_newest_first(admin_client):
    meetings = MeetingFactory.create_batch(
        12, title=factory.Sequence(lambda n: f"Review {n:03}")
    )

    response = admin_client.get(SUGGEST, {"q": "review"})

    results = response.json()["results"]
    assert [r["id"] for r in results] == [m.pk for m in reversed(meetings)][:10]


@pytest.mark.parametrize("url", [SUGGEST, TOPIC_SUGGEST])
def test_suggest_answers_nothing_to_one_character(admin_client, url):
    AgendaItemFactory(meeting=MeetingFactory(title="R"), topic=TopicFactory(name="R"))

    response = admin_client.get(url, {"q": "r"})

    assert response.status_code == 200
    assert response.json() == {"results": []}


@pytest.mark.parametrize("url", [SUGGEST, TOPIC_SUGGEST])
def test_suggest_rejects_an_id_that_is_not_a_number(admin_client, url):
    response = admin_client.get(url, {"id": "abc"})

    assert response.status_code == 400


def test_topic_suggest_finds_a_topic_by_name_and_id(admin_client):
    his = TopicFactory(name="National health information system")
    TopicFactory(name="Budget")

    by_name = admin_client.get(TOPIC_SUGGEST, {"q": "information"})
    by_id = admin_client.get(TOPIC_SUGGEST, {"id": his.pk})

    expected = {"results": [{"id": his.pk, "label": his.name}]}
    assert by_name.json() == expected
    assert by_id.json() == expected


def test_topic_suggest_gives_at_most_ten(admin_client):
    TopicFactory.create_batch(12, name=factory.Sequence(lambda n: f"Data {n:03}"))

    response = admin_client.get(TOPIC_SUGGEST, {"q": "data"})

    assert len(response.json()["results"]) == 10


# The meetings list's rows as its template wrote them before the meeting_rows
# tag.
ROWS_TEMPLATE = """{% load i18n list_links meeting_dates %}
    {% for meeting in object_list %}
    <tr>
      <td class="text-nowrap">{% meeting_when meeting %}</td>
      <td><a href="{% pk_url 'meetings:detail' meeting.pk %}">{{ meeting.title }}</a>{% if meeting.venue %}<div class="small text-body-secondary">{{ meeting.venue }}</div>{% endif %}</td>
      <td>{% if meeting.host %}<a href="{% pk_url 'organisations:detail' meeting.host_id %}">{{ meeting.host.name }}</a>{% endif %}</td>
      <td>{{ meeting.get_status_display }}</td>
      <td class="text-end">{{ meeting.organisations_attended }}</td>
      <td class="small">{% for item in meeting.agenda_items.all %}{{ item.topic.name }}{% if not forloop.last %}; {% endif %}{% endfor %}</td>
    </tr>
    {% endfor %}
"""  # noqa: E501


def test_the_rows_are_those_the_template_wrote():
    held = MeetingFactory(
        title='Donors <b>"round"</b> & co',
        venue="Hall <1>",
        status=Meeting.Status.HELD,
        host__name="Health & Co",
    )
    AgendaItemFactory(meeting=held, topic__name="Water & <sanitation>")
    AgendaItemFactory(meeting=held, topic__name="Schools")
    MeetingFactory(host=None, venue="", date_only=True)
    Meeting.objects.filter(pk=held.pk).update(organisations_attended=12345)
    rows = list(views.MeetingListView().get_queryset())
    engine = engines["django"]

    ours = engine.from_string(
        "{% load meeting_dates %}\n    {% meeting_rows object_list %}\n"
    ).render({"object_list": rows})
    theirs = engine.from_string(ROWS_TEMPLATE).render({"object_list": rows})

    assert ours == theirs
    assert "Water &amp; &lt;sanitation&gt;; Schools" in ours
    assert "12345" in ours
