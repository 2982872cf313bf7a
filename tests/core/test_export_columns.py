"""The exports read as columns (``values_list()``), not model instances: one
query whatever the number of rows, the same cells as the model would give
(choice labels, country names, current positions as ``str(position)``), and
every text cell neutralised, joined ones included."""

import datetime
import io

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from core import exports
from meetings.models import Meeting
from stakeholders.models import Person, Position
from tests.core.test_exports import HOSTILE, assert_no_formula, csv_rows, rows_of
from tests.factories import (
    AgendaItemFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationTypeFactory,
    PersonFactory,
    PositionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

PEOPLE_HEADER = [
    "Name",
    "Email",
    "Phone",
    "Current positions",
    "Do not contact",
    "Meetings attended",
    "Last met",
]
MEETING_HEADER = [
    "Starts",
    "Title",
    "Venue",
    "Format",
    "Status",
    "Host",
    "Organisations",
    "Agenda",
]


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of four rows: a few rows make several chunks, and a person's
    positions or a meeting's agenda run across the end of one."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)


def current_positions_text(person):
    """The cell as the model gives it: today's positions, open-ended first,
    then by end and start, latest first."""
    return "; ".join(
        str(position)
        for position in Position.objects.current()
        .filter(person=person)
        .select_related("organisation")
        .order_by(*Position._meta.ordering, "pk")
    )


# Queries


def make_people(n):
    for i in range(n):
        person = PersonFactory(full_name=f"Person {i:03}")
        for j in range(i % 4):  # 0 to 3 current positions
            PositionFactory(
                person=person, title=f"Title {j}", since=datetime.date(2024, 1, j + 1)
            )


def make_organisations(n):
    parent = OrganisationFactory(name=f"Aaa parent {n}")
    for i in range(n - 1):
        OrganisationFactory(parent=parent if i % 2 else None)


def make_meetings(n):
    for i in range(n):
        meeting = MeetingFactory(title=f"Meeting {i:03}", host=None)
        for j in range(i % 3):  # 0 to 2 agenda items
            AgendaItemFactory(meeting=meeting, order=j)


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/organisations/", make_organisations),
        ("/people/", make_people),
        ("/meetings/", make_meetings),
    ],
)
def test_an_export_runs_the_same_queries_for_3_and_30_rows(
    admin_client, django_assert_num_queries, url, make, extension
):
    make(3)
    # session, user, the rows with their joined values (one query)
    with django_assert_num_queries(3):
        rows = rows_of(admin_client.get(f"{url}export.{extension}"), extension)
    assert len(rows) == 1 + 3

    make(27)
    # On PostgreSQL, more rows than a chunk are read in two queries: the
    # first chunk's, then the rest (Plan.head_first), however many.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 3):
        rows = rows_of(admin_client.get(f"{url}export.{extension}"), extension)
    assert len(rows) == 1 + 30


@pytest.mark.usefixtures("small_chunks")
def test_positions_running_across_chunks_stay_on_their_persons_row(admin_client):
    make_people(30)

    rows = csv_rows(admin_client.get("/people/export.csv"))

    assert rows[0] == PEOPLE_HEADER
    positions = PEOPLE_HEADER.index("Current positions")
    expected = [
        [p.full_name, current_positions_text(p)]
        for p in Person.objects.order_by("full_name", "pk")
    ]
    assert [[row[0], row[positions]] for row in rows[1:]] == expected
    assert [row[positions].count(";") for row in rows[1:5]] == [0, 0, 1, 2]


# Values


