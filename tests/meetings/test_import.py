"""Importing a sign-in sheet: reading CSV and XLSX, refusing hostile and
unreadable files, matching organisations and people, the preview, and the
import itself (all rows or none, idempotent, recorded in history)."""

import csv
import datetime
import io
import time
import zipfile

import openpyxl
import pytest

from core.names import loose_key, name_key
from meetings.imports import reading, xlsx
from meetings.imports.matching import MatchIndex
from meetings.imports.planning import (
    Decisions,
    ImportNotReady,
    OrganisationChoice,
    Outcome,
    PlanChanged,
    build_plan,
)
from meetings.imports.reading import read_sheet
from meetings.imports.sheets import MAX_FILE_SIZE, MAX_ROWS, SheetError
from meetings.models import Attendance
from meetings.services import attendance_import, demo_load
from stakeholders.models import (
    Organisation,
    OrganisationName,
    Person,
    Position,
)
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

HEADER = ["Organisation", "Name", "Email", "Position", "Role", "Status"]
UZINFOCOM = (
    "Unified Integrator for the Development and Support of State Information Systems"
)
MOH = "Ministry of Health of the Republic of Uzbekistan"


def csv_data(rows, header=HEADER, delimiter=",", encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_data(rows, header=HEADER, merge=(), before=()):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [*before, header, *rows]:
        sheet.append(row)
    for cells in merge:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def plan_for(meeting, data, decisions=None, filename="sheet.csv"):
    sheet = read_sheet(data, filename)
    return build_plan(sheet, MatchIndex.load(meeting, sheet, decisions), decisions)


def run_import(meeting, data, decisions=None, filename="sheet.csv", **kwargs):
    return attendance_import(
        meeting=meeting,
        sheet=read_sheet(data, filename),
        decisions=decisions,
        **kwargs,
    )


def choose(plan, text, **choice):
    """Decisions answering the question about the organisation written
    ``text``."""
    (question,) = [q for q in plan.organisation_questions if q.text == text]
    return Decisions(organisations={question.id: OrganisationChoice(**choice)})


def record_counts():
    models = [Organisation, OrganisationName, Person, Position, Attendance]
    return {
        model.__name__: (model.objects.count(), model.history.count())
        for model in models
    }


@pytest.fixture
def meeting():
    """A meeting, with the organisations of the seed meeting on record."""
    demo_load()
    return MeetingFactory(
        host=Organisation.objects.get(name="WHO Representative Office in Uzbekistan")
    )


def organisation(name):
    return Organisation.objects.get(name=name)


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


# Matching organisations.


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("UZINFOCOM", UZINFOCOM),
        ("Uzinfocom", UZINFOCOM),
        ("Узинфоком", UZINFOCOM),
        ("«УЗИНФОКОМ»", UZINFOCOM),
        ("uz-infocom", UZINFOCOM),
        (UZINFOCOM.upper(), UZINFOCOM),
        ("Ministry of Health of the Republic of Uzbekistan", MOH),
        ("ministry  of health of the republic of uzbekistan.", MOH),
        ("WHO", "World Health Organization"),
        ("КфВ", "KfW Bank"),
        ("ГИЗ", "Deutsche Gesellschaft für Internationale Zusammenarbeit"),
        (
            "Deutsche Gesellschaft fur Internationale Zusammenarbeit",
            ("Deutsche Gesellschaft für Internationale Zusammenarbeit"),
        ),
        (
            "Project Office “Center for Healthcare Projects”",
            'Project Office "Center for Healthcare Projects"',
        ),
        (
            "Center for Healthcare Projects",
            ('Project Office "Center for Healthcare Projects"'),
        ),
    ],
)
def test_names_acronyms_and_other_names_match_in_any_script(meeting, written, name):
    plan = plan_for(meeting, csv_data([[written]], header=["Organisation"]))

    (row,) = plan.rows
    assert row.organisation == ("id", organisation(name).pk)
    assert row.outcome == Outcome.ADD


