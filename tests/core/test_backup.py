import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from core import sqlite as hamkor_sqlite
from core.backups import MANIFEST_TABLE
from meetings.services import demo_load
from stakeholders.models import Organisation, OrganisationType
from tests.factories import AttendanceFactory, PositionFactory

BASE_DIR = Path(__file__).resolve().parent.parent.parent

pytestmark = [
    # backup_db reads the database through SQLite's own backup API, which sees
    # committed data only.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="backup_db is for SQLite; PostgreSQL uses pg_dump",
    ),
]


def every_table():
    """Every row of every table Django knows, by table name."""
    tables = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608
            tables[table] = cursor.fetchall()
    return tables


@pytest.fixture
def records():
    """The demo meeting, and an organisation whose Cyrillic name the indexes
    fold with Hamkor's own lower() (a check without it calls them damaged)."""
    demo_load()
    PositionFactory()
    AttendanceFactory()
    Organisation.objects.create(
        name="ВСЕМИРНАЯ ОРГАНИЗАЦИЯ здравоохранения",
        type=OrganisationType.objects.get(slug="un-agency"),
    )


@pytest.fixture
def backup(tmp_path, records):
    """A backup made by backup_db of the records above."""
    path = tmp_path / "hamkor.sqlite3"
    call_command("backup_db", path)
    return path


def edit(path, *statements):
    """Change a file behind backup_db's back (names are left alone: their
    indexes need Hamkor's lower()), through a connection with Hamkor's
    functions: a table with a search key takes no write without its
    function (core.search.SearchKey)."""
    database = sqlite3.connect(path)
    hamkor_sqlite.register(database)
    for statement in statements:
        database.execute(statement)
    database.commit()
    database.close()


def restore(path, tmp_path, *options):
    call_command(
        "restore_db", path, "--no-input", "--copy-to", tmp_path / "replaced", *options
    )


def assert_refused(path, tmp_path, match, *options):
    """restore_db refuses ``path`` with a message matching ``match``, and
    leaves the database exactly as it was, without even copying it."""
    before = every_table()

    with pytest.raises(CommandError, match=match) as refusal:
        restore(path, tmp_path, *options)

    assert "The database was not changed." in str(refusal.value)
    assert every_table() == before
    assert not (tmp_path / "replaced").exists()


def test_a_backup_restores_every_table_as_it_was(tmp_path, records):
    before = every_table()
    backup = tmp_path / "hamkor.sqlite3"

    call_command("backup_db", backup)
    Organisation.objects.filter(acronym="WHO").update(name="Changed after the backup")
    AttendanceFactory()
    assert every_table() != before
    restore(backup, tmp_path)

    assert every_table() == before
    # The backup's check stays in the backup.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name = %s", [MANIFEST_TABLE]
        )
        assert cursor.fetchall() == []


def test_it_keeps_a_copy_of_the_database_it_replaces(backup, tmp_path):
    Organisation.objects.filter(acronym="WHO").update(name="Changed after the backup")
    changed = every_table()

    restore(backup, tmp_path)
    assert every_table() != changed
    # The copy is a backup in its own right: restoring it undoes the restore.
    call_command(
        "restore_db",
        tmp_path / "replaced",
        "--no-input",
        "--copy-to",
        tmp_path / "replaced-again",
    )

    assert every_table() == changed


def test_it_refuses_to_overwrite_an_existing_file(tmp_path):
    backup = tmp_path / "hamkor.sqlite3"
    backup.write_text("keep me")

    with pytest.raises(CommandError, match="exists"):
        call_command("backup_db", backup)
    assert backup.read_text() == "keep me"


def test_an_interrupted_backup_leaves_no_file_by_the_backups_name(
    tmp_path, records, monkeypatch
):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("core.backups._read", interrupted)
    backup = tmp_path / "hamkor.sqlite3"

    with pytest.raises(KeyboardInterrupt):
        call_command("backup_db", backup)

    assert list(tmp_path.iterdir()) == []


def test_it_refuses_to_restore_a_file_that_is_not_a_database(tmp_path, records):
    bogus = tmp_path / "not-a-backup.sqlite3"
    bogus.write_bytes(b"this is not SQLite" * 100)

    assert_refused(bogus, tmp_path, "not a readable SQLite database")
    assert Organisation.objects.filter(acronym="WHO").exists()


def test_it_refuses_an_empty_file(tmp_path, records):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()

    assert_refused(empty, tmp_path, r"empty \(0 bytes\)")


def test_it_refuses_an_unrelated_sqlite_database(tmp_path, records):
    other = tmp_path / "other.sqlite3"
    edit(
        other,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)",
        "INSERT INTO notes (text) VALUES ('shopping list')",
    )

    assert_refused(other, tmp_path, "not a Hamkor database")


