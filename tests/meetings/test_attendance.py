"""The attendance matrix (/attendance/): the list and the pivot of
organisations × meetings, their filters (``type``, ``organisation``,
``meeting``, ``after`` / ``before``, ``topic``, ``role``, ``status``,
``country``), bad values as a 400 naming the field, and the exports. The
pivot's cells, its 60-meeting cap and the query counts are in
test_attendance_pivot.py."""

import csv
import datetime
import io
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from openpyxl import load_workbook

from accounts.roles import ADMINISTRATOR, EDITOR, VIEWER
from meetings import filters
from meetings.matrix import MAX_MEETINGS
from meetings.models import Attendance
from meetings.services import demo_load
from stakeholders.models import OrganisationName, OrganisationType
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/attendance/"
TASHKENT = ZoneInfo("Asia/Tashkent")
Role, Status = Attendance.Role, Attendance.Status


def of_type(slug):
    return OrganisationType.objects.get(slug=slug)


def local(*args):
    return datetime.datetime(*args, tzinfo=TASHKENT)


def listed(response):
    """(organisation, meeting) of each row of the list, in the order shown."""
    return [
        (row.organisation.name, row.meeting.title)
        for row in response.context["object_list"]
    ]


def pivot_of(response):
    """The pivot on the page: {organisation: {meeting title: cell text}}."""
    pivot = response.context["pivot"]
    titles = [meeting.title for meeting in pivot.meetings]
    shown = {}
    for row in response.context["object_list"]:
        cells = zip(titles, row.cells, strict=True)
        shown[row.name] = {t: cell.text() for t, cell in cells if cell}
    return shown


def download(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def csv_rows(response):
    return list(csv.reader(io.StringIO(download(response).decode("utf-8-sig"))))


def workbook(response):
    return load_workbook(io.BytesIO(download(response)))


# Access


URLS = [
    LIST,
    LIST + "?view=pivot",
    LIST + "?type=donor",
    LIST + "export.csv",
    LIST + "export.xlsx",
    LIST + "export.csv?view=pivot",
    LIST + "export.xlsx?view=pivot",
]


@pytest.fixture
def kfw_at_the_roadmap_review():
    return AttendanceFactory(
        meeting=MeetingFactory(title="Roadmap review"),
        organisation=OrganisationFactory(name="KfW Bank", type=of_type("donor")),
    )


@pytest.mark.usefixtures("kfw_at_the_roadmap_review")
@pytest.mark.parametrize("url", URLS)
def test_it_requires_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query) == {"next": [url]}


@pytest.mark.usefixtures("kfw_at_the_roadmap_review")
@pytest.mark.parametrize("role_name", [VIEWER, EDITOR, ADMINISTRATOR])
@pytest.mark.parametrize("url", URLS)
def test_every_role_that_reads_may_use_it(
    client, django_user_model, role, role_name, url
):
    user = django_user_model.objects.create_user(username=role_name)
    user.groups.add(role(role_name))
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 200
    body = download(response) if response.streaming else response.content
    if "xlsx" not in url:
        assert "KfW Bank" in body.decode("utf-8-sig")


def test_a_user_without_a_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="nobody"))

    assert client.get(LIST).status_code == 403
    assert client.get(LIST + "export.csv").status_code == 403


# The list


def test_the_list_shows_date_meeting_organisation_person_role_and_status(
    user_client,
):
    meeting = MeetingFactory(
        title="Digital health partners", starts_at=local(2025, 1, 29, 10, 30)
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=OrganisationFactory(name="KfW Bank", type=of_type("donor")),
        person=PersonFactory(full_name="Anna Schmidt"),
        role=Role.PRESENTER,
        status=Status.CONFIRMED,
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=OrganisationFactory(name="GIZ"),
        person=None,
        status=Status.DECLINED,
    )

    response = user_client.get(LIST)

    content = response.content.decode()
    assert response.status_code == 200
    # In the order they were recorded.
    assert listed(response) == [
        ("KfW Bank", "Digital health partners"),
        ("GIZ", "Digital health partners"),
    ]
    assert '<time datetime="2025-01-29T10:30:00+05:00">29 Jan 2025, 10:30</time>' in (
        content
    )
    for text in (
        "Digital health partners",
        "Anna Schmidt",
        "Donor / development bank",
        "Presenter",
        "Confirmed",
        "Declined",
        "organisation only",
    ):
        assert text in content
    assert "2 results" in content


def test_the_list_is_newest_meeting_first(user_client):
    for day, title in [(3, "March"), (1, "January"), (2, "February")]:
        AttendanceFactory(
            meeting=MeetingFactory(title=title, starts_at=local(2025, day, 1, 10))
        )

    response = user_client.get(LIST)

    assert [meeting for _, meeting in listed(response)] == [
        "March",
        "February",
        "January",
    ]


