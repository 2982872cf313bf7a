import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from core.backups import MANIFEST_TABLE, BackupError, backup_check, backup_write


class Command(BaseCommand):
    help = (
        "Replace the SQLite database with the backup in FILE (made by backup_db). "
        "Refuses anything that is not a complete Hamkor backup, leaving the "
        "database untouched, and keeps a copy of the database it replaces. Stop "
        "the application first. For PostgreSQL use pg_restore (see "
        "docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A backup made by backup_db.")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument(
            "--copy-to",
            type=Path,
            help=(
                "Where to keep a copy of the database being replaced "
                "[beside it: <database>.before-restore-<date>-<time>]."
            ),
        )
        parser.add_argument(
            "--unverified",
            action="store_true",
            help=(
                "Restore a backup that carries no check from backup_db (one made "
                "before backup_db wrote it). Everything else is still checked."
            ),
        )

    def handle(self, *args, file, interactive, copy_to, unverified, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                "restore_db restores SQLite databases; for PostgreSQL run: "
                "pg_restore --clean --dbname=DATABASE FILE"
            )
        try:
            report = backup_check(file, unverified=unverified)
        except BackupError as error:
            raise CommandError(f"{error} The database was not changed.") from None
        if copy_to is None:
            if connection.is_in_memory_db():
                raise CommandError(
                    "The database is in memory: name where to keep a copy of it "
                    "with --copy-to."
                )
            copy_to = self.beside(Path(connection.settings_dict["NAME"]))
        made = f", made {report.made_at}" if report.made_at else ""
        self.stdout.write(
            f"{file} is a complete Hamkor backup ({report.tables} tables, "
            f"{report.rows} rows{made})."
        )
        if interactive:
            answer = input(
                "This replaces every record in the database with the backup. "
                "Type 'yes' to go on: "
            )
            if answer != "yes":
                raise CommandError("Restore cancelled. The database was not changed.")

        connection.ensure_connection()
        try:
            # Not checked: the database being replaced may be the damaged one.
            backup_write(connection.connection, copy_to, check=False)
        except Exception as error:
            raise CommandError(
                f"Could not keep a copy of the database at {copy_to} ({error}), so "
                "it was not changed. If the database itself is damaged, stop the "
                "application, move it aside (with its -wal and -shm files) and "
                "run restore_db again."
            ) from None
        self.stdout.write(f"Kept a copy of the database it replaces at {copy_to}.")

        source = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            # One step: the whole copy is one write transaction on the
            # database, so a failure leaves it as it was.
            source.backup(connection.connection)
        finally:
            source.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{MANIFEST_TABLE}"')
        self.stdout.write(f"Restored the database from {file}.")
        if report.pending:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup is {len(report.pending)} migration(s) behind this "
                    "code: run `manage.py migrate` before starting the application."
                )
            )
        self.stdout.write(f"To undo, restore the copy: manage.py restore_db {copy_to}")

    def beside(self, database):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        copy = database.with_name(f"{database.name}.before-restore-{stamp}")
        number = 1
        while copy.exists():
            number += 1
            copy = database.with_name(
                f"{database.name}.before-restore-{stamp}-{number}"
            )
        return copy