def test_an_other_name_in_cyrillic_matches_its_latin_spelling(meeting):
    moh = organisation(MOH)
    OrganisationName.objects.create(organisation=moh, name="Минздрав")

    plan = plan_for(
        meeting, csv_data([["Минздрав"], ["Minzdrav"]], header=["Organisation"])
    )

    assert [row.organisation for row in plan.rows] == [("id", moh.pk)] * 2


def test_keys_ignore_case_spacing_punctuation_and_script():
    assert name_key("«Узинфоком»") == name_key("UZINFOKOM") == "uzinfokom"
    assert loose_key("Узинфоком") == loose_key("UZ INFOCOM")
    assert loose_key("Хасанов") == loose_key("Khasanov") == loose_key("Xasanov")
    assert name_key("Ministry of Health") != name_key("Ministry of Finance")


def test_a_near_miss_is_suggested_not_merged(meeting):
    data = csv_data([["Minstry of Helth of the Republic of Uzbekistan", "Aziz"]])

    plan = plan_for(meeting, data)

    (row,) = plan.rows
    (question,) = plan.organisation_questions
    assert row.outcome == Outcome.CHOICE
    assert row.organisation is None
    assert question.suggestions[0].name == MOH
    with pytest.raises(ImportNotReady, match="1 organisation name that needs"):
        run_import(meeting, data)
    assert not meeting.attendances.exists()


def test_a_transliteration_that_differs_is_suggested(meeting):
    plan = plan_for(meeting, csv_data([["ЮНОПС"]], header=["Organisation"]))

    (question,) = plan.organisation_questions
    assert [o.acronym for o in question.suggestions] == ["UNOPS"]


def test_a_name_shared_by_two_active_organisations_needs_a_choice(meeting):
    OrganisationFactory(name="WHO Collaborating Centre", acronym="WHO")

    plan = plan_for(meeting, csv_data([["WHO"]], header=["Organisation"]))

    (question,) = plan.organisation_questions
    assert plan.rows[0].outcome == Outcome.CHOICE
    assert {o.name for o in question.suggestions} == {
        "World Health Organization",
        "WHO Collaborating Centre",
    }


def test_an_inactive_organisation_is_suggested_not_matched(meeting):
    OrganisationFactory(name="Old Agency", acronym="OLDA", is_active=False)

    plan = plan_for(meeting, csv_data([["Old Agency"]], header=["Organisation"]))

    assert plan.rows[0].outcome == Outcome.CHOICE
    assert [o.name for o in plan.organisation_questions[0].suggestions] == [
        "Old Agency"
    ]


def test_the_editors_choice_of_a_suggestion_is_used(meeting, superuser):
    data = csv_data([["Minstry of Helth of the Republic of Uzbekistan", "Aziz"]])
    moh = organisation(MOH)
    decisions = choose(
        plan_for(meeting, data),
        "Minstry of Helth of the Republic of Uzbekistan",
        organisation_id=moh.pk,
        remember=True,
    )

    run_import(meeting, data, decisions, user=superuser)

    (attendance,) = meeting.attendances.all()
    assert attendance.organisation == moh
    assert attendance.person.full_name == "Aziz"
    # The spelling is remembered: the next sheet matches it directly.
    assert moh.other_names.filter(
        name="Minstry of Helth of the Republic of Uzbekistan"
    ).exists()
    again = plan_for(MeetingFactory(host=moh), data)
    assert again.rows[0].organisation == ("id", moh.pk)


def test_a_new_organisation_is_created_only_on_the_editors_choice(meeting, superuser):
    data = csv_data([["Acme Health LLC", "Jane Doe", "jane@acme.example"]])
    plan = plan_for(meeting, data)
    assert plan.rows[0].outcome == Outcome.CHOICE
    assert plan.organisation_questions[0].suggestions == []
    with pytest.raises(ImportNotReady):
        run_import(meeting, data)
    assert not Organisation.objects.filter(name="Acme Health LLC").exists()

    run_import(
        meeting,
        data,
        choose(plan, "Acme Health LLC", new_type="private-sector"),
        user=superuser,
    )

    acme = organisation("Acme Health LLC")
    assert acme.type.slug == "private-sector"
    assert acme.history.get().history_user == superuser
    (attendance,) = meeting.attendances.all()
    assert attendance.organisation == acme
    assert attendance.person.positions.get().organisation == acme