@pytest.mark.parametrize("sort", ["", "?sort=date", "?sort=-date"])
def test_the_rows_of_meetings_at_the_same_hour_stay_together(user_client, sort):
    # Recorded in turns, two meetings' rows interleave in the order they were
    # entered; each meeting's are shown together, in that order.
    at = local(2025, 1, 29, 10)
    first, second = MeetingFactory(starts_at=at), MeetingFactory(starts_at=at)
    for name in ["Alpha", "Bravo", "Charlie"]:
        organisation = OrganisationFactory(name=name)
        for meeting in (first, second):
            AttendanceFactory(meeting=meeting, organisation=organisation)

    response = user_client.get(LIST + sort)

    meetings = [row.meeting for row in response.context["object_list"]]
    names = [row.organisation.name for row in response.context["object_list"]]
    assert meetings[:3] == [meetings[0]] * 3
    assert meetings[3:] == [meetings[3]] * 3
    assert meetings[0] != meetings[3]
    assert names == ["Alpha", "Bravo", "Charlie"] * 2


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("date", ["Bravo", "Alpha", "Charlie"]),
        ("-date", ["Charlie", "Alpha", "Bravo"]),
        ("organisation", ["Alpha", "Bravo", "Charlie"]),
        ("-organisation", ["Charlie", "Bravo", "Alpha"]),
    ],
)
def test_it_sorts_by_a_visible_column_both_ways(user_client, sort, expected):
    for name, month, person in [
        ("Alpha", 2, PersonFactory(full_name="Zafar")),
        ("Bravo", 1, None),
        ("Charlie", 3, PersonFactory(full_name="Aziza")),
    ]:
        AttendanceFactory(
            meeting=MeetingFactory(starts_at=local(2025, month, 1, 10)),
            organisation=OrganisationFactory(name=name),
            person=person,
        )

    response = user_client.get(LIST, {"sort": sort})

    assert response.status_code == 200
    assert [organisation for organisation, _ in listed(response)] == expected


def test_the_list_names_organisations_in_the_readers_language(user_client):
    ministry = OrganisationFactory(name="Ministry of Health", acronym="")
    OrganisationNameFactory(
        organisation=ministry,
        name="Министерство здравоохранения",
        language=OrganisationName.Language.RUSSIAN,
    )
    AttendanceFactory(organisation=ministry, meeting=MeetingFactory(title="Review"))
    user_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    for query in ({}, {"view": "pivot"}):
        content = user_client.get(LIST, query).content.decode()

        assert 'title="Ministry of Health">Министерство здравоохранения</a>' in content

    rows = csv_rows(user_client.get(LIST + "export.csv"))

    assert rows[0][2:4] == ["Организация", "Наименование на русском языке"]
    assert rows[1][2:4] == ["Ministry of Health", "Министерство здравоохранения"]


# Filters: each with a row that matches and one that does not


@pytest.fixture
def two_meetings():
    """Two meetings, each with the organisation of one row: the filters below
    choose one of them."""
    his = TopicFactory(name="National health information system")
    january = MeetingFactory(title="January", starts_at=local(2025, 1, 29, 1))
    march = MeetingFactory(title="March", starts_at=local(2025, 3, 10, 10))
    AgendaItemFactory(meeting=january, topic=his)
    AgendaItemFactory(meeting=march, topic=TopicFactory(name="Budget"))
    kfw = AttendanceFactory(
        meeting=january,
        organisation=OrganisationFactory(
            name="KfW Bank", type=of_type("donor"), country="DE"
        ),
        role=Role.PRESENTER,
        status=Status.ATTENDED,
    )
    ministry = AttendanceFactory(
        meeting=march,
        organisation=OrganisationFactory(
            name="Ministry of Health", type=of_type("ministry"), country="UZ"
        ),
        role=Role.PARTICIPANT,
        status=Status.DECLINED,
    )
    return {"his": his, "january": january, "kfw": kfw, "ministry": ministry}


KFW = [("KfW Bank", "January")]
MINISTRY = [("Ministry of Health", "March")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "donor"}, KFW),
        ({"type": "ministry"}, MINISTRY),
        ({"type": "un-agency"}, []),
        ({"country": "DE"}, KFW),
        ({"country": "FR"}, []),
        ({"role": "presenter"}, KFW),
        ({"role": "host"}, []),
        ({"status": "declined"}, MINISTRY),
        ({"status": "absent"}, []),
        # 01:00 on 29 January in Tashkent is still the 28th in UTC.
        ({"after": "2025-01-29", "before": "2025-01-29"}, KFW),
        ({"after": "2025-01-30"}, MINISTRY),
        ({"before": "2025-01-28"}, []),
    ],
)
def test_it_filters(user_client, two_meetings, query, expected):
    for view in ("list", "pivot"):
        response = user_client.get(LIST, {**query, "view": view})

        assert response.status_code == 200
        if view == "list":
            assert listed(response) == expected
        else:
            shown = [
                (organisation, meeting)
                for organisation, cells in pivot_of(response).items()
                for meeting in cells
            ]
            assert shown == expected


