"""The follow-up worklist (/follow-ups/): access for each role, each filter
with a row that matches and one that does not, bad values as a 400 naming the
field, sorting, the overdue mark in words, the exports, a fixed number of
queries, and the status form of each row (versioned: a stale change is
refused and writes nothing). The completion day, ``mine`` and the admin's
search are in test_follow_up_completion_mine.py."""

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts.roles import EDITOR
from meetings.models import FollowUp
from meetings.services import follow_up_status_change
from stakeholders.models import OrganisationName
from tests.core.test_exports import rows_of
from tests.factories import (
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/follow-ups/"
Status = FollowUp.Status


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


def listed(response):
    """The actions of the follow-ups on the page, in the order shown."""
    return [follow_up.action for follow_up in response.context["object_list"]]


@pytest.fixture
def editor(django_user_model, role):
    user = django_user_model.objects.create_user(
        username="editor", password="a-long-test-password", first_name="Dilnoza"
    )
    user.groups.add(role(EDITOR))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def status_url(follow_up):
    return f"{LIST}{follow_up.pk}/status/"


# Access


@pytest.mark.parametrize("url", [LIST, LIST + "export.csv", LIST + "export.xlsx"])
def test_it_requires_login(client, url):
    FollowUpFactory(action="Send the roadmap")

    response = client.get(url)

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query) == {"next": [url]}
    assert b"roadmap" not in response.content


@pytest.mark.parametrize("url", [LIST, LIST + "export.csv", LIST + "export.xlsx"])
def test_a_viewer_may_read_it_and_its_exports(user_client, url):
    FollowUpFactory(action="Send the roadmap")

    response = user_client.get(url)

    assert response.status_code == 200


def test_a_viewer_sees_the_status_without_a_form(user_client):
    FollowUpFactory(action="Send the roadmap", status=Status.IN_PROGRESS)

    response = user_client.get(LIST)

    content = response.content.decode()
    assert "Send the roadmap" in content
    assert "In progress" in content
    assert "/status/" not in content
    assert 'name="seen_version"' not in content


def test_an_editor_gets_a_status_form_on_each_row(editor_client):
    follow_ups = FollowUpFactory.create_batch(2)

    response = editor_client.get(LIST)

    content = response.content.decode()
    for follow_up in follow_ups:
        assert f'action="{status_url(follow_up)}"' in content
    assert content.count('name="csrfmiddlewaretoken"') >= 2
    assert content.count(f'name="seen_version" value="{follow_ups[0].version}"') == 2


def test_a_status_change_needs_login_and_the_editor_role(client, viewer):
    follow_up = FollowUpFactory(status=Status.OPEN)
    data = {"status": "done", "seen_version": follow_up.version}

    anonymous = client.post(status_url(follow_up), data)
    client.force_login(viewer)
    as_viewer = client.post(status_url(follow_up), data)

    assert anonymous.status_code == 302
    assert urlsplit(anonymous.url).path == "/accounts/login/"
    assert as_viewer.status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.status == Status.OPEN
    assert follow_up.history.count() == 1


def test_a_status_change_is_post_only(editor_client):
    follow_up = FollowUpFactory()

    assert editor_client.get(status_url(follow_up)).status_code == 405


def test_the_navbar_links_to_it(user_client):
    response = user_client.get("/")

    assert f'href="{LIST}"' in response.content.decode()


# Filters


def test_it_lists_by_due_date_undated_last(admin_client):
    FollowUpFactory(action="Undated", due_on=None)
    FollowUpFactory(action="Later", due_on=days(10))
    FollowUpFactory(action="Sooner", due_on=days(-3))

    response = admin_client.get(LIST)

    assert response.status_code == 200
    assert listed(response) == ["Sooner", "Later", "Undated"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "open"}, ["Open one"]),
        ({"status": ["open", "done"]}, ["Open one", "Done one"]),
        ({"status": "in_progress"}, []),
    ],
)
def test_it_filters_by_status(admin_client, query, expected):
    FollowUpFactory(action="Open one", status=Status.OPEN, due_on=days(1))
    FollowUpFactory(action="Done one", status=Status.DONE, due_on=days(2))
    FollowUpFactory(action="Cancelled one", status=Status.CANCELLED, due_on=days(3))

    response = admin_client.get(LIST, query)

    assert response.status_code == 200
    assert listed(response) == expected