def test_a_new_organisation_may_not_take_an_active_organisations_name(meeting):
    OrganisationFactory(name="Twin", acronym="TW1")
    OrganisationFactory(name="Twin agency", acronym="TW1")
    data = csv_data([["TW1"]], header=["Organisation"])
    plan = plan_for(meeting, data)
    OrganisationFactory(name="TW1", acronym="")

    with pytest.raises(ImportNotReady) as refusal:
        run_import(meeting, data, choose(plan, "TW1", new_type="other"))

    (question,) = refusal.value.plan.organisation_questions
    assert "already named “TW1”" in question.error


# Matching people.


def test_a_person_matches_by_email_ignoring_case(meeting):
    person = PersonFactory(full_name="Ivan Ivanov", email="Ivan.Ivanov@Example.org")

    plan = plan_for(
        meeting, csv_data([["UZINFOCOM", "I. Ivanov", "ivan.ivanov@EXAMPLE.ORG"]])
    )

    assert plan.rows[0].person == ("id", person.pk)
    assert plan.new_people == {}


def test_a_person_matches_by_name_within_the_organisation_in_any_script(meeting):
    uzinfocom = organisation(UZINFOCOM)
    position = PositionFactory(
        organisation=uzinfocom, person__full_name="Ivan Ivanov", person__email=""
    )

    plan = plan_for(
        meeting,
        csv_data([["Узинфоком", "Иванов Иван"], ["KfW", "Иванов Иван"]]),
    )

    assert plan.rows[0].person == ("id", position.person.pk)
    # A namesake at another organisation is someone else.
    assert plan.rows[1].person[0] == "new"


def test_a_person_known_from_an_earlier_meeting_matches_by_name(meeting):
    earlier = AttendanceFactory(
        organisation=organisation("KfW Bank"), person__full_name="Anna Schmidt"
    )

    plan = plan_for(meeting, csv_data([["KfW", "anna schmidt"]]))

    assert plan.rows[0].person == ("id", earlier.person.pk)


def test_a_resembling_person_is_suggested_and_added_as_new_unless_chosen(meeting):
    kfw = organisation("KfW Bank")
    known = PositionFactory(organisation=kfw, person__full_name="Anna Maria Schmidt")
    data = csv_data([["KfW", "Anna Schmidt"]])

    plan = plan_for(meeting, data)

    (question,) = plan.person_questions
    assert question.suggestions[0].id == known.person.pk
    assert plan.rows[0].person[0] == "new"
    assert "resembles “Anna Maria Schmidt”" in plan.rows[0].notes[0]

    run_import(meeting, data, Decisions(people={question.id: known.person.pk}))

    assert meeting.attendances.get().person == known.person
    assert Person.objects.filter(full_name="Anna Schmidt").count() == 0


def test_a_new_person_gets_a_position_with_the_sheets_title(meeting, superuser):
    run_import(
        meeting,
        csv_data([["GIZ", "Lena Weber", "lena@giz.example", "Programme Manager"]]),
        user=superuser,
    )

    person = Person.objects.get(email="lena@giz.example")
    position = person.positions.get()
    assert (position.organisation.acronym, position.title) == (
        "GIZ",
        "Programme Manager",
    )
    assert person.history.get().history_user == superuser


def test_a_person_on_record_gets_a_missing_email_but_keeps_one_they_have(meeting):
    kfw = organisation("KfW Bank")
    no_email = PositionFactory(
        organisation=kfw, person__full_name="Anna", person__email=""
    )
    with_email = PositionFactory(
        organisation=kfw, person__full_name="Olga", person__email="olga@kfw.example"
    )

    run_import(
        meeting,
        csv_data(
            [["KfW", "Anna", "anna@kfw.example"], ["KfW", "Olga", "o@new.example"]]
        ),
    )

    no_email.person.refresh_from_db()
    with_email.person.refresh_from_db()
    assert no_email.person.email == "anna@kfw.example"
    assert with_email.person.email == "olga@kfw.example"
    assert not Person.objects.filter(email="o@new.example").exists()


