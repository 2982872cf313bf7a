"""Reading a sign-in sheet, continued: CSV files in a Windows code page,
control characters anywhere in a sheet, damaged workbooks, and workbooks
built to be heavy within every limit (issue 17)."""

import contextlib
import datetime
import io
import random
import zipfile

import pytest

from meetings.imports import sheets, xlsx
from meetings.imports.reading import read_sheet
from meetings.imports.sheets import SheetError
from tests.meetings.test_import import csv_data, xlsx_data

# Windows code pages.


def test_it_reads_windows_1252_and_says_so():
    data = csv_data(
        [["Société Générale", "Hélène Dupré", "h.dupre@sg.example", "Chargée"]],
        header=["Organisation", "Name", "Email", "Position"],
        delimiter=";",
        encoding="cp1252",
    )

    sheet = read_sheet(data, "sheet.csv")

    assert sheet.rows[0].organisation == "Société Générale"
    assert sheet.rows[0].name == "Hélène Dupré"
    assert sheet.rows[0].title == "Chargée"
    assert (
        "Read as Windows-1252 (Western European): the file is not UTF-8."
        in sheet.notices
    )


def test_it_reads_latin_1():
    data = csv_data(
        [["Agence Française de Développement", "Zoë Noël"], ["KfW", "Jürgen Groß"]],
        header=["Organisation", "Name"],
        encoding="latin-1",
    )

    sheet = read_sheet(data, "sheet.csv")

    assert [(row.organisation, row.name) for row in sheet.rows] == [
        ("Agence Française de Développement", "Zoë Noël"),
        ("KfW", "Jürgen Groß"),
    ]


def test_a_windows_1251_sheet_is_still_read_as_cyrillic():
    data = csv_data(
        [
            ["Министерство здравоохранения", "Ўрмонов Ўткир"],
            # Typed with a Latin "e": the sheet's own mistake, read as it is.
            ["ВОЗ", "Пeтров Пётр Иванович"],
            ["UNICEF", "Сидорова Анна"],
        ],
        header=["Организация", "ФИО"],
        delimiter=";",
        encoding="cp1251",
    )

    sheet = read_sheet(data, "sheet.csv")

    assert [(row.organisation, row.name) for row in sheet.rows] == [
        ("Министерство здравоохранения", "Ўрмонов Ўткир"),
        ("ВОЗ", "Пeтров Пётр Иванович"),
        ("UNICEF", "Сидорова Анна"),
    ]
    assert "Read as Windows-1251 (Cyrillic): the file is not UTF-8." in sheet.notices


ADVICE = "“Save As” → “CSV UTF-8 \\(Comma delimited\\)”"


def pasted_code_pages():
    """Two sheets pasted together, one saved in a Western European locale and
    one in a Russian one: either reading garbles some names. (Most of its
    letters read as Cyrillic, so it was read as Windows-1251.)"""
    western = "Organisation;Name\nSociété Générale;Jean\n".encode("cp1252")
    russian = (
        "ВОЗ;Иванов Иван Иванович\nЮНИСЕФ;Петрова Анна Сергеевна\n"
        "Минздрав;Сидоров Олег Петрович\n"
    ).encode("cp1251")
    return western + russian


@pytest.mark.parametrize(
    "data",
    [
        pasted_code_pages(),
        # Too little to tell: "à" in Windows-1252 is "а" in Windows-1251.
        "Organisation;Name\nWHO;à\n".encode("cp1252"),
    ],
)
def test_it_refuses_a_file_whose_code_page_it_cannot_tell(data):
    with pytest.raises(SheetError, match=f"not UTF-8.*{ADVICE}"):
        read_sheet(data, "sheet.csv")


# Control characters.


def long_csv_with(cell, rows=3000):
    """A CSV whose row ``rows + 2`` (past the first 64 KB) has ``cell`` as its
    name."""
    data = csv_data(
        [["WHO", f"Participant number {n:05d}"] for n in range(rows)]
        + [["UNICEF", cell]],
        header=["Organisation", "Name"],
    )
    assert data.index(cell.encode()) > 65536
    return data


