"""``manage.py import_attendance MEETING_ID FILE``: non-interactive, so it
creates nothing new without --create-missing and fails with a non-zero exit
and the reasons on anything it cannot import."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from meetings.management.commands.import_attendance import (
    Command as ImportAttendance,
)
from meetings.services import demo_load
from stakeholders.models import Organisation, Person
from tests.factories import MeetingFactory
from tests.meetings.test_import import MOH, csv_data, record_counts
from tests.meetings.test_import_reading import (
    DAMAGED_XLSX,
    long_csv_with,
    pasted_code_pages,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    demo_load()
    return MeetingFactory(
        host=Organisation.objects.get(name="WHO Representative Office in Uzbekistan")
    )


@pytest.fixture
def sheet(tmp_path):
    def write(rows, name="sheet.csv", **kwargs):
        path = tmp_path / name
        path.write_bytes(csv_data(rows, **kwargs))
        return str(path)

    return write


def run(*args):
    call_command("import_attendance", *map(str, args))


def test_it_imports_a_sheet_that_matches_people_on_record(meeting, sheet, capsys):
    Person.objects.create(full_name="Anna Schmidt", email="anna@kfw.example")

    run(meeting.pk, sheet([["KfW", "Anna Schmidt", "anna@kfw.example"], ["WHO"]]))

    assert meeting.attendances.count() == 2
    assert "Imported 2 rows" in capsys.readouterr().out


def test_it_creates_nothing_new_without_create_missing(meeting, sheet, capsys):
    path = sheet([["Acme Health LLC", "Jane Doe"], ["KfW", "Anna"]])
    before = record_counts()

    with pytest.raises(CommandError, match="organisation name that needs"):
        run(meeting.pk, path)

    assert record_counts() == before
    assert "“Acme Health LLC” (rows 2) matches no organisation" in (
        capsys.readouterr().err
    )


def test_new_people_need_create_missing_too(meeting, sheet, capsys):
    with pytest.raises(CommandError, match="--create-missing"):
        run(meeting.pk, sheet([["KfW", "Anna"]]))

    assert not meeting.attendances.exists()
    assert "New person: Anna" in capsys.readouterr().err


def test_create_missing_creates_organisations_of_the_given_type(meeting, sheet):
    run(
        meeting.pk,
        sheet([["Acme Health LLC", "Jane Doe"]]),
        "--create-missing",
        "--type",
        "private-sector",
    )

    acme = Organisation.objects.get(name="Acme Health LLC")
    assert acme.type.slug == "private-sector"
    assert meeting.attendances.get().person.full_name == "Jane Doe"


def test_a_name_resembling_an_organisation_needs_a_map_even_with_create_missing(
    meeting, sheet, capsys
):
    path = sheet([["Minstry of Helth of the Republic of Uzbekistan"]])
    moh = Organisation.objects.get(name=MOH)

    with pytest.raises(CommandError):
        run(meeting.pk, path, "--create-missing")

    err = capsys.readouterr().err
    assert f"--map “Minstry of Helth of the Republic of Uzbekistan={moh.pk}”" in err
    assert not meeting.attendances.exists()

    run(
        meeting.pk,
        path,
        "--map",
        f"Minstry of Helth of the Republic of Uzbekistan={moh.pk}",
    )

    assert meeting.attendances.get().organisation == moh


def test_a_dry_run_prints_the_preview_and_writes_nothing(meeting, sheet, capsys):
    path = sheet([["Acme Health LLC", "Jane"], ["KfW"]])
    before = record_counts()

    run(meeting.pk, path, "--dry-run", "--create-missing", "-v", "2")

    out = capsys.readouterr().out
    assert "2 rows: 2 to add" in out
    assert "Row 3: add; KfW Bank (KfW)" in out
    assert "Dry run: nothing was written." in out
    assert record_counts() == before


def test_a_bad_row_fails_naming_the_row_and_column(meeting, sheet, capsys):
    path = sheet([["KfW", "Anna", "anna@"]], header=["Organisation", "Name", "Почта"])

    with pytest.raises(CommandError, match="1 row with errors"):
        run(meeting.pk, path, "--create-missing")

    assert (
        "Row 2, column “Почта”: “anna@” is not a valid email address."
        in capsys.readouterr().err
    )
    assert not meeting.attendances.exists()


def test_a_refused_file_fails_with_the_reason(meeting, tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 50)

    with pytest.raises(CommandError, match="damaged ZIP/XLSX"):
        run(meeting.pk, path)


def test_a_file_over_the_limit_is_refused_before_it_is_read(meeting, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as stream:
        stream.truncate(6 * 1024 * 1024)

    with pytest.raises(CommandError, match=r"is 6\.0 MB"):
        run(meeting.pk, path)


@pytest.fixture
def run_as_from_the_shell(monkeypatch):
    """Run the command as ``manage.py`` does: its exit status."""
    # It closes the connections when done, the test's transaction with them.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args):
        command = ImportAttendance()
        with pytest.raises(SystemExit) as exit:
            command.run_from_argv(["manage.py", "import_attendance", *map(str, args)])
        return exit.value.code

    return run


def test_a_windows_1252_sheet_is_imported_as_written(meeting, sheet, capsys):
    path = sheet(
        [["Société Générale", "Hélène Dupré"]],
        encoding="cp1252",
        delimiter=";",
    )

    run(meeting.pk, path, "--create-missing")

    assert meeting.attendances.get().person.full_name == "Hélène Dupré"
    assert Organisation.objects.filter(name="Société Générale").exists()
    assert "Note: Read as Windows-1252" in capsys.readouterr().out


def test_a_sheet_whose_code_page_cannot_be_told_fails_with_the_advice(
    meeting, tmp_path, capsys, run_as_from_the_shell
):
    path = tmp_path / "sheet.csv"
    path.write_bytes(pasted_code_pages())
    before = record_counts()

    status = run_as_from_the_shell(meeting.pk, path, "--create-missing")

    assert status == 1
    err = capsys.readouterr().err
    assert "“CSV UTF-8 (Comma delimited)”" in err
    assert "Traceback" not in err
    assert record_counts() == before


def test_a_control_character_fails_naming_the_row_and_column(meeting, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(long_csv_with("Anna\x00Schmidt"))
    before = record_counts()

    with pytest.raises(CommandError, match=r"Row 3002, column “Name”: .*U\+0000"):
        run(meeting.pk, path, "--create-missing")

    assert record_counts() == before


@pytest.mark.parametrize("name", DAMAGED_XLSX)
def test_a_damaged_workbook_fails_as_damaged(
    meeting, tmp_path, capsys, run_as_from_the_shell, name
):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(DAMAGED_XLSX[name]())

    status = run_as_from_the_shell(meeting.pk, path)

    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("CommandError: ")
    assert "damaged" in err or "not an XLSX" in err
    assert "Traceback" not in err


def test_a_directory_is_not_read(meeting, tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*: Is a directory"):
        run(meeting.pk, tmp_path)


def test_an_unknown_meeting_or_user_is_an_error(meeting, sheet):
    path = sheet([["KfW"]])

    with pytest.raises(CommandError, match="No meeting with id 0"):
        run(0, path)
    with pytest.raises(CommandError, match="No user 'nobody'"):
        run(meeting.pk, path, "--user", "nobody")


def test_the_history_names_the_given_user(meeting, sheet, superuser):
    run(meeting.pk, sheet([["KfW"]]), "--user", superuser.username)

    assert meeting.attendances.get().history.get().history_user == superuser


def test_running_twice_changes_nothing(meeting, sheet, capsys):
    path = sheet([["KfW", "Anna", "anna@kfw.example"], ["Узинфоком"]])
    run(meeting.pk, path, "--create-missing")
    after_first = record_counts()

    run(meeting.pk, path)

    assert record_counts() == after_first
    assert "0 added, 0 updated, 2 unchanged" in capsys.readouterr().out
