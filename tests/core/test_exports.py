"""CSV and XLSX exports of the filtered lists: the rows of the list's filter
across all pages, a header row, UTF-8 that Excel reads, local times, a 400 for a
bad filter, no cell that a spreadsheet would run as a formula, and a database
error that is never a complete-looking file."""

import csv
import datetime
import gc
import io
import logging
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, connection, transaction
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from core import exports
from core.exports import Plan, neutralise
from stakeholders.models import Organisation, OrganisationType
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

TASHKENT = ZoneInfo("Asia/Tashkent")

# Cells a spreadsheet would run as a formula (or as DDE), as a hostile
# coordinator or a poisoned import could enter them.
HOSTILE = [
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://x")',
    "\n=1",
    "＝1+2",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
ORGANISATION_HEADER = [
    "Name",
    "Name in English",
    "Acronym",
    "Type",
    "Country",
    "Part of",
    "Active",
    "Meetings attended",
    "Last met",
    "Website",
    "Email",
    "Phone",
]


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # Outside DEBUG the settings redirect plain HTTP to HTTPS; the test client
    # speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False


def of_type(slug):
    return OrganisationType.objects.get(slug=slug)


def csv_rows(response):
    """The rows of a CSV download, header first, after checking that it is
    streamed and starts with a UTF-8 byte-order mark."""
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_rows(response):
    """The rows of the first sheet of an XLSX download, header first, after
    checking that it is streamed (sent as it is written)."""
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def rows_of(response, extension):
    return csv_rows(response) if extension == "csv" else xlsx_rows(response)


@pytest.fixture
def sixty_donors():
    """60 donors, more than the list's page of 50, and a few ministries."""
    donor = of_type("donor")
    donors = [
        OrganisationFactory(name=f"Donor {n:02}", type=donor) for n in range(1, 61)
    ]
    OrganisationFactory.create_batch(5, type=of_type("ministry"))
    return donors


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_it_exports_every_row_of_the_filter_across_all_pages(
    admin_client, sixty_donors, extension
):
    page = admin_client.get("/organisations/", {"type": "donor"})
    assert len(page.context["object_list"]) == 50

    response = admin_client.get(f"/organisations/export.{extension}", {"type": "donor"})

    rows = rows_of(response, extension)
    assert rows[0] == ORGANISATION_HEADER
    assert [row[0] for row in rows[1:]] == [d.name for d in sixty_donors]
    assert {row[3] for row in rows[1:]} == {"Donor / development bank"}


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_export_ignores_the_page_and_keeps_the_sort(
    admin_client, sixty_donors, extension
):
    response = admin_client.get(
        f"/organisations/export.{extension}",
        {"type": "donor", "sort": "-name", "page": "2"},
    )

    rows = rows_of(response, extension)
    assert [row[0] for row in rows[1:]] == [d.name for d in reversed(sixty_donors)]


def test_the_list_links_to_the_exports_of_its_filter(admin_client, sixty_donors):
    response = admin_client.get("/organisations/", {"type": "donor", "page": "2"})

    content = response.content.decode()
    assert 'href="/organisations/export.csv?type=donor"' in content
    assert 'href="/organisations/export.xlsx?type=donor"' in content


@pytest.mark.parametrize(
    ("extension", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_the_export_is_a_download_named_after_the_list(
    admin_client, extension, content_type
):
    response = admin_client.get(f"/organisations/export.{extension}")

    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="organisations.{extension}"'
    )


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_cyrillic_and_uzbek_names_survive_the_export(admin_client, extension):
    OrganisationFactory(
        name="Министерство здравоохранения", acronym="Минздрав", phone="+998 71 239"
    )
    OrganisationFactory(name="Sog‘liqni saqlash vazirligi", acronym="SSV")

    response = admin_client.get(f"/organisations/export.{extension}")

    rows = rows_of(response, extension)
    assert [[row[0], row[2]] for row in rows[1:]] == [
        ["Sog‘liqni saqlash vazirligi", "SSV"],
        ["Министерство здравоохранения", "Минздрав"],
    ]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_last_met_is_exported_as_the_local_day(admin_client, extension):
    # 01:00 in Tashkent is still 28 January in UTC.
    kfw = OrganisationFactory(name="KfW Bank")
    AttendanceFactory(
        organisation=kfw,
        meeting=MeetingFactory(
            starts_at=datetime.datetime(2025, 1, 29, 1, 0, tzinfo=TASHKENT)
        ),
    )

    response = admin_client.get(f"/organisations/export.{extension}", {"q": "kfw"})

    last_met = rows_of(response, extension)[1][ORGANISATION_HEADER.index("Last met")]
    if extension == "csv":
        assert last_met == "2025-01-29"
    else:
        assert last_met == datetime.datetime(2025, 1, 29)  # a date cell


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/organisations/", {"type": "no-such-type"}, "type"),
        ("/organisations/", {"attended_after": "2025-13-01"}, "attended_after"),
        ("/organisations/", {"parent": "abc"}, "parent"),
        ("/people/", {"attended": "999999"}, "attended"),
        ("/meetings/", {"after": "yesterday"}, "after"),
        ("/meetings/", {"status": "postponed"}, "status"),
    ],
)
def test_the_export_of_a_bad_filter_is_a_400_naming_the_field(
    admin_client, url, query, field, extension
):
    OrganisationFactory(name="KfW Bank")

    response = admin_client.get(f"{url}export.{extension}", query)

    assert response.status_code == 400
    body = response.content.decode()
    assert f"* {field}\n" in body
    assert "KfW Bank" not in body