@pytest.mark.parametrize(
    ("character", "code"), [("\x00", "U+0000"), ("\x0b", "U+000B"), ("\x1b", "U+001B")]
)
def test_a_control_character_anywhere_is_refused_naming_the_row_and_column(
    character, code
):
    data = long_csv_with(f"Anna{character}Schmidt")

    with pytest.raises(SheetError) as refusal:
        read_sheet(data, "sheet.csv")

    assert str(refusal.value).startswith(
        f"Row 3002, column “Name”: the cell holds a control character ({code})"
    )


def test_a_control_character_in_a_column_not_imported_is_refused_too():
    data = csv_data([["WHO", "Anna", "note\x1b"]], header=["Organisation", "Name", ""])

    with pytest.raises(SheetError, match=r"Row 2, column C: .*U\+001B"):
        read_sheet(data, "sheet.csv")


def test_a_control_character_in_an_xlsx_cell_is_refused():
    # XML cannot hold most C0 controls, but it holds C1 ones such as U+009B.
    data = xlsx_data([["WHO", "Anna"], ["KfW", "Olga\u009b"]])

    with pytest.raises(SheetError, match=r"Row 3, column “Name”: .*U\+009B"):
        read_sheet(data, "sheet.xlsx")


# Workbooks written as Excel writes them, part by part.