def test_it_filters_by_owner_organisation(admin_client):
    giz = OrganisationFactory(name="GIZ")
    FollowUpFactory(action="GIZ's", owner_organisation=giz)
    FollowUpFactory(action="Someone else's")

    response = admin_client.get(LIST, {"owner_organisation": giz.pk})

    assert listed(response) == ["GIZ's"]


def test_it_filters_by_owner_person(admin_client):
    person = PersonFactory(full_name="Aziza Karimova")
    FollowUpFactory(action="Aziza's", owner_person=person)
    FollowUpFactory(action="Someone else's", owner_person=PersonFactory())

    response = admin_client.get(LIST, {"owner_person": person.pk})

    assert listed(response) == ["Aziza's"]


def test_it_filters_by_meeting(admin_client):
    meeting = MeetingFactory(title="Roadmap review")
    FollowUpFactory(action="Agreed there", meeting=meeting)
    FollowUpFactory(action="Agreed elsewhere")

    response = admin_client.get(LIST, {"meeting": meeting.pk})

    assert listed(response) == ["Agreed there"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"due_after": "2025-03-01"}, ["1 March", "31 March"]),
        ({"due_before": "2025-03-01"}, ["28 February", "1 March"]),
        ({"due_after": "2025-03-02", "due_before": "2025-03-31"}, ["31 March"]),
    ],
)
def test_it_filters_by_due_dates_both_ends_included(admin_client, query, expected):
    FollowUpFactory(action="28 February", due_on=datetime.date(2025, 2, 28))
    FollowUpFactory(action="1 March", due_on=datetime.date(2025, 3, 1))
    FollowUpFactory(action="31 March", due_on=datetime.date(2025, 3, 31))
    FollowUpFactory(action="Undated", due_on=None)

    response = admin_client.get(LIST, query)

    assert listed(response) == expected


ACTIONS = [
    "Open, past due",
    "In progress, past due",
    "Done, past due",
    "Cancelled, past due",
    "Open, due today",
    "Open, undated",
]


@pytest.fixture
def due_states():
    FollowUpFactory(action="Open, past due", status=Status.OPEN, due_on=days(-2))
    FollowUpFactory(
        action="In progress, past due", status=Status.IN_PROGRESS, due_on=days(-1)
    )
    FollowUpFactory(action="Done, past due", status=Status.DONE, due_on=days(-5))
    FollowUpFactory(
        action="Cancelled, past due", status=Status.CANCELLED, due_on=days(-4)
    )
    FollowUpFactory(action="Open, due today", status=Status.OPEN, due_on=today())
    FollowUpFactory(action="Open, undated", status=Status.OPEN, due_on=None)


def test_overdue_is_pending_and_due_before_today(admin_client, due_states):
    response = admin_client.get(LIST, {"overdue": "true"})

    assert listed(response) == ["Open, past due", "In progress, past due"]


def test_not_overdue_is_everything_else_undated_included(admin_client, due_states):
    response = admin_client.get(LIST, {"overdue": "false"})

    assert listed(response) == [
        "Done, past due",
        "Cancelled, past due",
        "Open, due today",
        "Open, undated",
    ]