# Formula neutralisation


@pytest.fixture
def hostile_organisations():
    """One organisation per hostile value, in its name, acronym and phone."""
    for n, value in enumerate(HOSTILE):
        OrganisationFactory(
            name=value, acronym=value, phone=value, email=f"office{n}@example.org"
        )


def assert_no_formula(rows):
    for row in rows:
        for cell in row:
            if isinstance(cell, str):
                assert not cell.startswith(FORMULA_STARTS), repr(cell)


@pytest.mark.usefixtures("hostile_organisations")
def test_the_csv_neutralises_every_cell_a_spreadsheet_would_run(admin_client):
    rows = csv_rows(admin_client.get("/organisations/export.csv"))

    assert_no_formula(rows)
    name, acronym, phone = (
        ORGANISATION_HEADER.index(c) for c in ("Name", "Acronym", "Phone")
    )
    exported = {(row[name], row[acronym], row[phone]) for row in rows[1:]}
    assert exported == {("'" + v, "'" + v, "'" + v) for v in HOSTILE}


@pytest.mark.usefixtures("hostile_organisations")
def test_the_xlsx_neutralises_every_cell_a_spreadsheet_would_run(admin_client):
    response = admin_client.get("/organisations/export.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active

    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert_no_formula(rows)
    # No cell is stored as a formula either.
    assert not [
        c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"
    ]
    name, acronym, phone = (
        ORGANISATION_HEADER.index(c) for c in ("Name", "Acronym", "Phone")
    )
    # XML turns a carriage return into a line feed: compare without it.
    exported = {
        tuple(row[i].replace("\r", "\n") for i in (name, acronym, phone))
        for row in rows[1:]
    }
    assert exported == {tuple(["'" + v.replace("\r", "\n")] * 3) for v in HOSTILE}


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_people_and_meeting_exports_neutralise_formulas_too(admin_client, extension):
    person = PersonFactory(full_name='=HYPERLINK("http://x")', phone="+998 90 123")
    PositionFactory(
        person=person, organisation=OrganisationFactory(name="@evil", acronym="")
    )
    MeetingFactory(title="-2+3", venue="=cmd|' /C calc'!A0", host=None)

    for url in ["/people/", "/meetings/"]:
        rows = rows_of(admin_client.get(f"{url}export.{extension}"), extension)
        assert len(rows) == 2
        assert_no_formula(rows)
        assert any(isinstance(c, str) and c.startswith("'") for c in rows[1])


def test_the_xlsx_export_survives_a_control_character_in_a_name(admin_client):
    """Text pasted from Word carries its line break, a vertical tab (U+000B),
    which XML 1.0 cannot hold."""
    OrganisationFactory(name="KfW\x0bBank", acronym="KfW")

    response = admin_client.get("/organisations/export.xlsx")

    rows = xlsx_rows(response)
    assert len(rows) == 2
    assert rows[1][0].startswith("KfW")
    assert rows[1][0].endswith("Bank")


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_prefixes_a_formula_with_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    ["WHO", "", 5, 2.5, None, "KfW-Bank", "1+2", "a=b", "O'Neil", "'=already"],
)
def test_neutralise_leaves_harmless_values_unchanged(value):
    assert neutralise(value) == value


