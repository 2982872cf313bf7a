from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.backups import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to FILE with SQLite's online backup: safe while "
        "the application is running, unlike copying db.sqlite3 (and its -wal "
        "file) by hand. The copy carries a check that restore_db verifies, and "
        "gets its name only once it is complete. For PostgreSQL use pg_dump "
        "(see docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Where to write the backup.")

    def handle(self, *args, file, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                "backup_db copies SQLite databases; for PostgreSQL run: "
                "pg_dump --format=custom --file=FILE DATABASE"
            )
        connection.ensure_connection()
        try:
            backup_write(connection.connection, file)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up the database to {file}.")