def test_current_positions_read_as_the_model_writes_them(admin_client):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    person = PersonFactory(full_name="Dilnoza")
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    PositionFactory(person=person, organisation=who, title="Adviser", since=None)
    PositionFactory(
        person=person,
        organisation=OrganisationFactory(name="Undp", acronym="UNDP"),
        title="",
        since=today - 10 * day,
        until=today,
    )
    PositionFactory(
        person=person,
        organisation=OrganisationFactory(name="KfW Bank", acronym=""),
        title="Head of office",
        since=today - 20 * day,
        until=today + 5 * day,
    )
    # Not held today: ended yesterday, starts tomorrow.
    PositionFactory(person=person, organisation=who, until=today - day, since=None)
    PositionFactory(person=person, organisation=who, since=today + day)

    rows = csv_rows(admin_client.get("/people/export.csv"))

    cell = rows[1][PEOPLE_HEADER.index("Current positions")]
    assert cell == current_positions_text(person)
    assert cell == (
        "Adviser, World Health Organization (WHO); "
        "Head of office, KfW Bank; "
        "Position, Undp"
    )


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_choices_are_exported_by_label_and_countries_by_name(admin_client, extension):
    MeetingFactory(
        format=Meeting.Format.HYBRID, status=Meeting.Status.CANCELLED, host=None
    )
    OrganisationFactory(name="A", country="UZ")
    OrganisationFactory(name="B", country="GB")
    OrganisationFactory(name="C", country="")

    meetings = rows_of(admin_client.get(f"/meetings/export.{extension}"), extension)
    organisations = rows_of(
        admin_client.get(f"/organisations/export.{extension}"), extension
    )

    assert meetings[0] == MEETING_HEADER
    assert meetings[1][3:5] == ["Hybrid", "Cancelled"]
    assert [row[4] for row in organisations[1:]] == [
        "Uzbekistan",
        "United Kingdom",
        "" if extension == "csv" else None,
    ]


def test_the_agenda_is_exported_in_its_order(admin_client):
    meeting = MeetingFactory(host=None)
    AgendaItemFactory(meeting=meeting, order=2, topic=TopicFactory(name="Water"))
    AgendaItemFactory(meeting=meeting, order=1, topic=TopicFactory(name="Health"))
    no_agenda = MeetingFactory(host=None)

    rows = csv_rows(admin_client.get("/meetings/export.csv"))

    agendas = {row[1]: row[MEETING_HEADER.index("Agenda")] for row in rows[1:]}
    assert agendas == {meeting.title: "Health; Water", no_agenda.title: ""}


def test_times_repeated_beyond_the_remembered_values_stay_right(
    admin_client, monkeypatch
):
    monkeypatch.setattr(exports, "MEMO_SIZE", 1)
    starts = [
        datetime.datetime(2025, 1, day, 9, 30, tzinfo=datetime.UTC) for day in (1, 2, 3)
    ]
    for start in starts:
        MeetingFactory(starts_at=start, host=None)

    rows = csv_rows(admin_client.get("/meetings/export.csv"))

    assert [row[0] for row in rows[1:]] == [
        "2025-01-03 14:30:00",
        "2025-01-02 14:30:00",
        "2025-01-01 14:30:00",
    ]


def test_an_export_of_no_rows_is_its_header(admin_client):
    rows = csv_rows(admin_client.get("/people/export.csv", {"q": "nobody"}))

    assert rows == [PEOPLE_HEADER]