# Queries


def test_the_csv_export_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    def make(n):
        for _ in range(n):
            person = PersonFactory()
            PositionFactory.create_batch(2, person=person)
            AttendanceFactory.create_batch(2, person=person)

    make(2)
    # session, user, people with their current positions (one query)
    with django_assert_num_queries(3):
        rows = csv_rows(admin_client.get("/people/export.csv"))
    assert len(rows) == 3

    make(58)
    # session, user, people with their current positions (one query)
    with django_assert_num_queries(3):
        rows = csv_rows(admin_client.get("/people/export.csv"))
    assert len(rows) == 61
    assert all(row[3].count(";") == 1 for row in rows[1:])


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_an_export_longer_than_a_chunk_has_each_row_once_in_order(
    admin_client, monkeypatch, extension
):
    """On PostgreSQL the first chunk's objects are read first and the rest
    after them (Plan.head_first); each person comes once, in the list's
    order, with all their current positions, whichever object ends the
    first read."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    ministry = OrganisationFactory(name="Ministry of Health", acronym="MoH")
    # Made in another order than their names'.
    for name in ["Ulugbek", "Aziza", "Dilnoza", "Bobur", "Sardor"]:
        person = PersonFactory(full_name=name)
        PositionFactory(person=person, organisation=ministry, title="Adviser")
        PositionFactory(person=person, organisation=ministry, title="Head")

    rows = rows_of(admin_client.get(f"/people/export.{extension}"), extension)

    names = ["Aziza", "Bobur", "Dilnoza", "Sardor", "Ulugbek"]
    assert [row[0] for row in rows[1:]] == names
    assert all(
        row[3] == "Adviser, Ministry of Health (MoH); Head, Ministry of Health (MoH)"
        for row in rows[1:]
    ), rows


# A database error while reading

INCOMPLETE = "— export incomplete: an error occurred; download again —"
EXPORTED_LISTS = ["/organisations/", "/people/", "/meetings/"]


@pytest.fixture
def five_of_each():
    for n in range(1, 6):
        OrganisationFactory(name=f"Partner {n}")
        PersonFactory(full_name=f"Person {n}")
        MeetingFactory(title=f"Meeting {n}", host=None)


def fail_after_chunks(monkeypatch, count):
    """Exports read two rows at a time from the database, and the read after
    the first ``count`` chunks fails as a dropped connection does."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    read = Plan.chunks

    def chunks(self):
        for number, chunk in enumerate(read(self)):
            if number == count:
                raise OperationalError("server closed the connection unexpectedly")
            yield chunk
        raise AssertionError("the export read fewer chunks than expected")

    monkeypatch.setattr(Plan, "chunks", chunks)