def test_one_person_on_several_rows_is_created_once(meeting):
    run_import(
        meeting,
        csv_data(
            [
                ["KfW", "Anna Weber", "anna@kfw.example"],
                ["GIZ", "Anna Weber", "ANNA@kfw.example"],
            ]
        ),
    )

    anna = Person.objects.get()
    assert set(anna.attendances.values_list("organisation__acronym", flat=True)) == {
        "KfW",
        "GIZ",
    }


# Roles, statuses and row errors.


def test_roles_and_statuses_are_read_in_english_and_russian(meeting):
    run_import(
        meeting,
        csv_data(
            [
                ["WHO", "A", "", "", "Докладчик", "Присутствовал"],
                ["KfW", "B", "", "", "OBSERVER", "declined"],
                ["GIZ", "C", "", "", "", ""],
            ]
        ),
    )

    assert {
        a.person.full_name: (a.role, a.status)
        for a in meeting.attendances.select_related("person")
    } == {
        "A": ("presenter", "attended"),
        "B": ("observer", "declined"),
        "C": ("participant", "attended"),
    }


def test_each_error_names_the_row_and_the_column_as_written(meeting):
    plan = plan_for(
        meeting,
        csv_data(
            [
                ["WHO", "A", "a@", "", "", ""],
                ["", "B", "", "", "", ""],
                ["KfW", "C", "", "", "speaker2", ""],
                ["GIZ", "D", "", "", "", "maybe"],
                ["GIZ", "", "e@giz.example", "", "", ""],
            ],
            header=["Организация", "ФИО", "Email", "Должность", "Роль", "Статус"],
        ),
    )

    assert plan.errors == [
        "Row 2, column “Email”: “a@” is not a valid email address.",
        "Row 3, column “Организация”: empty; every row needs the organisation the "
        "person attended for.",
        "Row 4, column “Роль”: “speaker2” is not a role; use host, presenter, "
        "participant or observer.",
        "Row 5, column “Статус”: “maybe” is not a status; use invited, confirmed, "
        "attended, declined or absent.",
        "Row 6, column “ФИО”: empty, and the email “e@giz.example” belongs to no one "
        "on record: a new person needs a name.",
    ]
    assert plan.counts[Outcome.ERROR] == 5


def test_a_repeated_row_is_imported_once_and_a_contradicting_one_is_an_error(
    meeting,
):
    data = csv_data(
        [
            ["KfW", "Anna", "", "", "presenter", ""],
            ["KfW", "anna", "", "", "presenter", ""],
            ["KfW", "ANNA", "", "", "observer", ""],
        ]
    )

    plan = plan_for(meeting, data)

    assert [row.outcome for row in plan.rows] == [
        Outcome.ADD,
        Outcome.REPEAT,
        Outcome.ERROR,
    ]
    assert plan.errors == [
        "Row 4, column “Role”: repeats row 2 (same organisation and person) with a "
        "different role."
    ]


def test_organisation_only_rows_are_imported_once_per_organisation(meeting):
    run_import(meeting, csv_data([["WHO"], ["who"], ["KfW"]], header=["Organisation"]))

    assert sorted(
        meeting.attendances.filter(person=None).values_list(
            "organisation__acronym", flat=True
        )
    ) == ["KfW", "WHO"]


def test_a_role_on_record_is_kept_when_the_sheets_cell_is_empty(meeting):
    kfw = organisation("KfW Bank")
    attendance = AttendanceFactory(
        meeting=meeting, organisation=kfw, person=None, role="presenter"
    )

    plan = run_import(
        meeting,
        csv_data([["KfW", "", "", "", "", "declined"]]),
    )

    attendance.refresh_from_db()
    assert (attendance.role, attendance.status) == ("presenter", "declined")
    assert plan.rows[0].outcome == Outcome.UPDATE
    assert attendance.history.first().history_change_reason == (
        "Imported from sign-in sheet sheet.csv"
    )


# The preview and the import.


