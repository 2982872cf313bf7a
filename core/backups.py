"""SQLite backups that restore_db can tell apart from any other file.

``backup_write`` copies the database with SQLite's online backup into
``FILE.partial``, switches the copy to a rollback journal (so that it is one
self-contained file), and writes into it one extra table, ``hamkor_backup``,
holding a manifest:

- the migrations the copy records (its ``django_migrations`` rows);
- every table of the copy with its number of rows;
- a SHA-256 digest of the copy's schema and of every row of every table, read
  in key order (so the digest depends on the content, not on where SQLite
  happened to put it in the file).

The manifest lives inside the backup rather than in a file beside it, so that
a backup copied anywhere on its own still carries its check. Only when the
copy is complete and passes ``backup_check`` is it renamed to ``FILE``: an
interrupted backup leaves a ``.partial`` file, never something that looks
finished.

``backup_check`` is what restore_db runs before it touches the live database.
It refuses an empty file, a file a write was interrupted in (a ``-journal`` or
``-wal`` beside it), anything SQLite's ``integrity_check`` finds damaged, a
database without Hamkor's migrations, one recording migrations this code does
not have (made by a newer Hamkor), one missing a table Hamkor needs, and one
whose manifest is missing or disagrees with its content.

Reading every row costs about 2 µs a row (4 s for two million rows); a backup
reads them twice (to write the digest, and to check the finished file), a
restore once.
"""

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from core import sqlite as hamkor_sqlite

MANIFEST_TABLE = "hamkor_backup"
FORMAT = 1
# A Hamkor database records migrations of each of these apps.
HAMKOR_APPS = ("accounts", "stakeholders", "meetings")
# Tables every Hamkor database has had since its first migrations; a backup
# behind the code on migrations must have these at least.
CORE_TABLES = (
    "django_migrations",
    "auth_user",
    "stakeholders_organisation",
    "stakeholders_person",
    "meetings_meeting",
    "meetings_attendance",
)
BATCH = 10_000


class BackupError(Exception):
    """A file that is not a complete Hamkor backup; the message says why."""


@dataclass
class BackupReport:
    """What ``backup_check`` found in a backup that passed it."""

    made_at: str | None
    tables: int
    rows: int
    # Migrations of this code the backup does not record yet: ``migrate``
    # must run after restoring it.
    pending: list


def backup_write(source, path, *, check=True):
    """Copy the database of the ``sqlite3`` connection ``source`` to ``path``
    with its manifest; ``check`` then verifies the copy (see the module's
    docstring) before it gets its final name. Refuses an existing ``path``."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists: choose a new file name.")
    partial = path.with_name(path.name + ".partial")
    _remove(partial)
    try:
        target = sqlite3.connect(partial)
        try:
            hamkor_sqlite.register(target)
            # Copies a consistent snapshot page by page; writers may go on.
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
            target.execute(f'DROP TABLE IF EXISTS "{MANIFEST_TABLE}"')
            migrations, tables, digest = _read(target)
            manifest = {
                "format": FORMAT,
                "made_at": timezone.now().isoformat(timespec="seconds"),
                "migrations": migrations,
                "tables": tables,
                "sha256": digest,
            }
            target.execute(f'CREATE TABLE "{MANIFEST_TABLE}" (manifest TEXT NOT NULL)')
            target.execute(
                f'INSERT INTO "{MANIFEST_TABLE}" VALUES (?)',  # noqa: S608
                [json.dumps(manifest, sort_keys=True)],
            )
            target.commit()
        finally:
            target.close()
        if check:
            backup_check(partial)
        partial.rename(path)
    except BaseException:
        _remove(partial)
        raise


def backup_check(path, *, unverified=False):
    """Raise BackupError unless ``path`` is a complete Hamkor backup that this
    code can restore; return a BackupReport. ``unverified`` skips the manifest
    (for a backup made before backup_db wrote one), and only that."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise BackupError(f"{path} is empty (0 bytes): it is not a backup.")
    for suffix in ("-journal", "-wal"):
        beside = path.with_name(path.name + suffix)
        if beside.exists():
            raise BackupError(
                f"{path} has {beside.name} beside it: a write to it was "
                "interrupted or is still going on, so it is not a complete backup."
            )
    try:
        database = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{path} cannot be opened ({error}).") from None
    try:
        hamkor_sqlite.register(database)
        return _check(database, path, unverified=unverified)
    except sqlite3.DatabaseError as error:
        raise BackupError(
            f"{path} is not a readable SQLite database ({error})."
        ) from None
    finally:
        database.close()


