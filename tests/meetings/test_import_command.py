"""``manage.py import_attendance MEETING_ID FILE``: non-interactive, so it
creates nothing new without --create-missing and fails with a non-zero exit
and the reasons on anything it cannot import."""

import pytest
from django.core.management import CommandError, call_command

from meetings.services import demo_load
from stakeholders.models import Organisation, Person
from tests.factories import MeetingFactory
from tests.meetings.test_import import MOH, csv_data, record_counts

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


def test_bench_import_reports_rows_seconds_and_queries(capsys):
    call_command("bench_import", "--rows", "300", "--organisations", "10", "--no-watch")

    out = capsys.readouterr().out
    assert "300 rows" in out
    assert "import (all new people)" in out
    assert "Rolled back" in out
    assert not Person.objects.exists()