def test_it_refuses_another_django_projects_database(tmp_path, records):
    other = tmp_path / "other.sqlite3"
    edit(
        other,
        "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, "
        "name TEXT, applied TEXT)",
        "INSERT INTO django_migrations (app, name, applied) "
        "VALUES ('contenttypes', '0001_initial', '2025-01-29')",
    )

    assert_refused(other, tmp_path, "no migrations of accounts, stakeholders")


def test_it_refuses_a_truncated_backup(backup, tmp_path):
    data = backup.read_bytes()
    backup.write_bytes(data[: len(data) // 2])

    assert_refused(backup, tmp_path, "damaged|not a readable")


def test_it_refuses_a_backup_missing_a_table(backup, tmp_path):
    edit(backup, "DROP TABLE meetings_attendance")

    assert_refused(backup, tmp_path, "missing the table meetings_attendance")


def test_it_refuses_a_backup_with_rows_missing(backup, tmp_path):
    edit(backup, "DELETE FROM meetings_attendance")

    assert_refused(
        backup, tmp_path, r"0 rows in meetings_attendance where backup_db copied"
    )


def test_it_refuses_a_backup_changed_since_it_was_made(backup, tmp_path):
    edit(backup, "UPDATE stakeholders_organisationtype SET description = 'edited'")

    assert_refused(backup, tmp_path, "SHA-256 check does not match")


def test_it_refuses_a_backup_whose_write_was_interrupted(backup, tmp_path):
    """A copy killed half-way through: SQLite leaves the file with a hot
    journal, which rolls the file back to nothing."""
    interrupted = tmp_path / "interrupted.sqlite3"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "source, target = map(sqlite3.connect, sys.argv[1:])\n"
            "def progress(status, remaining, total):\n"
            "    print(remaining, flush=True)\n"
            "source.backup(target, pages=1, progress=progress, sleep=0.05)\n",
            str(backup),
            str(interrupted),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    for _page in range(3):
        writer.stdout.readline()
    writer.kill()
    writer.wait()

    assert Path(f"{interrupted}-journal").exists()
    assert_refused(interrupted, tmp_path, "interrupted")
    # Without its journal the file is what the journal would have rolled
    # back to: no tables at all.
    Path(f"{interrupted}-journal").unlink()
    assert_refused(interrupted, tmp_path, "not a Hamkor database|empty")


def test_it_refuses_a_backup_from_newer_migrations(backup, tmp_path):
    edit(
        backup,
        "INSERT INTO django_migrations (app, name, applied) "
        "VALUES ('stakeholders', '9999_from_the_future', '2030-01-01')",
    )

    assert_refused(
        backup, tmp_path, "newer version of Hamkor.*stakeholders.9999_from_the_future"
    )


def test_a_copy_without_the_backup_check_needs_unverified(backup, tmp_path):
    """A backup made before backup_db wrote its check: refused unless the
    operator says so, and even then still checked for everything else."""
    edit(backup, f"DROP TABLE {MANIFEST_TABLE}")
    Organisation.objects.filter(acronym="WHO").update(name="Changed after the backup")

    assert_refused(backup, tmp_path, "carries no check from backup_db")
    restore(backup, tmp_path, "--unverified")

    assert Organisation.objects.get(acronym="WHO").name != "Changed after the backup"
    assert (tmp_path / "replaced").exists()


def test_unverified_still_refuses_a_copy_missing_tables(backup, tmp_path):
    edit(backup, f"DROP TABLE {MANIFEST_TABLE}", "DROP TABLE meetings_followup")

    assert_refused(
        backup,
        tmp_path,
        r"missing 1 of Hamkor's tables \(meetings_followup\)",
        "--unverified",
    )


def manage(database, *arguments):
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *map(str, arguments)],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{database}",
        },
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_restore_keeps_the_replaced_database_beside_it(tmp_path):
    """On a database file, as an operator runs it: the copy of what the
    restore replaced goes beside the database, and the output says where."""
    database = tmp_path / "db.sqlite3"
    manage(database, "migrate", "--no-input")
    manage(database, "load_demo")
    manage(database, "backup_db", tmp_path / "backup.sqlite3")
    edit(database, "UPDATE stakeholders_organisation SET notes = 'After the backup'")

    output = manage(database, "restore_db", tmp_path / "backup.sqlite3", "--no-input")

    (copy,) = tmp_path.glob("db.sqlite3.before-restore-*")
    assert f"Kept a copy of the database it replaces at {copy}" in output
    live, kept = sqlite3.connect(database), sqlite3.connect(copy)
    notes = "SELECT DISTINCT notes FROM stakeholders_organisation"
    assert ("After the backup",) not in live.execute(notes).fetchall()
    assert kept.execute(notes).fetchall() == [("After the backup",)]
    # Still the shared, concurrent database it was.
    assert live.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    live.close()
    kept.close()
