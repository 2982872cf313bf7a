import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to FILE with SQLite's online backup: safe while "
        "the application is running, unlike copying db.sqlite3 (and its -wal "
        "file) by hand. For PostgreSQL use pg_dump (see the README)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Where to write the backup.")

    def handle(self, *args, file, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                "backup_db copies SQLite databases; for PostgreSQL run: "
                "pg_dump --format=custom --file=FILE DATABASE"
            )
        if file.exists():
            raise CommandError(f"{file} exists: choose a new file name.")
        connection.ensure_connection()
        target = sqlite3.connect(file)
        try:
            # Copies a consistent snapshot page by page; writers may go on.
            connection.connection.backup(target)
        finally:
            target.close()
        self.stdout.write(f"Backed up the database to {file}.")