@pytest.mark.parametrize("name", ["organisation", "meeting", "topic"])
def test_it_filters_by_organisation_meeting_and_topic(user_client, two_meetings, name):
    kfw = two_meetings["kfw"]
    value = {
        "organisation": kfw.organisation_id,
        "meeting": two_meetings["january"].pk,
        "topic": two_meetings["his"].pk,
    }[name]

    matching = user_client.get(LIST, {name: value})
    pivot = user_client.get(LIST, {name: value, "view": "pivot"})
    # The same, and no row with a topic on no agenda.
    elsewhere = user_client.get(LIST, {name: value, "topic": TopicFactory().pk})
    pivot_elsewhere = user_client.get(
        LIST, {name: value, "topic": TopicFactory().pk, "view": "pivot"}
    )

    assert listed(matching) == KFW
    assert pivot_of(pivot) == {"KfW Bank": {"January": "Presenter, attended"}}
    assert listed(elsewhere) == []
    assert pivot_of(pivot_elsewhere) == {}
    assert pivot_elsewhere.context["pivot"].meetings == []


def test_a_repeated_type_shows_the_rows_of_either(user_client, two_meetings):
    AttendanceFactory(
        meeting=MeetingFactory(title="UN", starts_at=local(2025, 2, 1, 10)),
        organisation=OrganisationFactory(name="UNICEF", type=of_type("un-agency")),
    )

    response = user_client.get(LIST + "?type=donor&type=ministry")

    assert listed(response) == MINISTRY + KFW


# Bad input


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ({"view": "chart"}, "view", "Show"),
        ({"type": "no-such-type"}, "type", "Type"),
        ({"organisation": "abc"}, "organisation", "Organisation"),
        ({"organisation": "999999"}, "organisation", "Organisation"),
        ({"meeting": "abc"}, "meeting", "Meeting"),
        ({"meeting": "999999"}, "meeting", "Meeting"),
        ({"after": "yesterday"}, "after", "From"),
        ({"before": "2025-02-30"}, "before", "Until"),
        ({"after": "2025-02-01", "before": "2025-01-01"}, "before", "Until"),
        ({"topic": "abc"}, "topic", "Agenda topic"),
        ({"role": "chair"}, "role", "Role"),
        ({"status": "maybe"}, "status", "Status"),
        ({"country": "XX"}, "country", "Country"),
        ({"sort": "role"}, "sort", "Sort by"),
        ({"sort": "person"}, "sort", "Sort by"),
        ({"organisation": "1\x00"}, "organisation", "Organisation"),
    ],
)
@pytest.mark.parametrize("view", ["list", "pivot"])
def test_a_bad_filter_value_is_a_400_naming_the_field(
    user_client, kfw_at_the_roadmap_review, query, field, label, view
):
    query = {"view": view, **query}

    response = user_client.get(LIST, query)

    assert response.status_code == 400
    content = response.content.decode()
    error = re.search(
        rf'<div class="invalid-feedback[^"]*" id="id_{field}_error">([^<]*)</div>',
        content,
    )
    assert error, f"no error shown for {field}"
    assert error.group(1).startswith(f"{label}: ")
    assert "Correct the filter to see results." in content
    assert "KfW Bank" not in content
    assert "pivot" not in response.context or response.context.get("pivot") is None

    for export in ("export.csv", "export.xlsx"):
        response = user_client.get(LIST + export, query)

        assert response.status_code == 400
        assert field in response.content.decode()


# Exports


def test_the_list_exports_every_row_of_the_filter(user_client, two_meetings):
    person = PersonFactory(full_name="=Anna Schmidt")
    AttendanceFactory(
        meeting=two_meetings["january"],
        organisation=two_meetings["kfw"].organisation,
        person=person,
    )

    rows = csv_rows(user_client.get(LIST + "export.csv", {"type": "donor"}))

    assert rows[0] == [
        "Date",
        "Meeting",
        "Organisation",
        "Name in English",
        "Acronym",
        "Type",
        "Country",
        "Person",
        "Role",
        "Status",
        "Notes",
    ]
    kfw = two_meetings["kfw"]
    assert [row[:3] for row in rows[1:]] == [
        ["2025-01-29 01:00:00", "January", "KfW Bank"]
    ] * 2
    by_person = {row[7]: row for row in rows[1:]}
    assert by_person[kfw.person.full_name][4:] == [
        kfw.organisation.acronym,
        "Donor / development bank",
        "Germany",
        kfw.person.full_name,
        "Presenter",
        "Attended",
        "",
    ]
    # A formula neutralised.
    assert "'=Anna Schmidt" in by_person


