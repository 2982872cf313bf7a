import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.factories import AttendanceFactory, PositionFactory

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


def test_a_backup_restores_every_table_as_it_was(tmp_path):
    demo_load()
    PositionFactory()
    AttendanceFactory()
    before = every_table()
    backup = tmp_path / "hamkor.sqlite3"

    call_command("backup_db", backup)
    Organisation.objects.filter(acronym="WHO").update(name="Changed after the backup")
    AttendanceFactory()
    assert every_table() != before
    call_command("restore_db", backup, "--no-input")

    assert every_table() == before


def test_it_refuses_to_overwrite_an_existing_file(tmp_path):
    backup = tmp_path / "hamkor.sqlite3"
    backup.write_text("keep me")

    with pytest.raises(CommandError, match="exists"):
        call_command("backup_db", backup)
    assert backup.read_text() == "keep me"


def test_it_refuses_to_restore_a_file_that_is_not_a_database(tmp_path):
    bogus = tmp_path / "not-a-backup.sqlite3"
    bogus.write_bytes(b"this is not SQLite" * 100)
    demo_load()

    with pytest.raises(CommandError):
        call_command("restore_db", bogus, "--no-input")
    assert Organisation.objects.filter(acronym="WHO").exists()
