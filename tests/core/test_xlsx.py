"""The streamed workbook: Excel's format (read back with openpyxl), its first
bytes before its last row is read, and an ending that says it is incomplete."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from core import xlsx


def workbook(chunks, name="people", **kwargs):
    data = b"".join(xlsx.stream(name, chunks, **kwargs))
    return load_workbook(io.BytesIO(data), read_only=True)


def values(book):
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_it_writes_text_numbers_and_dates_that_a_spreadsheet_reads():
    rows = [
        ["Name", "Meetings", "Share", "Last met", "Since"],
        [
            "Oʻzbekiston & <Узинфоком>",
            12,
            0.25,
            datetime.datetime(2025, 1, 29, 10, 30),
            datetime.date(2020, 3, 1),
        ],
        ["  spaced  ", 0, -1.5, "", None],
    ]

    book = workbook([rows[:1], rows[1:]])

    assert book.active.title == "people"
    # A spreadsheet's date is a day at midnight; an empty text and a None
    # are both an empty cell.
    assert values(book) == [
        rows[0],
        [*rows[1][:4], datetime.datetime(2020, 3, 1)],
        ["  spaced  ", 0, -1.5, None, None],
    ]
    cells = next(book.active.iter_rows(min_row=2, max_row=2))
    assert cells[3].number_format == "yyyy-mm-dd h:mm:ss"
    assert cells[4].number_format == "yyyy-mm-dd"


def test_it_gives_its_first_bytes_before_the_rows_are_read():
    read = []

    def chunks():
        for n in range(3):
            read.append(n)
            yield [[f"row {n}"]]

    stream = xlsx.stream("people", chunks())
    first = next(stream)

    assert first.startswith(b"PK")
    assert read == []
    rest = b"".join(stream)
    assert read == [0, 1, 2]
    book = load_workbook(io.BytesIO(first + rest), read_only=True)
    assert values(book) == [["row 0"], ["row 1"], ["row 2"]]


def test_an_error_ends_a_valid_workbook_with_the_rows_on_error():
    def chunks():
        yield [["row 0"]]
        raise RuntimeError("the database went away")

    seen = []

    def on_error(error):
        seen.append(error)
        return [["Export incomplete"]]

    book = workbook(chunks(), on_error=on_error)

    assert values(book) == [["row 0"], ["Export incomplete"]]
    assert isinstance(seen[0], RuntimeError)


def test_without_on_error_the_error_breaks_off_the_download():
    def chunks():
        yield [["row 0"]]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        b"".join(xlsx.stream("people", chunks()))


@pytest.mark.parametrize(
    ("name", "title"),
    [("people", "people"), ("a/b:c*d?[e]", "a b c d  e"), ("x" * 40, "x" * 31)],
)
def test_the_sheet_name_is_one_excel_accepts(name, title):
    assert workbook([[["a"]]], name=name).active.title == title


@pytest.mark.parametrize(
    ("freeze", "cell"), [((1, 1), "B2"), ((0, 1), "A2"), ((2, 0), "C1")]
)
def test_it_freezes_the_first_columns_and_rows_it_is_asked_to(freeze, cell):
    rows = [["Organisation", "29 Jan 2025", "Total"], ["KfW", "Participant", 1]]

    data = b"".join(xlsx.stream("pivot", [rows], freeze=freeze))

    # openpyxl reads the panes in full (not read-only) mode only.
    book = load_workbook(io.BytesIO(data))
    assert book.active.freeze_panes == cell
    assert values(book) == rows


def test_it_freezes_nothing_unless_asked():
    data = b"".join(xlsx.stream("people", [[["Name"], ["KfW"]]]))

    assert load_workbook(io.BytesIO(data)).active.freeze_panes is None
    assert b"sheetViews" not in data


@pytest.mark.parametrize(
    ("number", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (62, "BJ"), (703, "AAA")]
)
def test_column_letters(number, letters):
    assert xlsx.column_letters(number) == letters


def test_it_gives_the_columns_the_widths_it_is_asked_to():
    rows = [["Organisation", "29 Jan 2025", "Total"], ["KfW", "Participant", 1]]

    data = b"".join(xlsx.stream("pivot", [rows], widths=[40, None, 8]))

    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.column_dimensions["A"].width == 40
    assert sheet.column_dimensions["C"].width == 8
    assert values(load_workbook(io.BytesIO(data))) == rows
