"""Importing a sign-in sheet, reading it: columns in English and Russian,
CSV and XLSX layouts and encodings, and refusing hostile, oversized and
unreadable files."""

import datetime
import io
import time
import zipfile

import openpyxl
import pytest

from meetings.imports import reading, xlsx
from meetings.imports.reading import read_sheet
from meetings.imports.sheets import MAX_FILE_SIZE, MAX_ROWS, SheetError
from tests.meetings.test_import import HEADER, csv_data, xlsx_data

pytestmark = pytest.mark.django_db


# Reading: columns.


def test_it_matches_headers_in_english_and_russian_ignoring_case_and_spacing():
    data = csv_data(
        [["WHO", "Ivanov Ivan", "i@who.int", "Adviser", "участник", "присутствовал"]],
        header=[" ОРГАНИЗАЦИЯ ", "Ф.И.О.", "E-Mail", "Должность", "роль", "Статус"],
    )

    sheet = read_sheet(data, "sheet.csv")

    assert sheet.columns == {
        "organisation": " ОРГАНИЗАЦИЯ ".strip(),
        "name": "Ф.И.О.",
        "email": "E-Mail",
        "title": "Должность",
        "role": "роль",
        "status": "Статус",
    }
    assert sheet.rows[0].name == "Ivanov Ivan"


def test_it_reads_a_bilingual_header():
    sheet = read_sheet(
        csv_data([["WHO", "Ivan"]], header=["Организация / Organisation", "ФИО"]),
        "sheet.csv",
    )

    assert sheet.columns["organisation"] == "Организация / Organisation"


def test_it_reports_columns_it_does_not_import():
    sheet = read_sheet(
        csv_data(
            [["1", "WHO", "Ivan", "signed"]], header=["№", *HEADER[:2], "Подпись"]
        ),
        "sheet.csv",
    )

    assert sheet.ignored_columns == ["№", "Подпись"]
    assert "Columns not imported (not a known heading): “№”, “Подпись”." in (
        sheet.notices
    )


def test_it_refuses_a_sheet_without_an_organisation_column():
    with pytest.raises(SheetError, match="no organisation column"):
        read_sheet(csv_data([["Ivan", "i@x.org"]], header=["Name", "Email"]), "s.csv")


def test_it_refuses_two_columns_for_one_field():
    with pytest.raises(SheetError, match="“Name” and “ФИО” both hold"):
        read_sheet(
            csv_data([["WHO", "Ivan", "Иван"]], header=["Organisation", "Name", "ФИО"]),
            "s.csv",
        )


def test_person_columns_may_be_absent_or_empty():
    sheet = read_sheet(csv_data([["WHO"], ["KfW"]], header=["Organisation"]), "s.csv")

    assert [(r.organisation, r.name, r.email) for r in sheet.rows] == [
        ("WHO", "", ""),
        ("KfW", "", ""),
    ]


def test_it_joins_a_name_split_over_columns_in_their_order():
    sheet = read_sheet(
        csv_data(
            [["WHO", "Иванов", "Иван", "Иванович"]],
            header=["Организация", "Фамилия", "Имя", "Отчество"],
        ),
        "s.csv",
    )

    assert sheet.rows[0].name == "Иванов Иван Иванович"
    assert sheet.columns["name"] == "Фамилия + Имя + Отчество"


def test_row_numbers_are_the_spreadsheets_after_title_rows_and_empty_rows():
    data = xlsx_data(
        [["WHO", "Ivan"], [None, None], ["", " "], ["KfW", "Anna"]],
        header=["Organisation", "Name"],
        before=[["Sign-in sheet, 29 January 2025"], []],
    )

    sheet = read_sheet(data, "sheet.xlsx")

    assert [(r.number, r.organisation) for r in sheet.rows] == [
        (4, "WHO"),
        (7, "KfW"),
    ]
    assert "The header is row 3; the rows above it were skipped." in sheet.notices
    assert "2 empty rows skipped." in sheet.notices