# Formulas


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
@pytest.mark.parametrize("value", HOSTILE)
def test_every_text_column_is_neutralised_joined_ones_too(
    admin_client, extension, value
):
    kind = OrganisationTypeFactory(name=value)
    parent = OrganisationFactory(name=value + " parent", acronym="", type=kind)
    OrganisationFactory(
        name="Child",
        acronym=value,
        type=kind,
        parent=parent,
        website=value,
        email=value,
        phone=value,
    )
    person = PersonFactory(full_name=value, email=value, phone=value)
    PositionFactory(person=person, organisation=parent, title=value)
    meeting = MeetingFactory(title=value, venue=value, host=parent)
    AgendaItemFactory(meeting=meeting, topic=TopicFactory(name=value))

    # Organisations: the parent's name and type; the child's acronym, type,
    # parent, website, email and phone. People: name, email, phone, position.
    # Meetings: title, venue, host, agenda.
    for url, hostile_cells in [
        ("/organisations/", 8),
        ("/people/", 4),
        ("/meetings/", 4),
    ]:
        rows = rows_of(admin_client.get(f"{url}export.{extension}"), extension)
        assert_no_formula(rows)
        # XML turns a carriage return into a line feed: compare without it.
        cells = [
            c.replace("\r", "\n") for row in rows[1:] for c in row if isinstance(c, str)
        ]
        neutralised = "'" + value.replace("\r", "\n")
        assert sum(c.startswith(neutralised) for c in cells) == hostile_cells


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_control_characters_are_blanked_in_joined_columns(admin_client, extension):
    parent = OrganisationFactory(name="KfW\x0bBank", acronym="")
    OrganisationFactory(name="Child", parent=parent)
    person = PersonFactory(full_name="Aziz")
    PositionFactory(person=person, organisation=parent, title="Head\x01of office")

    organisations = rows_of(
        admin_client.get(f"/organisations/export.{extension}"), extension
    )
    people = rows_of(admin_client.get(f"/people/export.{extension}"), extension)

    assert organisations[1][5] == "KfW Bank"
    assert people[1][3] == "Head of office, KfW Bank"


# Meetings recorded by date alone (issue 16)


def test_a_date_only_meeting_is_exported_as_its_date_alone_in_csv(admin_client):
    # Midnight of 29 January in Tashkent is 19:00 UTC the day before.
    MeetingFactory(
        title="By date",
        starts_at=datetime.datetime(2025, 1, 28, 19, tzinfo=datetime.UTC),
        date_only=True,
        host=None,
    )
    MeetingFactory(
        title="Timed",
        starts_at=datetime.datetime(2025, 1, 29, 5, 30, tzinfo=datetime.UTC),
        host=None,
    )

    rows = csv_rows(admin_client.get("/meetings/export.csv"))

    starts = {row[1]: row[0] for row in rows[1:]}
    assert starts == {"By date": "2025-01-29", "Timed": "2025-01-29 10:30:00"}


def test_a_date_only_meeting_is_a_date_cell_in_xlsx(admin_client):
    MeetingFactory(
        title="By date",
        starts_at=datetime.datetime(2025, 1, 28, 19, tzinfo=datetime.UTC),
        date_only=True,
        host=None,
    )
    MeetingFactory(
        title="Timed",
        starts_at=datetime.datetime(2025, 1, 29, 5, 30, tzinfo=datetime.UTC),
        host=None,
    )
    response = admin_client.get("/meetings/export.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))

    cells = {row[1].value: row[0] for row in workbook.active.iter_rows(min_row=2)}

    assert cells["By date"].value == datetime.datetime(2025, 1, 29)
    assert cells["By date"].number_format == "yyyy-mm-dd"
    assert cells["Timed"].value == datetime.datetime(2025, 1, 29, 10, 30)
    assert cells["Timed"].number_format == "yyyy-mm-dd h:mm:ss"


def test_date_only_meetings_across_chunks_keep_their_own_cells(
    admin_client, small_chunks
):
    for day in range(1, 11):
        MeetingFactory(
            title=f"Meeting {day:02}",
            starts_at=datetime.datetime(2025, 3, day, 5, tzinfo=datetime.UTC),
            date_only=day % 3 == 0,
            host=None,
        )
    AgendaItemFactory(meeting=Meeting.objects.get(title="Meeting 06"))

    rows = csv_rows(admin_client.get("/meetings/export.csv"))

    starts = {row[1]: row[0] for row in rows[1:]}
    assert starts["Meeting 06"] == "2025-03-06"
    assert starts["Meeting 07"] == "2025-03-07 10:00:00"
    assert len(rows[0]) == len(MEETING_HEADER)
    assert all(len(row) == len(MEETING_HEADER) for row in rows)