def test_an_overdue_row_says_so_in_words_with_the_days(admin_client, due_states):
    response = admin_client.get(LIST)

    content = response.content.decode()
    rows = re.findall(r"<tr[^>]*>.*?</tr>", content, re.DOTALL)
    marked = {
        next(a for a in ACTIONS if re.search(rf">\s*{re.escape(a)}\s*<", row)): row
        for row in rows
        if "Overdue by" in row
    }
    assert sorted(marked) == ["In progress, past due", "Open, past due"]
    assert "Overdue by 2 days" in marked["Open, past due"]
    assert "Overdue by 1 day<" in marked["In progress, past due"]
    # Colour too: the badge and the row's mark.
    assert all("text-bg-danger" in row for row in marked.values())
    assert content.count('class="follow-up-overdue"') == 2


@pytest.mark.parametrize(
    "term",
    [
        "roadmap",  # the action
        "ROADMAP",
        "ministry letter",  # the notes
        "GIZ",  # the owner organisation's acronym
        "Германское",  # another name of the owner organisation
        "karimova",  # the owner person
        "Каримова",  # the owner person, in Cyrillic
    ],
)
def test_it_searches_action_notes_and_owners(admin_client, term):
    giz = OrganisationFactory(name="Deutsche Gesellschaft", acronym="GIZ")
    OrganisationName.objects.create(
        organisation=giz, name="Германское общество", language="ru"
    )
    FollowUpFactory(
        action="Send the draft Roadmap",
        notes="Wait for the ministry letter",
        owner_organisation=giz,
        owner_person=PersonFactory(full_name="Aziza Karimova"),
    )
    FollowUpFactory(action="Book a room", owner_organisation=OrganisationFactory())

    response = admin_client.get(LIST, {"q": term})

    assert response.status_code == 200
    assert listed(response) == ["Send the draft Roadmap"]


def test_a_search_that_finds_nothing_lists_nothing(admin_client):
    FollowUpFactory(action="Send the roadmap")

    response = admin_client.get(LIST, {"q": "budget"})

    assert listed(response) == []
    assert "Nothing matches this filter." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ({"status": "finished"}, "status", "Status"),
        ({"overdue": "maybe"}, "overdue", "Overdue"),
        ({"mine": "yes"}, "mine", "Whose"),
        ({"due_after": "not-a-date"}, "due_after", "Due from"),
        ({"due_before": "3000-01-01"}, "due_before", "Due until"),
        (
            {"due_after": "2025-03-02", "due_before": "2025-03-01"},
            "due_before",
            "Due until",
        ),
        ({"owner_organisation": "abc"}, "owner_organisation", "Owner organisation"),
        ({"owner_person": "999999"}, "owner_person", "Owner person"),
        ({"meeting": "x"}, "meeting", "Meeting"),
        ({"q": "road\x00map"}, "q", "Search"),
        ({"sort": "action"}, "sort", "Sort by"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_field(
    admin_client, query, field, label
):
    FollowUpFactory(action="Send the roadmap")

    response = admin_client.get(LIST, query)

    assert response.status_code == 400
    content = response.content.decode()
    error = re.search(
        rf'<div class="invalid-feedback[^"]*" id="id_{field}_error">([^<]*)</div>',
        content,
    )
    assert error, f"no error shown for {field}"
    assert html.unescape(error.group(1)).startswith(f"{label}: ")
    assert "Correct the filter to see results." in content
    assert list(response.context["object_list"]) == []
    assert "Send the roadmap" not in content


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_bad_filter_value_is_a_400_on_the_exports_too(admin_client, extension):
    FollowUpFactory(action="Send the roadmap")

    response = admin_client.get(f"{LIST}export.{extension}", {"overdue": "maybe"})

    assert response.status_code == 400
    assert "overdue" in response.content.decode()
    assert "roadmap" not in response.content.decode()


# Sorting


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", ["A", "B", "C"]),
        ("-due", ["B", "A", "C"]),
        ("meeting", ["C", "A", "B"]),
        ("-meeting", ["B", "A", "C"]),
        ("status", ["B", "C", "A"]),
        ("owner", ["B", "C", "A"]),
        ("-completed", ["A", "B", "C"]),
    ],
)
def test_it_sorts(admin_client, sort, expected):
    def meeting(year):
        return MeetingFactory(
            starts_at=datetime.datetime(year, 1, 29, 10, tzinfo=datetime.UTC)
        )

    FollowUpFactory(
        action="A",
        due_on=datetime.date(2025, 3, 1),
        meeting=meeting(2024),
        status=Status.OPEN,
        owner_organisation=OrganisationFactory(name="WHO"),
        completed_on=datetime.date(2025, 2, 1),
    )
    FollowUpFactory(
        action="B",
        due_on=datetime.date(2025, 4, 1),
        meeting=meeting(2025),
        status=Status.DONE,
        owner_organisation=OrganisationFactory(name="GIZ"),
    )
    FollowUpFactory(
        action="C",
        due_on=None,
        meeting=meeting(2023),
        status=Status.IN_PROGRESS,
        owner_organisation=OrganisationFactory(name="KfW"),
    )

    response = admin_client.get(LIST, {"sort": sort})

    assert response.status_code == 200
    assert listed(response) == expected


