"""The REST API, read: every resource for every role that may read it, the
HTML lists' filters with their errors, cursor pages, fixed query counts, and
each record's version as its ETag."""

import datetime

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from meetings.models import Attendance, Meeting, Topic
from meetings.services import demo_load
from stakeholders.filters import OrganisationFilter
from stakeholders.models import Organisation, OrganisationType
from tests import factories

pytestmark = pytest.mark.django_db

RESOURCES = {
    "organisationtype": lambda: OrganisationType.objects.first(),
    "organisation": factories.OrganisationFactory,
    "organisationname": factories.OrganisationNameFactory,
    "organisationidentifier": factories.OrganisationIdentifierFactory,
    "person": factories.PersonFactory,
    "position": factories.PositionFactory,
    "assessment": factories.AssessmentFactory,
    "topic": factories.TopicFactory,
    "meeting": factories.MeetingFactory,
    "agendaitem": factories.AgendaItemFactory,
    "attendance": factories.AttendanceFactory,
    "followup": factories.FollowUpFactory,
}


@pytest.fixture
def api(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client


def read_all(client, url):
    """Every record of a list, page after page, and the pages' count."""
    records, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        records += body["results"]
        pages += 1
        url = body["next"]
    return records, pages


@pytest.mark.parametrize("name", RESOURCES)
def test_a_viewer_reads_every_resource_list_and_record(api, name):
    obj = RESOURCES[name]()

    listed = api.get(reverse(f"api:{name}-list"), {"page_size": 500})
    record = api.get(reverse(f"api:{name}-detail", kwargs={"pk": obj.pk}))

    assert listed.status_code == 200
    assert obj.pk in [row["id"] for row in listed.json()["results"]]
    assert record.status_code == 200
    assert record.json()["id"] == obj.pk
    assert record.json()["version"] == obj.version


@pytest.mark.parametrize("name", RESOURCES)
def test_a_viewer_writes_nothing(api, name):
    obj = RESOURCES[name]()
    detail = reverse(f"api:{name}-detail", kwargs={"pk": obj.pk})

    created = api.post(reverse(f"api:{name}-list"), {}, format="json")
    changed = api.patch(detail, {}, format="json")
    deleted = api.delete(detail)

    assert created.status_code in (403, 405)
    assert changed.status_code in (403, 405)
    assert deleted.status_code in (403, 405)
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_anonymous_and_roleless_requests_are_refused(django_user_model):
    organisation = factories.OrganisationFactory()
    url = reverse("api:organisation-detail", kwargs={"pk": organisation.pk})
    roleless = APIClient()
    roleless.force_authenticate(django_user_model.objects.create_user("nobody"))

    anonymous = APIClient().get(url)
    without_role = roleless.get(url)

    assert anonymous.status_code in (401, 403)
    assert "name" not in anonymous.json()
    assert without_role.status_code == 403
    assert "name" not in without_role.json()


def test_a_missing_record_is_a_404_in_json(api):
    response = api.get(reverse("api:organisation-detail", kwargs={"pk": 999_999}))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_organisation_filters_are_the_lists_with_their_errors(api):
    ministry = OrganisationType.objects.get(slug="ministry")
    donor = OrganisationType.objects.get(slug="donor")
    health = factories.OrganisationFactory(name="Ministry of Health", type=ministry)
    factories.OrganisationFactory(name="Asian Development Bank", type=donor)
    url = reverse("api:organisation-list")

    by_type = api.get(url, {"type": "ministry"})
    searched = api.get(url, {"q": "health"})
    wrong = api.get(url, {"type": "no-such-type", "attended_after": "soon"})

    assert [row["id"] for row in by_type.json()["results"]] == [health.pk]
    assert [row["id"] for row in searched.json()["results"]] == [health.pk]
    assert wrong.status_code == 400
    page = OrganisationFilter(QueryDict("type=no-such-type&attended_after=soon"))
    page.is_valid()
    assert wrong.json() == {
        field: [str(message) for message in messages]
        for field, messages in page.form.errors.items()
    }
    assert set(wrong.json()) == {"type", "attended_after"}


def local(*day):
    return timezone.make_aware(datetime.datetime(*day, 10))


def test_the_meeting_and_attendance_filters_take_the_lists_parameters(api):
    early = factories.MeetingFactory(starts_at=local(2025, 1, 29))
    late = factories.MeetingFactory(starts_at=local(2025, 6, 2))
    row = factories.AttendanceFactory(meeting=late)
    factories.AttendanceFactory(meeting=early)

    meetings = api.get(reverse("api:meeting-list"), {"after": "2025-02-01"})
    rows = api.get(reverse("api:attendance-list"), {"meeting": late.pk})
    reversed_dates = api.get(
        reverse("api:attendance-list"), {"after": "2025-06-01", "before": "2025-01-01"}
    )

    assert [m["id"] for m in meetings.json()["results"]] == [late.pk]
    assert [r["id"] for r in rows.json()["results"]] == [row.pk]
    assert reversed_dates.status_code == 400
    assert list(reversed_dates.json()) == ["before"]


def test_the_lists_sort_is_not_an_api_parameter(api):
    factories.OrganisationFactory(name="B")
    factories.OrganisationFactory(name="A")

    response = api.get(reverse("api:organisation-list"), {"sort": "name"})

    ids = [row["id"] for row in response.json()["results"]]
    assert ids == sorted(ids)


def test_pages_follow_one_another_by_cursor_without_counting(api, capture_queries):
    made = [factories.PersonFactory().pk for _ in range(7)]

    with capture_queries() as queries:
        records, pages = read_all(api, reverse("api:person-list") + "?page_size=3")

    assert [row["id"] for row in records] == made
    assert pages == 3
    assert not [sql for sql in queries.sql if "COUNT(" in sql.upper()]


def test_a_record_made_between_two_pages_is_neither_lost_nor_repeated(api):
    first = [factories.TopicFactory().pk for _ in range(3)]
    page = api.get(reverse("api:topic-list"), {"page_size": 2}).json()
    later = factories.TopicFactory().pk

    rest, _pages = read_all(api, page["next"])

    assert [row["id"] for row in page["results"]] + [r["id"] for r in rest] == [
        *first,
        later,
    ]


def test_a_bad_cursor_is_a_404_and_a_bad_page_size_a_400_naming_it(api):
    for _ in range(3):
        factories.TopicFactory()
    url = reverse("api:topic-list")

    bad_cursor = api.get(url, {"cursor": "not-a-cursor"})
    bad_sizes = [api.get(url, {"page_size": value}) for value in ("0", "-1", "x")]
    empty = api.get(url, {"page_size": ""})
    huge = api.get(url, {"page_size": 10**9})

    assert bad_cursor.status_code == 404
    assert "cursor" in bad_cursor.json()["detail"].lower()
    assert [response.status_code for response in bad_sizes] == [400] * 3
    assert empty.status_code == 200
    assert all(list(response.json()) == ["page_size"] for response in bad_sizes)
    assert huge.status_code == 200
    assert len(huge.json()["results"]) == 3


def test_a_page_holds_at_most_200_records(api):
    Topic.objects.bulk_create(Topic(name=f"Topic {n}") for n in range(205))

    page = api.get(reverse("api:topic-list"), {"page_size": 1000}).json()

    assert len(page["results"]) == 200
    assert page["next"]


def test_an_unknown_api_address_is_a_json_404_and_a_page_the_sites(api):
    api_answer = api.get("/api/v1/no-such-thing/")
    page = api.get("/no-such-page/")

    assert api_answer.status_code == 404
    assert api_answer["Content-Type"] == "application/json"
    assert api_answer.json() == {"detail": "Not found."}
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_record_carries_its_version_as_etag_and_answers_304_while_unchanged(api):
    organisation = factories.OrganisationFactory()
    url = reverse("api:organisation-detail", kwargs={"pk": organisation.pk})

    first = api.get(url)
    unchanged = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    Organisation.objects.filter(pk=organisation.pk).update(version=2)
    changed = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["ETag"] == '"1"'
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert changed.status_code == 200
    assert changed["ETag"] == '"2"'


def test_the_founding_meeting_reads_who_came_on_behalf_of_whom(api):
    meeting = demo_load()
    rows, _pages = read_all(
        api, reverse("api:attendance-list") + f"?meeting={meeting.pk}&page_size=100"
    )
    record = api.get(reverse("api:meeting-detail", kwargs={"pk": meeting.pk})).json()

    expected = set(
        Attendance.objects.filter(meeting=meeting).values_list(
            "person_id", "organisation_id"
        )
    )
    assert {(row["person"], row["organisation"]) for row in rows} == expected
    assert len(rows) == Attendance.objects.filter(meeting=meeting).count()
    assert record["title"] == meeting.title
    assert record["topics"] == list(
        meeting.agenda_items.order_by("order", "pk").values_list("topic", flat=True)
    )
    assert Meeting.objects.get(pk=meeting.pk).initiators.count() == len(
        record["initiators"]
    )


def test_an_organisation_lists_its_other_names_and_identifiers(api):
    organisation = factories.OrganisationFactory(name="UZINFOCOM")
    factories.OrganisationNameFactory(organisation=organisation, name="Узинфоком")
    factories.OrganisationIdentifierFactory(
        organisation=organisation, scheme="STIR", value="200000001"
    )

    record = api.get(
        reverse("api:organisation-detail", kwargs={"pk": organisation.pk})
    ).json()

    assert [other["name"] for other in record["other_names"]] == ["Узинфоком"]
    assert [(i["scheme"], i["value"]) for i in record["identifiers"]] == [
        ("STIR", "200000001")
    ]


def fill(name, count):
    for _ in range(count):
        RESOURCES[name]()


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # The page, and what its records carry (the user and their
        # permissions are read by the first request: a token's or a
        # session's cost is tests/api/test_tokens.py's).
        ("organisationtype", 1),
        ("organisation", 3),  # + other names, identifiers
        ("organisationname", 1),
        ("organisationidentifier", 1),
        ("person", 1),
        ("position", 1),
        ("assessment", 1),  # assessed_by joined
        ("topic", 1),
        ("meeting", 3),  # + initiators, agenda
        ("agendaitem", 1),
        ("attendance", 1),
        ("followup", 1),
    ],
)
def test_a_list_page_costs_the_same_queries_whatever_its_size(
    api, django_assert_num_queries, name, queries
):
    fill(name, 6)
    url = reverse(f"api:{name}-list")
    api.get(url)

    with django_assert_num_queries(queries):
        small = api.get(url, {"page_size": 2})
    with django_assert_num_queries(queries):
        large = api.get(url, {"page_size": 50})

    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) >= 6


def test_the_schema_page_and_its_readers_need_a_role(client, viewer):
    schema = reverse("api:schema")
    docs = reverse("api:docs")

    anonymous_docs = client.get(docs)
    client.force_login(viewer)
    with translation.override("en"):
        read = client.get(schema)

    assert anonymous_docs.status_code == 302
    assert anonymous_docs.url.startswith(reverse("login"))
    assert read.status_code == 200
    assert b"/api/v1/organisations/" in read.content
