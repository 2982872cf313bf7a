"""Importing a sign-in sheet: matching organisations and people, roles,
statuses and row errors, the preview, and the import itself (all rows or none,
idempotent, recorded in history). Reading sheets and refusing files is in
test_import_sheets.py; the sheet-building helpers here are shared by the other
import tests."""

import csv
import io

import openpyxl
import pytest

from core.names import loose_key, name_key
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
    OrganisationName.objects.get_or_create(organisation=moh, name="Минздрав")

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