# Exports

HEADER = [
    "Action",
    "Due",
    "Status",
    "Completed",
    "Owner organisation",
    "Owner person",
    "Meeting date",
    "Meeting",
    "Notes",
]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_export_has_the_rows_of_the_filter_with_every_column(
    admin_client, extension
):
    meeting = MeetingFactory(
        title="Digital health partners",
        starts_at=datetime.datetime(2025, 1, 29, 5, 30, tzinfo=datetime.UTC),
        date_only=True,
    )
    FollowUpFactory(
        action="=Send the roadmap",
        meeting=meeting,
        status=Status.DONE,
        due_on=datetime.date(2025, 3, 1),
        completed_on=datetime.date(2025, 2, 27),
        owner_organisation=OrganisationFactory(name="GIZ"),
        owner_person=PersonFactory(full_name="Aziza Karimova"),
        notes="By e-mail",
    )
    FollowUpFactory(action="Still open", status=Status.OPEN)

    response = admin_client.get(f"{LIST}export.{extension}", {"status": "done"})

    rows = rows_of(response, extension)
    assert rows[0] == HEADER
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == "'=Send the roadmap"
    assert row[2] == "Done"
    assert row[4:6] == ["GIZ", "Aziza Karimova"]
    assert row[7:] == ["Digital health partners", "By e-mail"]
    if extension == "csv":
        assert row[1] == "2025-03-01"
        assert row[3] == "2025-02-27"
        assert row[6] == "2025-01-29"
    else:
        assert row[1].date() == datetime.date(2025, 3, 1)
        assert row[3].date() == datetime.date(2025, 2, 27)
        assert row[6].date() == datetime.date(2025, 1, 29)


# Queries


def make_follow_ups(count, start=0):
    """``count`` follow-ups, each of a meeting of its own with an owner
    organisation (with a Russian name) and person of its own."""
    made = []
    for n in range(start, start + count):
        organisation = OrganisationFactory(name=f"Owner {n:02}")
        OrganisationName.objects.create(
            organisation=organisation, name=f"Владелец {n:02}", language="ru"
        )
        made.append(
            FollowUpFactory(
                action=f"Action {n:02}",
                due_on=days(n - 5),
                owner_organisation=organisation,
                owner_person=PersonFactory(),
            )
        )
    return made


def test_the_list_queries_do_not_grow_with_rows(
    editor_client, django_assert_num_queries
):
    first = make_follow_ups(2)
    # session, user with its permissions (the status form asks), count, page
    # (meeting and owners joined), the owner organisations' names in the
    # reader's language (attach_local_names)
    with django_assert_num_queries(5):
        response = editor_client.get(LIST)
    assert listed(response) == [f.action for f in first]

    more = make_follow_ups(48, start=2)
    with django_assert_num_queries(5):
        response = editor_client.get(LIST)
    assert len(listed(response)) == 50
    content = response.content.decode()
    assert all(f.owner_person.full_name in content for f in more)


