"""The load benchmark (bench/load.py, ``make bench-load``) serves a generated
database with gunicorn and the production settings, and its clients read pages
and save organisations through the admin without an error.

This test starts gunicorn, as tests/test_production.py does, on a database of
its own (a SQLite file, or a PostgreSQL database beside the test database when
the suite runs on PostgreSQL), and takes 15–30 seconds.
"""

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def load_database(tmp_path):
    """A DATABASE_URL for the run and a function that runs one query there."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        path = tmp_path / "load.sqlite3"

        def query(sql):
            with contextlib.closing(sqlite3.connect(path)) as connection:
                return connection.execute(sql).fetchone()

        yield f"sqlite:///{path}", query
        return

    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"test_{parts.path.lstrip('/')}_load"
    server = parts._replace(path="/postgres").geturl()
    own = parts._replace(path=f"/{name}").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')

    def query(sql):
        with psycopg.connect(own) as connection:
            return connection.execute(sql).fetchone()

    try:
        yield own, query
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # What the benchmark notes about the data it generated there.
        for marker in (BASE_DIR / "bench" / "data").glob(f"postgresql-*-{name}-*"):
            marker.unlink()


def run_load(database_url, output, *options):
    """bench/load.py at scale S on ``database_url``, its report to
    ``output``: the finished process, after checking it succeeded."""
    done = subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "bench" / "load.py"),
            "--scale=S",
            *options,
            f"--output={output}",
        ],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_the_load_mode_serves_pages_and_saves_through_gunicorn(load_database, tmp_path):
    database_url, query = load_database
    output = tmp_path / "load.json"

    run_load(
        database_url,
        output,
        "--levels=1,2",
        "--duration=2",
        "--warmup=0.5",
        "--workers=2",
        # A save in half the steps: a run of two seconds saves for sure.
        "--save-share=0.5",
    )

    report = json.loads(output.read_text())
    levels = report["levels"]
    assert [level["clients"] for level in levels] == [1, 2]
    for level in levels:
        assert level["errors"] == 0, level["error_samples"]
        assert level["pages"] > 0
        assert level["saves"] > 0
        # Each client saves organisations of its own.
        assert level["conflicts"] == 0
    assert all(row["status"] == 200 for row in report["cold"])
    # Every save the clients counted moved an organisation's version on by
    # one, and nothing else did.
    (moved,) = query("SELECT SUM(version - 1) FROM stakeholders_organisation")
    assert moved == report["committed_saves"] > 0
    (notes,) = query(
        "SELECT COUNT(*) FROM stakeholders_organisation WHERE notes LIKE 'Load test:%'"
    )
    assert notes > 0


def test_the_exports_mode_downloads_every_export_whole(load_database, tmp_path):
    """What .ci/run checks at M: every export served by gunicorn with the
    documented settings, complete, each with its first-byte time."""
    database_url, _query = load_database
    output = tmp_path / "exports.json"

    run_load(database_url, output, "--exports", "--workers=1")

    report = json.loads(output.read_text())
    assert report["gunicorn"]["settings"]["timeout"] == "120"
    assert {row["path"] for row in report["exports"]} == {
        f"/{name}/export.{kind}"
        for name in ("organisations", "people", "meetings")
        for kind in ("csv", "xlsx")
    }
    for row in report["exports"]:
        assert row["problem"] is None, row
        assert row["bytes"] > 1000, row
        assert row["first_byte_ms"] <= row["total_ms"]


def test_the_load_mode_measures_saves_while_a_maintenance_command_runs(
    load_database, tmp_path
):
    database_url, _query = load_database
    output = tmp_path / "during.json"

    done = run_load(
        database_url,
        output,
        "--levels=2",
        "--duration=6",
        "--warmup=0.5",
        "--workers=1",
        "--save-share=0.5",
        "--during=refresh_meeting_stats",
    )

    (level,) = json.loads(output.read_text())["levels"]
    assert level["during"]["command"] == "refresh_meeting_stats"
    assert level["during"]["returncode"] == 0, level["during"]["stderr_tail"]
    assert level["errors"] == 0, level["error_samples"]
    assert level["saves"] > 0
    assert level["save_ms"]["max"] >= level["save_ms"]["p50"]
    assert "longest save" in done.stdout
