import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Replace the SQLite database with the backup in FILE (made by backup_db). "
        "Stop the application first. For PostgreSQL use pg_restore (see the README)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A backup made by backup_db.")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, file, interactive, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                "restore_db restores SQLite databases; for PostgreSQL run: "
                "pg_restore --clean --dbname=DATABASE FILE"
            )
        if not file.is_file():
            raise CommandError(f"{file} does not exist.")
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            try:
                result = source.execute("PRAGMA integrity_check").fetchone()[0]
            except sqlite3.DatabaseError as error:
                raise CommandError(f"{file} is not a SQLite backup: {error}") from None
            if result != "ok":
                raise CommandError(f"{file} is damaged: {result}")
            if interactive:
                answer = input(
                    "This replaces every record in the database with the backup. "
                    "Type 'yes' to go on: "
                )
                if answer != "yes":
                    raise CommandError("Restore cancelled.")
            connection.ensure_connection()
            source.backup(connection.connection)
        finally:
            source.close()
        self.stdout.write(f"Restored the database from {file}.")