@pytest.mark.usefixtures("five_of_each")
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
@pytest.mark.parametrize("url", EXPORTED_LISTS)
def test_a_database_error_before_the_first_row_is_an_error_status(
    admin_client, monkeypatch, url, extension
):
    fail_after_chunks(monkeypatch, 0)
    admin_client.raise_request_exception = False

    response = admin_client.get(f"{url}export.{extension}")

    assert response.status_code == 500


@pytest.mark.usefixtures("five_of_each")
@pytest.mark.parametrize("url", EXPORTED_LISTS)
def test_a_csv_cut_short_by_an_error_ends_saying_it_is_incomplete(
    admin_client, monkeypatch, caplog, url
):
    fail_after_chunks(monkeypatch, 1)

    with caplog.at_level(logging.ERROR, logger="core.exports"):
        rows = csv_rows(admin_client.get(f"{url}export.csv"))

    # The header, the rows read before the error (one or two: the last object
    # of a chunk may go on in the next), and the line that says so.
    assert 1 <= len(rows[1:-1]) <= 2
    assert rows[-1] == [INCOMPLETE]
    assert INCOMPLETE not in rows[-2]
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert f"{url}export.csv" in record.getMessage()
    assert isinstance(record.exc_info[1], OperationalError)


@pytest.mark.usefixtures("five_of_each")
def test_a_csv_cut_short_keeps_the_rows_sent_before_the_error(
    admin_client, monkeypatch
):
    fail_after_chunks(monkeypatch, 2)

    rows = csv_rows(admin_client.get("/organisations/export.csv"))

    assert rows[0] == ORGANISATION_HEADER
    assert [row[0] for row in rows[1:-1]] == [f"Partner {n}" for n in range(1, 5)]
    assert rows[-1] == [INCOMPLETE]


def test_a_complete_csv_has_no_incomplete_line(admin_client, five_of_each):
    rows = csv_rows(admin_client.get("/organisations/export.csv"))

    assert len(rows) == 6
    assert [INCOMPLETE] not in rows


@pytest.mark.usefixtures("five_of_each")
@pytest.mark.parametrize("url", EXPORTED_LISTS)
def test_an_xlsx_cut_short_by_an_error_is_a_whole_workbook_saying_so(
    admin_client, monkeypatch, caplog, url
):
    """The workbook is sent as it is written (its first bytes leave before
    its last rows are read), so an error cannot change the status: the
    sheet ends with a row saying it is incomplete, the file is still a
    workbook a spreadsheet opens, and the error is logged."""
    fail_after_chunks(monkeypatch, 2)

    with caplog.at_level(logging.ERROR, logger="core.exports"):
        response = admin_client.get(f"{url}export.xlsx")
        rows = xlsx_rows(response)

    assert response.status_code == 200
    assert 2 <= len(rows[1:-1]) <= 4
    # (openpyxl pads every row to the sheet's width.)
    assert rows[-1][0] == INCOMPLETE
    assert not any(rows[-1][1:])
    assert INCOMPLETE not in rows[-2]
    [record] = caplog.records
    assert f"{url}export.xlsx" in record.getMessage()
    assert isinstance(record.exc_info[1], OperationalError)


def test_a_small_export_left_unread_holds_no_cursor(admin_client, five_of_each):
    """Its query runs in the view; a PostgreSQL cursor left open then would be
    closed by the garbage collector in whatever transaction is open by then,
    aborting it if the cursor was another's (here a rolled-back savepoint)."""
    savepoint = transaction.savepoint()
    response = admin_client.get("/organisations/export.csv")
    assert response.status_code == 200
    transaction.savepoint_rollback(savepoint)
    del response
    gc.collect()

    assert Organisation.objects.count() == 5