def test_a_merged_organisation_cell_belongs_to_every_row_it_spans():
    data = xlsx_data(
        [["WHO", "Ivan"], [None, "Anna"], [None, "Olga"], [None, None]],
        header=["Organisation", "Name"],
        merge=["A2:A5"],
    )

    sheet = read_sheet(data, "sheet.xlsx")

    assert [(r.organisation, r.name) for r in sheet.rows] == [
        ("WHO", "Ivan"),
        ("WHO", "Anna"),
        ("WHO", "Olga"),
    ]


def test_xlsx_numbers_and_dates_read_as_written_and_other_sheets_are_named():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Participants"
    workbook.active.append(["Organisation", "Name", "Phone", "Signed"])
    workbook.active.append(["WHO", "Ivan", 998901234567, datetime.date(2025, 1, 29)])
    workbook.create_sheet("Notes").append(["not a participant"])
    out = io.BytesIO()
    workbook.save(out)

    sheet = read_sheet(out.getvalue(), "sheet.xlsx")

    assert sheet.rows[0].phone == "998901234567"
    assert sheet.ignored_columns == ["Signed"]
    assert "Read the sheet “Participants”; other sheets ignored: “Notes”." in (
        sheet.notices
    )


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_reads_comma_semicolon_and_tab_separated_csv(delimiter):
    data = csv_data([["KfW, Frankfurt", "Anna Schmidt"]], delimiter=delimiter)

    sheet = read_sheet(data, "sheet.csv")

    assert sheet.rows[0].organisation == "KfW, Frankfurt"
    assert sheet.rows[0].name == "Anna Schmidt"


def test_it_follows_excels_sep_line():
    data = b"sep=;\r\n" + csv_data([["WHO", "Ivan, Jr"]], delimiter=";")

    sheet = read_sheet(data, "sheet.csv")

    assert (sheet.rows[0].number, sheet.rows[0].name) == (2, "Ivan, Jr")


def test_it_reads_a_utf8_file_with_a_byte_order_mark():
    data = "\ufeff".encode() + csv_data([["Узинфоком", "Иван"]])

    sheet = read_sheet(data, "sheet.csv")

    assert sheet.columns["organisation"] == "Organisation"
    assert sheet.rows[0].organisation == "Узинфоком"
    assert sheet.notices == []


def test_it_reads_windows_1251_and_says_so():
    data = csv_data(
        [["Узинфоком", "Петров Пётр", "p@uzinfocom.uz", "Инженер", "", ""]],
        header=["Организация", "ФИО", "Email", "Должность", "Роль", "Статус"],
        delimiter=";",
        encoding="cp1251",
    )

    sheet = read_sheet(data, "sheet.csv")

    assert sheet.rows[0].organisation == "Узинфоком"
    assert sheet.rows[0].name == "Петров Пётр"
    assert "Read as Windows-1251 (Cyrillic): the file is not UTF-8." in sheet.notices


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        # Turkish ğ, ş and İ read as Windows-1252 are Icelandic ð, þ and Ý.
        ("Organisation;Name\nTürk İşbirliği Ajansı;Ayşe Yılmaz\n", "cp1254"),
        ("Organisation;Name\nMinisterstwo Zdrowia;Łukasz Wiśniewski\n", "cp1250"),
        ("Организация;ФИО\nУзинфоком;Петров Пётр Иванович\n", "koi8_r"),
        ("Организация;ФИО\nУзинфоком;Петров Пётр Иванович\n", "cp866"),
    ],
)
def test_it_refuses_an_encoding_it_cannot_read_without_garbling(text, encoding):
    with pytest.raises(SheetError, match=r"not UTF-8.*“CSV UTF-8 \(Comma delimited\)”"):
        read_sheet(text.encode(encoding), "sheet.csv")


def test_it_refuses_damaged_utf8_naming_the_line():
    data = "Организация;ФИО\nУзинфоком;Петров\nМинздрав;Иванов\n".encode()
    damaged = data.replace("Иванов".encode(), b"\xd0\x98\xd0" + b"\xff", 1)

    with pytest.raises(SheetError, match="UTF-8 but damaged at line 3"):
        read_sheet(damaged, "sheet.csv")