NS = (
    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES = (
    b"<numFmts><numFmt numFmtId='164' formatCode='dd/mm/yyyy hh:mm'/></numFmts>"
    b"<cellXfs><xf numFmtId='0'/><xf numFmtId='164'/><xf numFmtId='14'/></cellXfs>"
)


def workbook(*sheets, shared=(), styles=STYLES, properties=b"", active=0):
    """An XLSX workbook of ``sheets`` (each the XML inside <worksheet>), with
    the shared strings ``shared`` (each the XML inside <si>)."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        f'ContentType="{MAIN}.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Type="{RELATIONSHIP}/worksheet" '
        f'Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/xl/workbook.xml" '
            f'ContentType="{MAIN}.sheet.main+xml"/>{overrides}</Types>'
        ).encode(),
        "xl/workbook.xml": b"<workbook "
        + NS
        + b">"
        + properties
        + b'<bookViews><workbookView activeTab="%d"/></bookViews><sheets>' % active
        + b"".join(
            b'<sheet name="Sheet%d" sheetId="%d" r:id="rId%d"/>' % (n, n, n)
            for n in range(1, len(sheets) + 1)
        )
        + b"</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{relations}'
            f'<Relationship Id="rIdS" Type="{RELATIONSHIP}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            f'<Relationship Id="rIdT" Type="{RELATIONSHIP}/styles" '
            'Target="styles.xml"/></Relationships>'
        ).encode(),
        "xl/styles.xml": b"<styleSheet " + NS + b">" + styles + b"</styleSheet>",
        "xl/sharedStrings.xml": b"<sst "
        + NS
        + b">"
        + b"".join(b"<si>" + item + b"</si>" for item in shared)
        + b"</sst>",
    }
    for n, sheet in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{n}.xml"] = (
            b"<worksheet " + NS + b">" + sheet + b"</worksheet>"
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def inline(text):
    return b'<c t="inlineStr"><is><t>' + text.encode() + b"</t></is></c>"


def rows(*values, extra=b""):
    """<sheetData> of rows of inline strings; ``extra`` ends each row after
    the first."""
    return (
        b"<sheetData>"
        + b"".join(
            b"<row>"
            + b"".join(inline(value) for value in row)
            + (extra if number else b"")
            + b"</row>"
            for number, row in enumerate(values)
        )
        + b"</sheetData>"
    )


def test_an_excel_workbook_reads_as_written():
    """Shared strings with rich text and phonetic guides, dates in a custom
    format, the 1904 date system, booleans, errors, a formula's last result:
    what openpyxl read them as."""
    data = workbook(
        b"<sheetData>"
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        b'<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
        b'<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>5</v></c>'
        b'<c r="C3" s="1"><v>45686.5</v></c><c r="D3" s="2"><v>45686</v></c>'
        b'<c r="E3" t="b"><v>1</v></c><c r="F3" t="e"><v>#N/A</v></c></row>'
        b'<row r="4"><c r="A4" t="str"><f>A3</f><v>WHO</v></c>'
        b'<c r="C4"><f>1+1</f></c><c r="D4"><v>998901234567</v></c></row>'
        b"</sheetData>",
        shared=[
            b"<t>Organisation</t>",
            b"<t>Name</t>",
            b"<t>Position</t>",
            b"<t>Phone</t>",
            b"<r><t>Mini</t></r><r><rPr><b/></rPr><t xml:space='preserve'>stry "
            b"</t></r><r><t>of Health</t></r><rPh sb='0' eb='1'><t>X</t></rPh>",
            "<t>Иванов Иван</t>".encode(),
        ],
        properties=b'<workbookPr date1904="1"/>',
    )

    table, _notices = xlsx.read_xlsx(data)
    sheet = read_sheet(data, "sheet.xlsx")

    assert list(table)[2] == [
        "Ministry of Health",
        "Иванов Иван",
        datetime.datetime(2029, 1, 30, 12, 0),
        datetime.datetime(2029, 1, 30),
        True,
        "#N/A",
    ]
    assert [
        (row.number, row.organisation, row.name, row.title, row.phone)
        for row in sheet.rows
    ] == [
        (3, "Ministry of Health", "Иванов Иван", "2029-01-30T12:00:00", "2029-01-30"),
        (4, "WHO", "", "", "998901234567"),
    ]
    assert sheet.notices == ["1 empty row skipped."]


def test_it_reads_the_sheet_the_workbook_opens_on():
    data = workbook(
        rows(["nothing"]),
        rows(["Organisation", "Name"], ["WHO", "Anna"]),
        active=1,
    )

    sheet = read_sheet(data, "sheet.xlsx")

    assert sheet.rows[0].name == "Anna"
    assert sheet.notices == ["Read the sheet “Sheet2”; other sheets ignored: “Sheet1”."]


# Damaged workbooks: the file is refused as damaged, never a server error.


def xlsx_parts(replacements=(), compression=zipfile.ZIP_DEFLATED):
    """A small workbook written by openpyxl, with some of its parts replaced
    (None removes one)."""
    original = zipfile.ZipFile(io.BytesIO(xlsx_data([["WHO", "Ivan"]])))
    members = {name: original.read(name) for name in original.namelist()}
    members.update(dict(replacements))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in members.items():
            if content is not None:
                archive.writestr(name, content)
    return out.getvalue()


def damaged_deflate_stream():
    data = bytearray(xlsx_parts())
    name = b"xl/worksheets/sheet1.xml"
    start = data.index(name) + len(name)
    for offset in range(20, 40):
        data[start + offset] ^= 0x55
    return bytes(data)


def bad_checksum():
    """A worksheet that unpacks to other bytes than its checksum says."""
    data = xlsx_parts(compression=zipfile.ZIP_STORED)
    assert data.count(b">WHO<") == 1
    return data.replace(b">WHO<", b">WHY<")


DAMAGED_XLSX = {
    "truncated": lambda: xlsx_parts()[:-200],
    "cut in half": lambda: xlsx_parts()[: len(xlsx_parts()) // 2],
    "a zip of other files": lambda: xlsx_parts(
        {"xl/workbook.xml": None, "[Content_Types].xml": b"<Types/>"}
    ),
    "corrupted sheet XML": lambda: xlsx_parts(
        {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c"}
    ),
    "garbage workbook.xml": lambda: xlsx_parts({"xl/workbook.xml": b"\x00\x01junk"}),
    "garbage content types": lambda: xlsx_parts({"[Content_Types].xml": b"<<<"}),
    "garbage relationships": lambda: xlsx_parts(
        {"xl/_rels/workbook.xml.rels": b"<Relationships"}
    ),
    "garbage styles": lambda: xlsx_parts({"xl/styles.xml": b"<styleSheet><<"}),
    "no worksheet": lambda: xlsx_parts({"xl/worksheets/sheet1.xml": None}),
    "a number that is none": lambda: xlsx_parts(
        {
            "xl/worksheets/sheet1.xml": b"<worksheet "
            + NS
            + b"><sheetData><row><c r='A1'><v>12abc</v></c></row></sheetData>"
            b"</worksheet>"
        }
    ),
    "a shared string that is not there": lambda: workbook(
        b"<sheetData><row><c t='s'><v>7</v></c></row></sheetData>"
    ),
    "damaged deflate stream": damaged_deflate_stream,
    "bad checksum": bad_checksum,
}


@pytest.mark.parametrize("name", DAMAGED_XLSX)
def test_a_damaged_workbook_is_refused_as_damaged(name):
    with pytest.raises(SheetError, match=r"damaged|not an XLSX"):
        read_sheet(DAMAGED_XLSX[name](), "sheet.xlsx")


def test_no_corruption_of_a_workbook_escapes_as_another_error():
    """Bytes flipped, parts cut short or replaced, at random (seeded)."""
    excel = workbook(
        b"<sheetData>"
        + b"".join(
            b'<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" s="2">'
            b"<v>45000</v></c></row>" % (n, n, n, n)
            for n in range(1, 20)
        )
        + b"<mergeCells><mergeCell ref='A2:A4'/></mergeCells></sheetData>",
        shared=[b"<t>Organisation</t>", b"<t>Name</t>"]
        + [b"<t>p%d</t>" % n for n in range(20)],
    )
    originals = [xlsx_parts(), excel]
    rng = random.Random(17)  # noqa: S311 (not for secrets)
    for _ in range(300):
        data = bytearray(rng.choice(originals))
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(4, len(data))] ^= rng.randrange(1, 256)
        else:
            data = data[: rng.randrange(4, len(data))]
        with contextlib.suppress(SheetError):
            read_sheet(bytes(data), "sheet.xlsx")


# Heavy workbooks: refused, or read in bounded time and memory.


@pytest.fixture
def spy(monkeypatch):
    """The workbook readers made, each keeping the parts it parsed (and, as
    every reader does, the count of XML elements)."""
    readers = []

    class Spy(xlsx._Workbook):
        def __init__(self, archive):
            super().__init__(archive)
            self.parts = []
            readers.append(self)

        def parse(self, path, *args, **kwargs):
            self.parts.append(path)
            return super().parse(path, *args, **kwargs)

    monkeypatch.setattr(xlsx, "_Workbook", Spy)
    return readers


def test_of_many_sheets_only_the_one_read_is_parsed(spy):
    # Sheets that do not state their size: openpyxl parsed each to its end.
    sheet = rows(["Organisation", "Name"], *[["WHO", "Anna"]] * 200)
    data = workbook(*[sheet] * 50, active=7)

    read_sheet(data, "sheet.xlsx")

    (reader,) = spy
    assert [part for part in reader.parts if "worksheets" in part] == [
        "xl/worksheets/sheet8.xml"
    ]


def test_a_long_text_repeated_in_every_row_is_read_once_and_kept_short():
    long_text = ("Всемирная организация здравоохранения " * 900)[:32_767]
    data = workbook(
        b"<sheetData><row><c t='s'><v>0</v></c><c t='s'><v>1</v></c></row>"
        + b"<row><c t='s'><v>2</v></c><c t='s'><v>2</v></c></row>" * 2000
        + b"</sheetData>",
        shared=[b"<t>Organisation</t>", b"<t>Name</t>", f"<t>{long_text}</t>".encode()],
    )

    sheet = read_sheet(data, "sheet.xlsx")

    assert len(sheet.rows) == 2000
    # One past the limit: the plan still says it is too long.
    assert {len(row.organisation) for row in sheet.rows} == {256}
    assert sheet.rows[0].organisation.endswith("…")
    assert sheet.rows[0].name == long_text[:255] + "…"


def test_cells_far_right_are_skipped_and_said_so():
    # Every row reaches column XFD, the last one.
    far = b'<c r="XFD%d" t="inlineStr"><is><t>far</t></is></c>'
    data = workbook(
        b"<sheetData>"
        + b"".join(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c>'
            % (n, n, b"Organisation" if n == 1 else b"WHO")
            + far % n
            + b"</row>"
            for n in range(1, 101)
        )
        + b"</sheetData>"
    )

    table, notices = xlsx.read_xlsx(data)

    assert {len(row) for row in table} == {1}
    assert notices == [f"Only the first {sheets.MAX_COLUMNS} columns were read."]


def test_a_workbook_past_the_element_budget_is_refused(monkeypatch, spy):
    monkeypatch.setattr(xlsx, "MAX_XLSX_ELEMENTS", 5_000)
    # A hundred participants in rows formatted as far as column ALL.
    empty = b"".join(b'<c s="1"/>' for _ in range(1000))
    data = workbook(
        rows(["Organisation", "Name"], *[["WHO", "Anna"]] * 100, extra=empty)
    )

    with pytest.raises(SheetError, match="far more than a sheet of 10,000 rows"):
        read_sheet(data, "sheet.xlsx")

    (reader,) = spy
    # The reading stopped there, a twentieth of the way through the sheet.
    assert reader.elements == 5_000


def test_a_workbook_past_the_text_budget_is_refused(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_XLSX_TEXT", 10_000)
    data = workbook(rows(["Organisation", "Name"], *[["WHO", "A" * 1000]] * 11))

    with pytest.raises(SheetError, match="far more than a sheet of 10,000 rows"):
        read_sheet(data, "sheet.xlsx")


def test_shared_strings_no_kept_cell_uses_do_not_count_as_text(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_XLSX_TEXT", 10_000)
    # The text of other sheets: 100,000 characters.
    data = workbook(
        b"<sheetData><row><c t='s'><v>0</v></c></row>"
        b"<row><c t='s'><v>1</v></c></row></sheetData>",
        shared=[b"<t>Organisation</t>", b"<t>WHO</t>"]
        + [b"<t>" + b"x" * 1000 + b"</t>"] * 100,
    )

    assert read_sheet(data, "sheet.xlsx").rows[0].organisation == "WHO"


def test_a_sheet_past_the_cell_budget_is_refused(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_XLSX_CELLS", 1_000)
    # One value in column AX (50) a row: 50 cells a row kept.
    data = workbook(
        b"<sheetData>"
        + b"".join(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c>'
            b'<c r="AX%d" t="inlineStr"><is><t>x</t></is></c></row>'
            % (n, n, b"Organisation" if n == 1 else b"WHO", n)
            for n in range(1, 30)
        )
        + b"</sheetData>"
    )

    with pytest.raises(SheetError, match="far more than a sheet of 10,000 rows"):
        read_sheet(data, "sheet.xlsx")


def test_reading_stops_at_the_first_row_past_the_limit(monkeypatch, spy):
    # The limit as the XLSX reader stops at it, and as the message states it.
    monkeypatch.setattr(xlsx, "MAX_ROWS", 10)
    monkeypatch.setattr(sheets, "MAX_ROWS", 10)
    data = workbook(rows(["Organisation", "Name"], *[["WHO", "Anna"]] * 1000))

    with pytest.raises(SheetError, match="more than 10 rows"):
        read_sheet(data, "sheet.xlsx")

    (reader,) = spy
    # Row 101 is the first past ten times the limit (blank rows are skipped):
    # about 7 elements a row, of the 7,000 the sheet holds.
    assert reader.elements < 800


def test_formatted_empty_rows_past_the_limit_do_not_count():
    # Excel writes a row that has only a height or a format.
    data = workbook(
        rows(["Organisation", "Name"], ["WHO", "Anna"])[: -len(b"</sheetData>")]
        + b'<row r="1048576" ht="20" customHeight="1"/></sheetData>'
    )

    assert read_sheet(data, "sheet.xlsx").rows[0].name == "Anna"