def test_the_filtered_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    organisation = OrganisationFactory(name="GIZ")
    query = {"owner_organisation": organisation.pk, "overdue": "true", "q": "action"}

    def make(count):
        return [
            FollowUpFactory(
                action=f"Action {n:02}",
                due_on=days(-1),
                owner_organisation=organisation,
                owner_person=PersonFactory(),
            )
            for n in range(count)
        ]

    make(2)
    # session, user, the organisation of the filter, the search's
    # organisations, the search's people, count, page, local names
    with django_assert_num_queries(8):
        response = admin_client.get(LIST, query)
    assert len(listed(response)) == 2

    make(48)
    with django_assert_num_queries(8):
        response = admin_client.get(LIST, query)
    assert len(listed(response)) == 50


# The status form


def post_status(client, follow_up, status, *, version=None, next_url=LIST):
    return client.post(
        status_url(follow_up),
        {
            "status": status,
            "seen_version": follow_up.version if version is None else version,
            "next": next_url,
        },
    )


def test_an_editor_changes_a_status_from_the_list(editor_client, editor):
    follow_up = FollowUpFactory(action="Send the roadmap", status=Status.OPEN)

    response = post_status(
        editor_client, follow_up, "in_progress", next_url=f"{LIST}?overdue=true"
    )

    assert response.status_code == 302
    assert response.url == f"{LIST}?overdue=true"
    follow_up.refresh_from_db()
    assert follow_up.status == Status.IN_PROGRESS
    assert follow_up.version == 2
    last = follow_up.history.first()
    assert last.history_user == editor
    assert last.status == Status.IN_PROGRESS
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["“Send the roadmap” is now In progress."]


def test_it_goes_back_to_the_list_not_to_another_site(editor_client):
    follow_up = FollowUpFactory()

    response = post_status(
        editor_client, follow_up, "done", next_url="https://example.com/"
    )

    assert response.url == LIST


def test_a_stale_status_change_is_refused_naming_who_and_writes_nothing(
    editor_client, django_user_model
):
    follow_up = FollowUpFactory(action="Send the roadmap", status=Status.OPEN)
    seen = follow_up.version
    colleague = django_user_model.objects.create_user(
        username="aziza", first_name="Aziza", last_name="Karimova"
    )
    colleague.groups.add(Group.objects.get(name=EDITOR))
    follow_up_status_change(
        follow_up_id=follow_up.pk,
        status=Status.IN_PROGRESS,
        seen_version=seen,
        user=colleague,
    )

    response = post_status(editor_client, follow_up, "done", version=seen)

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == Status.IN_PROGRESS
    assert follow_up.completed_on is None
    assert follow_up.version == seen + 1
    assert follow_up.history.count() == 2
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Aziza Karimova saved this record at ")
    assert "Your changes were not saved" in message


def test_a_status_change_of_a_deleted_follow_up_is_refused(editor_client):
    follow_up = FollowUpFactory()
    pk = follow_up.pk
    follow_up.delete()
    follow_up.pk = pk

    response = post_status(editor_client, follow_up, "done")

    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "Someone else deleted this record while you were editing it."


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "finished", "seen_version": "1"}, "status"),
        ({"status": "done", "seen_version": "x"}, "seen_version"),
        ({"status": "done"}, "seen_version"),
    ],
)
def test_a_bad_status_change_is_a_400_naming_the_field(editor_client, data, field):
    follow_up = FollowUpFactory(status=Status.OPEN)

    response = editor_client.post(status_url(follow_up), data)

    assert response.status_code == 400
    assert f"* {field}" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == Status.OPEN
    assert follow_up.version == 1


def test_the_same_status_again_writes_nothing(editor_client):
    follow_up = FollowUpFactory(status=Status.OPEN)

    post_status(editor_client, follow_up, "open")

    follow_up.refresh_from_db()
    assert follow_up.version == 1
    assert follow_up.history.count() == 1