# Refusing files.


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(monkeypatch):
    def never(data):
        raise AssertionError("parsed")

    monkeypatch.setattr(reading, "_read_csv", never)
    monkeypatch.setattr(reading, "read_xlsx", never)

    with pytest.raises(SheetError, match="sheets of up to 5 MB are accepted"):
        read_sheet(b"Organisation\n" + b"x" * MAX_FILE_SIZE, "big.csv")


def test_a_sheet_over_the_row_limit_is_refused():
    data = csv_data([["WHO"]] * (MAX_ROWS + 1), header=["Organisation"])

    with pytest.raises(SheetError, match="more than 10,000 rows"):
        read_sheet(data, "long.csv")


def test_a_sheet_at_the_row_limit_is_read():
    data = csv_data([["WHO"]] * MAX_ROWS, header=["Organisation"])

    assert len(read_sheet(data, "long.csv").rows) == MAX_ROWS


def zip_data(members, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def xlsx_with(replacements):
    """A valid XLSX workbook with some of its parts replaced."""
    original = zipfile.ZipFile(io.BytesIO(xlsx_data([["WHO", "Ivan"]])))
    members = {name: original.read(name) for name in original.namelist()}
    members.update(replacements)
    return zip_data(members)


LAUGHS = b"""<!DOCTYPE worksheet [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""


def entity_bomb():
    """A workbook whose worksheet expands "&lol9;" to a billion "lol"s."""
    original = zipfile.ZipFile(io.BytesIO(xlsx_data([["WHO", "Ivan"]])))
    sheet = original.read("xl/worksheets/sheet1.xml")
    # openpyxl writes no XML declaration: the document type comes first.
    assert not sheet.startswith(b"<?xml")
    bomb = LAUGHS + sheet.replace(b">WHO<", b">&lol9;<")
    return xlsx_with({"xl/worksheets/sheet1.xml": bomb})


# Built when a test asks: the zip bombs take a moment to compress.
HOSTILE_FILES = {
    "png": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary data"),
    "pdf": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
    "xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "97–2003"),
    "html": (lambda: b"<html><body><table><tr><td>WHO</td></tr>", "web page"),
    "docx": (
        lambda: zip_data(
            {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
        ),
        "Word document",
    ),
    "ods": (
        lambda: zip_data(
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}
        ),
        "OpenDocument",
    ),
    "zip": (lambda: zip_data({"notes.txt": b"hello"}), "not an XLSX workbook"),
    "damaged zip": (lambda: b"PK\x03\x04" + b"\x00" * 100, "damaged"),
    "damaged xlsx": (
        lambda: zip_data(
            {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x"}
        ),
        "could not be read as an XLSX workbook",
    ),
    "zip bomb": (
        # Sixty parts, each small enough to pass the ratio check alone.
        lambda: xlsx_with(
            {f"xl/media/image{n}.png": b"\x00" * 1024 * 1024 for n in range(60)}
        ),
        "unpacks to 60 MB.*possible zip bomb",
    ),
    "zip bomb part": (
        lambda: xlsx_with({"xl/worksheets/sheet1.xml": b" " * (20 * 1024 * 1024)}),
        "times its size: refused as a possible zip bomb",
    ),
    "entity bomb": (
        entity_bomb,
        "refused as unsafe",
    ),
    "empty": (lambda: b"  \r\n", "empty"),
}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_a_hostile_or_foreign_file_is_refused_quickly(name):
    build, message = HOSTILE_FILES[name]
    data = build()
    started = time.perf_counter()

    with pytest.raises(SheetError, match=message):
        read_sheet(data, f"sheet.{name}")

    assert time.perf_counter() - started < 2


def test_an_entity_bomb_past_the_scan_is_still_refused_as_unsafe(monkeypatch):
    """The second line of defence: the parser refuses a document type."""
    monkeypatch.setattr(xlsx, "_UNSAFE_MARKERS", ())

    with pytest.raises(SheetError, match="refused as unsafe"):
        read_sheet(entity_bomb(), "bomb.xlsx")


def test_the_format_is_told_from_the_content_not_the_name():
    data = xlsx_data([["WHO", "Ivan"]])

    sheet = read_sheet(data, "sheet.csv")

    assert sheet.rows[0].organisation == "WHO"
