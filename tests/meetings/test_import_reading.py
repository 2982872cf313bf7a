"""Reading a sign-in sheet, continued: CSV files in a Windows code page,
control characters anywhere in a sheet (issue 17)."""

import pytest

from meetings.imports import SheetError, read_sheet
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