def test_the_preview_writes_nothing(meeting, capture_queries):
    data = csv_data(
        [
            ["Acme Health LLC", "Jane", "jane@acme.example", "CEO", "", ""],
            ["KfW", "Anna", "anna@kfw.example", "", "presenter", ""],
        ]
    )
    decisions = choose(plan_for(meeting, data), "Acme Health LLC", new_type="ngo")
    before = record_counts()

    with capture_queries() as queries:
        plan = plan_for(meeting, data, decisions)

    assert plan.summary()["add"] == 2
    assert plan.summary()["new_organisations"] == 1
    assert plan.summary()["new_people"] == 2
    assert record_counts() == before
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in queries.sql)


def test_the_preview_costs_the_same_queries_for_one_row_as_for_many(
    meeting, capture_queries
):
    def queries_for(rows):
        data = csv_data(rows)
        sheet = read_sheet(data, "sheet.csv")
        with capture_queries() as queries:
            build_plan(sheet, MatchIndex.load(meeting, sheet))
        return len(queries)

    one = queries_for([["KfW", "Anna", "anna@kfw.example"]])
    many = queries_for(
        [[org, f"P{n}", f"p{n}@x.example"] for n, org in enumerate(["KfW", "GIZ"] * 50)]
    )

    assert one == many


def test_a_commit_refuses_a_plan_that_changed_since_the_preview(meeting):
    data = csv_data([["KfW", "Anna"]])
    previewed = plan_for(meeting, data).digest
    AttendanceFactory(
        meeting=meeting, organisation=organisation("KfW Bank"), person__full_name="Anna"
    )

    with pytest.raises(PlanChanged):
        run_import(meeting, data, expected_digest=previewed)

    assert meeting.attendances.count() == 1


def test_the_import_is_recorded_in_history_with_the_user(meeting, superuser):
    run_import(meeting, csv_data([["KfW", "Anna", "anna@kfw.example"]]), user=superuser)

    attendance = meeting.attendances.get()
    (record,) = attendance.history.all()
    assert record.history_user == superuser
    assert record.history_type == "+"
    assert record.history_change_reason == "Imported from sign-in sheet sheet.csv"


def big_sheet(rows=10_000, bad_row=None):
    """A sheet of ``rows`` people from the seed meeting's organisations,
    written in several ways; ``bad_row`` (a spreadsheet row number) gets an
    invalid email."""
    written = ["UZINFOCOM", "Узинфоком", "KfW", MOH, "GIZ", "UNOPS"]
    data = [
        [written[n % len(written)], f"Participant {n}", f"p{n}@example.org", "", "", ""]
        for n in range(rows)
    ]
    if bad_row is not None:
        data[bad_row - 2][2] = "ivan@"
    return csv_data(data)


def test_a_10000_row_sheet_with_one_bad_row_writes_nothing_and_names_it(meeting):
    data = big_sheet(bad_row=5012)
    before = record_counts()

    with pytest.raises(ImportNotReady) as refusal:
        run_import(meeting, data)

    assert refusal.value.plan.errors == [
        "Row 5012, column “Email”: “ivan@” is not a valid email address."
    ]
    assert record_counts() == before


def test_importing_the_same_10000_rows_twice_adds_nothing_the_second_time(meeting):
    data = big_sheet()
    first = run_import(meeting, data)
    after_first = record_counts()

    second = run_import(meeting, data)

    assert first.summary()["add"] == 10_000
    assert second.counts == {Outcome.UNCHANGED: 10_000}
    assert record_counts() == after_first
    assert meeting.attendances.count() == 10_000
    assert after_first["Person"] == (10_000, 10_000)


def test_an_import_interrupted_half_way_leaves_nothing(meeting):
    data = big_sheet()
    before = record_counts()
    done = []

    def fail_at_row_5000(rows):
        done.append(rows)
        if sum(done) >= 5000:
            raise RuntimeError("power cut at row 5,000")

    with pytest.raises(RuntimeError, match="power cut"):
        run_import(meeting, data, progress=fail_at_row_5000)

    assert sum(done) == 5000
    assert record_counts() == before