@pytest.mark.parametrize("read", [True, False], ids=["read", "left unread"])
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_streamed_export_holds_its_transaction_until_it_is_closed(
    reference_data, admin_client, monkeypatch, read, extension
):
    """On PostgreSQL the rows are read in a transaction of their own (a
    cursor declared outside one is WITH HOLD: the whole result is computed
    and stored before the first row leaves), from the view until the server
    closes the response, read to its end or not. Outside a test's own
    transaction, as a server runs; on SQLite nothing is held."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    for n in range(5):
        OrganisationFactory(name=f"Partner {n}")

    response = admin_client.get(f"/organisations/export.{extension}")

    assert connection.in_atomic_block == (connection.vendor == "postgresql")
    if connection.in_atomic_block:
        # One snapshot for its queries (Plan.head_first).
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone() == ("repeatable read",)
    if read:
        # The test client closes the response once it is read to its end.
        rows = rows_of(response, extension)
        assert len(rows) == 6
    else:
        response.close()
    assert not connection.in_atomic_block
    assert connection.get_autocommit()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side cursors: PostgreSQL's"
)
def test_an_export_keeps_its_cursor_where_server_side_cursors_are_disabled(
    reference_data, admin_client, monkeypatch, capture_queries
):
    """DISABLE_SERVER_SIDE_CURSORS (a PgBouncer in transaction pooling,
    docs/operations.md) is for cursors held across transactions. An export's
    lives in its own transaction, which the pool keeps on one connection, so
    it still reads a chunk at a time rather than every row at once."""
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    for n in range(5):
        OrganisationFactory(name=f"Partner {n}")

    with capture_queries() as queries:
        rows = rows_of(admin_client.get("/organisations/export.csv"), "csv")

    assert len(rows) == 6
    declared = [sql for sql in queries.sql if sql.startswith("DECLARE")]
    assert declared
    assert not [sql for sql in declared if "WITH HOLD" in sql]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="psycopg's loaders: PostgreSQL's"
)
def test_an_export_reads_date_times_with_psycopgs_loader(
    reference_data, admin_client, monkeypatch
):
    """Django reads a ``timestamptz`` with a loader of its own, written in
    Python: a fifth of the CPU of the people's export at XL. An export reads
    them with psycopg's (in C), and its dates are the same."""
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    parsed = []
    load = BaseTzLoader.load

    def counted(self, data):
        parsed.append(bytes(data))
        return load(self, data)

    monkeypatch.setattr(BaseTzLoader, "load", counted)
    kfw = OrganisationFactory(name="KfW Bank")
    AttendanceFactory(
        organisation=kfw,
        meeting=MeetingFactory(
            starts_at=datetime.datetime(2025, 1, 29, 1, 0, tzinfo=TASHKENT)
        ),
    )
    # What the ORM reads goes through Django's loader (the test sees it).
    Organisation.objects.values_list("last_met").get(pk=kfw.pk)
    [last_met] = parsed
    parsed.clear()

    response = admin_client.get("/organisations/export.csv", {"q": "kfw"})

    rows = csv_rows(response)
    assert rows[1][ORGANISATION_HEADER.index("Last met")] == "2025-01-29"
    # (The session's expiry and the user's dates are read as for any page.)
    assert last_met not in parsed


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a session's time zone: PostgreSQL's"
)
def test_an_exports_times_do_not_depend_on_the_sessions_time_zone(
    reference_data, admin_client
):
    """PostgreSQL writes a ``timestamptz`` in the session's time zone, with
    its offset. Django's loader assumes UTC, which the session has unless a
    pool in front of the database hands over a connection set otherwise
    (docs/operations.md, PgBouncer); the export reads the offset."""
    meeting = MeetingFactory(
        starts_at=datetime.datetime(2025, 1, 29, 1, 0, tzinfo=TASHKENT)
    )
    AttendanceFactory(
        organisation=OrganisationFactory(name="KfW Bank"), meeting=meeting
    )
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'America/New_York'")

    response = admin_client.get("/organisations/export.csv", {"q": "kfw"})

    rows = csv_rows(response)
    assert rows[1][ORGANISATION_HEADER.index("Last met")] == "2025-01-29"
