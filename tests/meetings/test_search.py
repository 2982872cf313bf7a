"""Search across scripts and spellings (issue 12) on the meetings: ``q``
finds a meeting by its title or venue and by the organisations that hosted,
initiated or attended it, in the list, the admin and the picker; the topic
picker and the admin searches of agenda items and attendance."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from meetings import models
from meetings.models import Attendance, Meeting
from stakeholders.models import Organisation
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/meetings/"
TASHKENT = ZoneInfo("Asia/Tashkent")


def day(n):
    return datetime.datetime(2025, 1, n, 10, tzinfo=TASHKENT)


@pytest.fixture
def giz():
    """GIZ, with its name in Russian, and the meetings it took part in or
    did not."""
    giz = OrganisationFactory(
        name="Deutsche Gesellschaft für Internationale Zusammenarbeit",
        acronym="GIZ",
    )
    OrganisationNameFactory(organisation=giz, name="Германское общество ГИЗ")
    other = OrganisationFactory(name="Asian Development Bank", acronym="ADB")
    meetings = {
        "attended": MeetingFactory(
            title="Donor round table", host=other, starts_at=day(1)
        ),
        "invited": MeetingFactory(title="Data standards", host=other, starts_at=day(2)),
        "hosted": MeetingFactory(
            title="Digital health forum", host=giz, starts_at=day(3)
        ),
        "initiated": MeetingFactory(
            title="eHealth roadmap", host=other, starts_at=day(4)
        ),
        "declined": MeetingFactory(title="Budget talks", host=other, starts_at=day(5)),
        "titled": MeetingFactory(
            title="GIZ project review", host=other, starts_at=day(6)
        ),
        "elsewhere": MeetingFactory(title="Statistics", host=other, starts_at=day(7)),
    }
    AttendanceFactory(meeting=meetings["attended"], organisation=giz, person=None)
    AttendanceFactory(
        meeting=meetings["invited"],
        organisation=giz,
        person=None,
        status=Attendance.Status.INVITED,
    )
    meetings["initiated"].initiators.add(giz)
    AttendanceFactory(
        meeting=meetings["declined"],
        organisation=giz,
        person=None,
        status=Attendance.Status.DECLINED,
    )
    AttendanceFactory(meeting=meetings["elsewhere"], organisation=other, person=None)
    return meetings


def titles(response):
    assert response.status_code == 200
    return {meeting.title for meeting in response.context["object_list"]}


TOOK_PART = {
    "Donor round table",
    "Data standards",
    "Digital health forum",
    "eHealth roadmap",
}


@pytest.mark.parametrize(
    ("q", "titled"),
    [
        ("GIZ", {"GIZ project review"}),
        ("giz", {"GIZ project review"}),
        ("ГИЗ", {"GIZ project review"}),
        ("Германское общество", set()),
        ("Germanskoe", set()),
    ],
)
def test_the_list_finds_the_meetings_an_organisation_took_part_in(
    admin_client, giz, q, titled
):
    """Attended (or invited, confirmed), hosted or initiated; not declined
    or absent: as the ``organisation`` filter reads it. And by title."""
    assert titles(admin_client.get(LIST, {"q": q})) == TOOK_PART | titled


def test_the_list_still_finds_a_title_or_venue_in_any_script(admin_client):
    MeetingFactory(title="Sogʻliqni saqlash axborot tizimi", venue="Toshkent")
    MeetingFactory(title="Бюджет", venue="Тошкент шаҳри, Ҳамкор маркази")
    MeetingFactory(title="Budget talks", venue="Samarqand")

    assert titles(admin_client.get(LIST, {"q": "Соғлиқни"})) == {
        "Sogʻliqni saqlash axborot tizimi"
    }
    assert titles(admin_client.get(LIST, {"q": "hamkor markazi"})) == {"Бюджет"}
    assert titles(admin_client.get(LIST, {"q": "Тошкент"})) == {
        "Sogʻliqni saqlash axborot tizimi",
        "Бюджет",
    }


def test_the_searched_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, giz
):
    # session, user, organisations found, count, type choices, page, agenda
    # items with their topics, the organisations' names in the reader's
    # language
    with django_assert_num_queries(8):
        response = admin_client.get(LIST, {"q": "GIZ"})
    assert len(titles(response)) == 5
    giz_organisation = giz["hosted"].host
    for n in range(10):
        AttendanceFactory(
            meeting=MeetingFactory(title=f"Workshop {n}", starts_at=day(10 + n)),
            organisation=giz_organisation,
            person=None,
        )
    # session, user, organisations found, count, type choices, page, agenda
    # items with their topics, the organisations' names in the reader's
    # language
    with django_assert_num_queries(8):
        response = admin_client.get(LIST, {"q": "GIZ"})
    assert len(titles(response)) == 15


def test_a_term_that_finds_too_many_organisations_reads_titles_alone(
    admin_client, giz, monkeypatch
):
    """A word in a thousand organisations' names finds most meetings through
    them: it finds meetings by title and venue alone."""
    # GIZ by its acronym and its Russian name, and two of its offices.
    OrganisationFactory(name="GIZ Tashkent office", acronym="")
    OrganisationFactory(name="GIZ Samarkand office", acronym="")
    monkeypatch.setattr(models, "BROAD_ORGANISATIONS", 4)

    assert titles(admin_client.get(LIST, {"q": "GIZ"})) == {"GIZ project review"}
    monkeypatch.setattr(models, "BROAD_ORGANISATIONS", 5)
    assert titles(admin_client.get(LIST, {"q": "GIZ"})) == TOOK_PART | {
        "GIZ project review"
    }


def test_the_admin_search_and_the_picker_find_them_too(admin_client, giz):
    response = admin_client.get(
        reverse("admin:meetings_meeting_changelist"), {"q": "ГИЗ"}
    )
    assert response.status_code == 200
    assert {m.title for m in response.context["cl"].result_list} == TOOK_PART | {
        "GIZ project review"
    }

    response = admin_client.get(reverse("meetings:suggest"), {"q": "Germanskoe"})
    assert response.status_code == 200
    labels = [result["label"] for result in response.json()["results"]]
    assert len(labels) == 4
    assert all(any(title in label for title in TOOK_PART) for label in labels)


def test_the_picker_refuses_a_bad_term_and_a_stranger(admin_client):
    url = reverse("meetings:suggest")

    assert admin_client.get(url, {"q": "G\x00IZ"}).status_code == 400
    admin_client.logout()
    assert admin_client.get(url, {"q": "GIZ"}).status_code == 302


def test_the_attendance_search_reads_meeting_titles_not_their_organisations(
    admin_client, giz
):
    """An attendance row is found by its own organisation: GIZ's rows, not
    every row of the meetings GIZ took part in."""
    response = admin_client.get(
        reverse("admin:meetings_attendance_changelist"), {"q": "ГИЗ"}
    )

    rows = list(response.context["cl"].result_list)
    assert {row.organisation.acronym for row in rows} == {"GIZ"}
    assert len(rows) == 3


def test_the_topic_picker_and_the_agenda_search_read_both_scripts(admin_client):
    topic = TopicFactory(name="Sogʻliqni saqlash axborot tizimi")
    TopicFactory(name="Budget")
    item = AgendaItemFactory(topic=topic)
    AgendaItemFactory(topic__name="Roadmap")

    response = admin_client.get(
        reverse("meetings:topic_suggest"), {"q": "соғлиқни сақлаш"}
    )
    assert [r["label"] for r in response.json()["results"]] == [topic.name]
    response = admin_client.get(
        reverse("admin:meetings_agendaitem_changelist"), {"q": "Axborot tizimi"}
    )
    assert list(response.context["cl"].result_list) == [item]
    response = admin_client.get(
        reverse("admin:meetings_topic_changelist"), {"q": "sog'liqni"}
    )
    assert list(response.context["cl"].result_list) == [topic]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner and indexes."
)
def test_the_organisations_meetings_are_read_by_indexes(giz):
    """The organisations found come from their GIN indexes, their meetings
    from indexes of the attendance, initiator and meeting tables (which of
    them, the planner weighs by the data): no table is read whole."""
    found = Organisation.objects.search_ids("GIZ")
    meetings = Meeting.objects.search("GIZ").order_by()

    plans = []
    with connection.cursor() as cursor:
        # A few rows are read faster without the indexes: make the planner
        # show that it can use them.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for queryset in (found, meetings):
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    assert "stakeholders_organisation_search_trgm" in plans[0], plans[0]
    assert "stakeholders_organisationname_search_trgm" in plans[0], plans[0]
    assert "meetings_meeting_search_trgm" in plans[1], plans[1]
    for plan in plans:
        assert "Seq Scan" not in plan, plan