def test_the_list_exports_as_xlsx(user_client, two_meetings):
    book = workbook(user_client.get(LIST + "export.xlsx", {"status": "declined"}))

    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][1:3] == ("March", "Ministry of Health")


def test_the_pivot_exports_as_csv_with_every_organisation_and_the_totals(
    user_client,
):
    seed = demo_load()
    for number in range(55):
        AttendanceFactory(
            meeting=seed, organisation=OrganisationFactory(name=f"Extra {number:02}")
        )

    rows = csv_rows(user_client.get(LIST + "export.csv", {"view": "pivot", "page": 2}))

    assert rows[0] == [
        "Organisation",
        f"29 Jan 2025 — {seed.title}",
        "Total",
        "Official name",
        "Acronym",
        "Type",
    ]
    assert len(rows) == 1 + 65 + 1
    kfw = next(row for row in rows if row[0] == "KfW Bank")
    assert kfw == [
        "KfW Bank",
        "Participant, attended",
        "1",
        "KfW Bank",
        "KfW",
        "Donor / development bank",
    ]
    assert rows[-1] == ["Total", "65", "65"]


def test_the_pivot_exports_as_xlsx_with_the_header_row_and_first_column_frozen(
    user_client,
):
    seed = demo_load()

    book = workbook(
        user_client.get(LIST + "export.xlsx", {"view": "pivot", "type": "donor"})
    )

    sheet = book.active
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["A"].width == 40
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Organisation", f"29 Jan 2025 — {seed.title}", "Total")
    assert [row[0] for row in rows[1:]] == [
        "Deutsche Gesellschaft für Internationale Zusammenarbeit",
        "KfW Bank",
        "United Nations Office for Project Services",
        "Total",
    ]
    assert rows[-1][:3] == ("Total", 3, 3)


def test_the_pivot_export_says_when_meetings_were_left_out(user_client):
    kfw = OrganisationFactory(name="KfW Bank")
    for number in range(MAX_MEETINGS + 1):
        AttendanceFactory(
            meeting=MeetingFactory(
                starts_at=local(2025, 1, 1, 10) + datetime.timedelta(days=number)
            ),
            organisation=kfw,
        )

    rows = csv_rows(user_client.get(LIST + "export.csv", {"view": "pivot"}))

    assert len(rows[0]) == 1 + MAX_MEETINGS + 4
    assert rows[-1][0].startswith("More than 60 meetings match this filter")


def test_a_role_or_status_that_is_no_choice_breaks_no_page(user_client):
    """Written in the database by hand: the list shows it as it is, the
    pivot's cell is there without a role or status to rank."""
    row = AttendanceFactory(organisation=OrganisationFactory(name="GIZ"))
    Attendance.objects.filter(pk=row.pk).update(role="chair", status="late")

    pivot = user_client.get(LIST, {"view": "pivot"})
    listing = user_client.get(LIST)

    assert pivot.status_code == 200
    assert pivot_of(pivot) == {"GIZ": {row.meeting.title: ", "}}
    assert listing.status_code == 200
    assert '<td data-label="Role">chair</td>' in listing.content.decode()


def test_the_two_views_link_to_each_other_with_the_same_filter(user_client):
    AttendanceFactory(organisation=OrganisationFactory(type=of_type("donor")))

    listing = user_client.get(LIST, {"type": "donor", "sort": "organisation"})
    pivot = user_client.get(LIST, {"type": "donor", "view": "pivot", "page": "1"})

    assert 'href="?type=donor&amp;view=pivot">' in listing.content.decode()
    assert 'href="?type=donor">' in pivot.content.decode()
    # The exports take the view with the filter.
    assert 'href="/attendance/export.xlsx?type=donor&amp;view=pivot"' in (
        pivot.content.decode()
    )


def test_a_type_of_more_organisations_than_the_limit_filters_the_same(
    user_client, monkeypatch
):
    """Past TYPE_IDS_LIMIT organisations the type is a subquery, not a list
    of ids: the same rows."""
    AttendanceFactory(
        meeting=MeetingFactory(title="Donors"),
        organisation=OrganisationFactory(name="KfW Bank", type=of_type("donor")),
    )
    AttendanceFactory(
        meeting=MeetingFactory(title="Ministries"),
        organisation=OrganisationFactory(name="Ministry of Health"),
    )
    OrganisationFactory(type=of_type("donor"))
    monkeypatch.setattr(filters, "TYPE_IDS_LIMIT", 1)

    for view in ("list", "pivot"):
        response = user_client.get(LIST, {"type": "donor", "view": view})

        assert response.status_code == 200
        if view == "list":
            assert listed(response) == [("KfW Bank", "Donors")]
        else:
            assert pivot_of(response) == {
                "KfW Bank": {"Donors": "Participant, attended"}
            }