def _check(database, path, *, unverified):
    problems = [row[0] for row in database.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{path} is damaged ({'; '.join(problems[:5])}).")
    present = _tables(database)
    if "django_migrations" not in present:
        raise BackupError(
            f"{path} is not a Hamkor database: it records no Django migrations."
        )
    recorded = {
        tuple(row)
        for row in database.execute("SELECT app, name FROM django_migrations")
    }
    missing_apps = [
        app for app in HAMKOR_APPS if not any(a == app for a, _ in recorded)
    ]
    if missing_apps:
        raise BackupError(
            f"{path} is not a Hamkor database: it records no migrations of "
            f"{', '.join(missing_apps)}."
        )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = sorted(recorded - set(loader.disk_migrations))
    if unknown:
        raise BackupError(
            f"{path} was made by a newer version of Hamkor (or another "
            "application): it records migrations this code does not have: "
            f"{_names(unknown)}. Restore it with the code it was made with."
        )
    pending = sorted(set(loader.graph.nodes) - recorded)

    if unverified:
        made_at = None
        counts = {
            table: database.execute(
                f'SELECT count(*) FROM "{_quoted(table)}"'  # noqa: S608
            ).fetchone()[0]
            for table in _data_tables(database)
        }
    else:
        made_at, counts = _check_manifest(database, path, present)
    if pending:
        needed = set(CORE_TABLES)
    else:
        needed = {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    absent = sorted(needed - present)
    if absent:
        raise BackupError(
            f"{path} is missing {len(absent)} of Hamkor's tables "
            f"({', '.join(absent[:5])}{', …' if len(absent) > 5 else ''}): it is "
            "not a complete copy."
        )
    return BackupReport(
        made_at=made_at,
        tables=len(present - {MANIFEST_TABLE}),
        rows=sum(counts.values()),
        pending=pending,
    )


def _check_manifest(database, path, present):
    if MANIFEST_TABLE not in present:
        raise BackupError(
            f"{path} carries no check from backup_db (no {MANIFEST_TABLE} table), "
            "so nothing says it is complete. A backup made with backup_db before "
            "it wrote this check can be restored with --unverified, which checks "
            "everything else."
        )
    try:
        query = f'SELECT manifest FROM "{MANIFEST_TABLE}"'  # noqa: S608
        (text,) = database.execute(query).fetchone()
        manifest = json.loads(text)
        recorded_format = manifest["format"]
    except (TypeError, ValueError, KeyError) as error:
        raise BackupError(f"{path} has an unreadable backup check ({error}).") from None
    if recorded_format != FORMAT:
        raise BackupError(
            f"{path} has a backup check of format {recorded_format!r}, which this "
            f"code does not know (it writes format {FORMAT})."
        )
    migrations, tables, digest = _read(database)
    for table, expected in sorted(manifest["tables"].items()):
        if table not in tables:
            raise BackupError(
                f"{path} is missing the table {table}, which backup_db copied: it "
                "is not a complete copy."
            )
        if tables[table] != expected:
            raise BackupError(
                f"{path} has {tables[table]} rows in {table} where backup_db "
                f"copied {expected}: it is not a complete copy."
            )
    if migrations != manifest["migrations"] or digest != manifest["sha256"]:
        raise BackupError(
            f"{path} differs from what backup_db wrote (its SHA-256 check does not "
            "match): it was damaged or changed since."
        )
    return manifest.get("made_at"), tables


def _read(database):
    """The recorded migrations, each table's row count, and the digest of the
    schema and every row, leaving the manifest table out."""
    digest = hashlib.sha256()
    schema = database.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name != ? "
        "ORDER BY type, name",
        [MANIFEST_TABLE],
    )
    for row in schema:
        digest.update(f"{row!r}\n".encode())
    tables = {}
    for table in _data_tables(database):
        digest.update(f"table {table!r}\n".encode())
        cursor = database.execute(
            f'SELECT * FROM "{_quoted(table)}" ORDER BY {_key(database, table)}'  # noqa: S608
        )
        count = 0
        while rows := cursor.fetchmany(BATCH):
            digest.update("".join(f"{row!r}\n" for row in rows).encode())
            count += len(rows)
        tables[table] = count
    migrations = (
        [
            list(row)
            for row in database.execute(
                "SELECT app, name FROM django_migrations ORDER BY app, name"
            )
        ]
        if "django_migrations" in tables
        else []
    )
    return migrations, tables, digest.hexdigest()


def _tables(database):
    return {
        name
        for (name,) in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }


def _data_tables(database):
    """The tables that hold rows of their own: not the manifest, and not a
    full-text index's virtual table (its rows live in its shadow tables,
    which are read instead)."""
    return [
        name
        for name, sql in database.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name != ? ORDER BY name",
            [MANIFEST_TABLE],
        )
        if not (sql or "").upper().startswith("CREATE VIRTUAL TABLE")
    ]


def _key(database, table):
    """Columns that order ``table``'s rows the same way in every copy: the
    rowid, or the primary key of a WITHOUT ROWID table."""
    columns = database.execute(f'PRAGMA table_info("{_quoted(table)}")').fetchall()
    sql = database.execute(
        "SELECT sql FROM sqlite_master WHERE name = ?", [table]
    ).fetchone()[0]
    if "WITHOUT ROWID" not in (sql or "").upper():
        return "rowid"
    key = sorted((pk, name) for _cid, name, _type, _nn, _default, pk in columns if pk)
    return ", ".join(f'"{_quoted(name)}"' for _pk, name in key)


def _quoted(name):
    return name.replace('"', '""')


def _names(migrations):
    shown = [f"{app}.{name}" for app, name in migrations[:5]]
    return ", ".join(shown) + (", …" if len(migrations) > 5 else "")


def _remove(path):
    for suffix in ("", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
