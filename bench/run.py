"""The Hamkor benchmark (``make bench SCALE=M``): how fast every page is on a
generated database, next to the same page built naively and to the SQL it
cannot beat.

It asserts nothing and ``make test`` never runs it. For each case it prints and
writes to ``bench/results/<engine>-<scale>.json``:

- ``queries``: how many SQL queries the page ran;
- ``ms``: median wall time of the page in process (Django test client, a
  superuser logged in, DEBUG off), after a first run that warms caches;
  ``cpu_ms`` the same in CPU time of the process, which on SQLite is the whole
  work of the page and is less disturbed when other programs share the
  processors (``load`` is the load average when the case finished);
- ``floor_ms``: the page's heaviest query run directly on the same connection
  (``cursor.execute`` and ``fetchall``; for an export, the rows written with
  ``csv.writer``), median: no page can be faster than its main query;
- ``naive_ms``: the same page built the way a default Django project would
  (``bench/naive.py``), median, measured in the same run;
- ``x_naive`` = naive_ms / ms (how many times faster the app is) and
  ``x_floor`` = ms / floor_ms (how far above its SQL the app is).

The database is ``bench/data/bench-<SCALE>.sqlite3`` (generated on first use,
reused afterwards) or ``DATABASE_URL``. Exports are also downloaded in a fresh
process (bench/probe.py) for their peak memory.
"""

import _thread
import argparse
import contextlib
import csv
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SCALES = ["S", "M", "L", "XL"]

# The targets (at XL on SQLite), in milliseconds unless named.
LIST_MS = 150
FLOOR_FACTOR, FLOOR_SLACK_MS = 2, 50
FORM_MS = 50
TYPE_AND_MEETING_MS = 60
DEEP_PAGE_MS = 80
EXPORT_MB = 100
EXPORT_FLOOR_FACTOR = 1.3
IMPORT_MS = 5000
MAX_QUERIES = 8


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="M")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs a case (5).")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="Cases whose name contains this (=NAME: is exactly this); repeatable.",
    )
    parser.add_argument("--no-naive", action="store_true", help="Skip the naive build.")
    parser.add_argument(
        "--no-memory", action="store_true", help="Skip the exports' memory probes."
    )
    parser.add_argument(
        "--naive-timeout",
        type=float,
        default=60,
        help="Seconds after which a naive page is stopped and reported as slower "
        "than that (60).",
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="The same for the app's pages (300)."
    )
    parser.add_argument(
        "--memory-limit-mb",
        type=int,
        default=12_000,
        help="Address-space limit of a memory probe (12000).",
    )
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="Regenerate the sample data, even into a DATABASE_URL database that "
        "holds other data (which is deleted).",
    )
    parser.add_argument(
        "--naive-only",
        action="store_true",
        help="Measure only the naive build of the cases, and with --merge add it "
        "to an earlier run's results (for a scale where measuring both takes "
        "too long).",
    )
    parser.add_argument(
        "--merge", help="With --naive-only: the results file to add the naive to."
    )
    parser.add_argument("--output", help="The JSON file (bench/results/...).")
    return parser.parse_args()


def setup_django(scale):
    sys.path.insert(0, str(ROOT))
    os.environ["BENCH_SCALE"] = scale
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def say(*parts):
    print(*parts, flush=True)


# The generated database


def bench_superuser():
    """The superuser the benchmark's pages are requested as."""
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def prepare_database(scale, regenerate):
    """Migrate, then reuse the data of an earlier run at this scale or generate
    it. Returns what the marker file records (generation time included)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.sample_data import existing_data, sample_data_generate
    from bench.sample_plan import DEFAULT_SEED, GENERATOR_VERSION, Plan

    database = settings.DATABASES["default"]
    name = str(database["NAME"])
    ours = connection.vendor == "sqlite" and Path(name).parent == BENCH / "data"
    (BENCH / "data").mkdir(exist_ok=True)
    if connection.vendor == "sqlite":
        marker = Path(name).with_suffix(".json")
        markers = [marker]
    else:
        host = database.get("HOST") or "local"
        stem = f"{connection.vendor}-{host}-{name}"
        marker = BENCH / "data" / f"{stem}-{scale}.json"
        # A marker of any scale: the data there is the benchmark's own (of
        # another scale, or from an earlier generator), not a coordinator's.
        markers = list((BENCH / "data").glob(f"{stem}-*.json"))
        ours = bool(markers)
    plan = Plan.for_scale(scale)
    key = {
        "scale": scale,
        "plan": asdict(plan),
        "seed": DEFAULT_SEED,
        "generator": GENERATOR_VERSION,
    }
    recorded = json.loads(marker.read_text()) if marker.exists() else None

    if (
        connection.vendor == "sqlite"
        and ours
        and recorded
        and recorded.get("key") != key
    ):
        # A fresh file rather than deleting rows: no free pages left behind.
        say(f"The sample data generator changed: regenerating {name}.")
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        marker.unlink()
        recorded = None
    call_command("migrate", verbosity=0)

    if recorded and recorded.get("key") == key and not regenerate:
        from stakeholders.models import Organisation

        if Organisation.objects.count() == recorded["counts"]["organisations"]:
            say(
                f"Reusing the scale {scale} data in {name} "
                f"(generated in {recorded['seconds']:.1f} s)."
            )
            return recorded

    found = existing_data()
    if found and not (ours or regenerate):
        raise SystemExit(
            f"{name} holds data the benchmark did not write ({found}). Point "
            "DATABASE_URL at a database of its own, or pass --regenerate "
            "(REGENERATE=1) to delete that data."
        )
    for old in markers:
        old.unlink(missing_ok=True)
    say(f"Generating scale {scale} into {connection.vendor} database {name} …")
    counts, seconds = sample_data_generate(
        plan=plan, seed=DEFAULT_SEED, progress=True, replace=bool(found)
    )
    vacuum_seconds = 0
    if connection.vendor == "postgresql":
        # Autovacuum would get there soon after a bulk load; without the
        # visibility map no COUNT(*) can use an index-only scan.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        vacuum_seconds = time.perf_counter() - started
    recorded = {
        "key": key,
        "counts": counts.as_dict(),
        "seconds": round(seconds, 1),
        "vacuum_analyze_seconds": round(vacuum_seconds, 1),
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(),
    }
    marker.write_text(json.dumps(recorded, indent=2))
    say(f"Generated in {seconds:.1f} s.")
    return recorded


# Measuring


class Recorder:
    """An execute wrapper that keeps every query with its parameters and time."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, many, time.perf_counter() - started))


class Deadline:
    """Stop what runs in the main thread after ``seconds``: interrupt the
    database's current query and raise KeyboardInterrupt, which the caller
    catches. ``fired`` tells whether it did."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.fired = False
        self.lock = threading.Lock()

    def __enter__(self):
        from django.db import connection

        connection.ensure_connection()
        self.raw = connection.connection
        self.vendor = connection.vendor
        self.active = True
        self.timer = threading.Timer(self.seconds, self.fire)
        self.timer.daemon = True
        self.timer.start()
        return self

    def fire(self):
        interrupted = False
        while True:
            with self.lock:
                if not self.active:
                    return
                self.fired = True
                # Again and again: a query that starts after the first
                # interrupt must fail too, should the KeyboardInterrupt be
                # swallowed on its way.
                try:
                    if self.vendor == "sqlite":
                        self.raw.interrupt()
                    else:
                        self.raw.cancel()
                except Exception:  # noqa: S110 - best effort
                    pass
                if not interrupted:
                    _thread.interrupt_main()
                    interrupted = True
            time.sleep(0.1)

    def __exit__(self, exc_type, exc, tb):
        from django.db import connection

        with self.lock:
            self.active = False
        self.timer.cancel()
        if self.fired:
            # Absorb a KeyboardInterrupt still on its way, then start afresh.
            with contextlib.suppress(KeyboardInterrupt):
                time.sleep(0.2)
            connection.close()
            return True
        return False


def fetch(client, url):
    """GET ``url`` and read the whole body, streamed or not."""
    response = client.get(url)
    size = 0
    if response.streaming:
        for chunk in response.streaming_content:
            size += len(chunk)
    else:
        size = len(response.content)
    response.close()
    return response.status_code, size


def time_page(client, url, *, urlconf, runs, timeout):
    """Median milliseconds of GETs of ``url``, and the queries of one of them.

    The first GET warms the process up (imports, templates, the content type
    cache); the second records the queries and is timed; then ``runs`` - 1 more
    are timed. Slow pages get fewer runs: when the first GET took over two
    seconds, the second alone is the result, and over ten, the first alone (its
    query count then includes what a warm process would not run)."""
    from django.db import connection
    from django.test import override_settings

    result = {"url": url}
    with (
        override_settings(ROOT_URLCONF=urlconf),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        times = []
        for attempt in ("warm-up", "record"):
            recorder = Recorder()
            deadline = Deadline(timeout)
            try:
                with deadline, connection.execute_wrapper(recorder):
                    started, cpu = time.perf_counter(), time.process_time()
                    status, size = fetch(client, url)
                    elapsed = time.perf_counter() - started
                    cpu = time.process_time() - cpu
            except KeyboardInterrupt:
                if not deadline.fired:
                    raise
            except Exception as error:
                connection.close()
                return {**result, "error": f"{type(error).__name__}: {error}"[:300]}
            if deadline.fired:
                return {
                    **result,
                    "timed_out": True,
                    "ms": timeout * 1000,
                    "queries": len(recorder.queries),
                }
            if attempt == "warm-up":
                first = elapsed, cpu
                if elapsed > 10:
                    break
            times.append((elapsed, cpu))
        result.update(status=status, bytes=size, queries=len(recorder.queries))
        if not times:
            times = [first]
        elif first[0] <= 2:
            for _ in range(runs - 1):
                started, cpu = time.perf_counter(), time.process_time()
                fetch(client, url)
                times.append((time.perf_counter() - started, time.process_time() - cpu))
    if caught:
        result["warnings"] = sorted(
            {f"{w.category.__name__}: {w.message}" for w in caught}
        )
    result["runs_ms"] = [round(wall * 1000, 1) for wall, _cpu in times]
    result["ms"] = round(statistics.median(wall for wall, _cpu in times) * 1000, 1)
    # CPU time of this process: on SQLite, the page's whole work, and far less
    # disturbed than wall time when other programs share the processors.
    result["cpu_ms"] = round(statistics.median(cpu for _wall, cpu in times) * 1000, 1)
    result["load"] = round(os.getloadavg()[0], 2)
    result["recorded"] = recorder.queries
    return result


class _Discard:
    def write(self, value):
        return len(value)


def run_query(sql, params, *, to_csv=False):
    """Seconds to run one query and fetch every row (or write them as CSV)."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        if to_csv:
            writer = csv.writer(_Discard())
            while rows := cursor.fetchmany(2000):
                writer.writerows(rows)
        else:
            cursor.fetchall()
        return time.perf_counter() - started


def sql_floor(recorded, *, runs, to_csv):
    """The heaviest read query of a page, rerun directly: (median ms, its SQL
    and parameters, the sum of every read query's single rerun in ms)."""
    seen, timed = set(), []
    for sql, params, many, _seconds in recorded:
        if many or not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        key = (sql, repr(params))
        if key in seen:
            continue
        seen.add(key)
        try:
            timed.append((run_query(sql, params, to_csv=to_csv), sql, params))
        except Exception:  # noqa: S112 - a query that cannot be rerun alone
            continue
    if not timed:
        return None, "", (), 0
    total = sum(t for t, _sql, _params in timed)
    first, sql, params = max(timed, key=lambda item: item[0])
    extra = runs if first < 1 else (2 if first < 5 else 0)
    times = [run_query(sql, params, to_csv=to_csv) for _ in range(extra)] or [first]
    return (
        round(statistics.median(times) * 1000, 2),
        sql,
        params,
        round(total * 1000, 1),
    )


def probe_memory(scale, url, urlconf, memory_limit_mb, timeout):
    command = [
        sys.executable,
        str(BENCH / "probe.py"),
        "--scale",
        scale,
        "--url",
        url,
        "--memory-limit-mb",
        str(memory_limit_mb),
    ]
    if urlconf:
        command += ["--urlconf", urlconf]
    try:
        done = subprocess.run(  # noqa: S603 - our own script
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    return json.loads(lines[-1])


def import_sheet(rows=10_000, organisations=200):
    """A CSV sign-in sheet of ``rows`` new people from ``organisations`` of the
    generated data, each organisation written in turn by its name, its acronym
    in lower case and its Cyrillic other name (as a coordinator's sheet mixes
    them). Organisations whose name an inactive one shares are left out: the
    importer would rightly ask which one is meant."""
    from django.db.models.functions import Lower

    from stakeholders.models import Organisation, OrganisationName

    shared = set(
        Organisation.objects.filter(is_active=False)
        .annotate(key=Lower("name"))
        .values_list("key", flat=True)
    )
    chosen = []
    for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
        if organisation.name.lower() not in shared:
            chosen.append(organisation)
        if len(chosen) == organisations:
            break
    other = dict(
        OrganisationName.objects.filter(
            organisation__in=chosen, language=OrganisationName.Language.RUSSIAN
        ).values_list("organisation_id", "name")
    )
    roles = ["participant", "Участник", "presenter", "", "observer"]
    statuses = ["attended", "", "Присутствовал", "confirmed"]
    lines = ["Организация;ФИО;Email;Должность;Роль;Статус"]
    for n in range(rows):
        organisation = chosen[n % len(chosen)]
        written = [
            organisation.name,
            organisation.acronym.lower(),
            other.get(organisation.pk, organisation.name),
        ][n % 3]
        lines.append(
            f"{written};Sample Participant {n};sample.sheet{n}@example.org;"
            f"Specialist;{roles[n % len(roles)]};{statuses[n % len(statuses)]}"
        )
    return "\n".join(lines).encode()


def import_case(user, runs):
    """The import of a 10,000-row sign-in sheet into a new meeting, as the
    admin's import page does it: read the file, preview the plan, import (which
    plans again, then checks the plan in its transaction). Rolled back after
    every run. ``ms`` is reading plus importing; the preview is reported
    apart. ``import_watched_case`` measures the write lock."""
    row = {"name": "import 10,000-row sheet", "group": "import"}
    try:
        from meetings.imports import plan_import, read_sheet
        from meetings.services import attendance_import
    except ImportError:
        return {
            **row,
            "not_available": True,
            "note": "not available: meetings.services.attendance_import or "
            "meetings.imports does not exist",
        }
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from meetings.models import Meeting

    data = import_sheet()
    totals, previews, imports = [], [], []
    queries = None
    for run in range(max(1, min(runs, 3))):
        with transaction.atomic():
            meeting = Meeting.objects.create(
                title="Sample import benchmark", starts_at=timezone.now()
            )
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                sheet = read_sheet(data, "sample-sheet.csv")
                read = time.perf_counter() - started
                started = time.perf_counter()
                plan_import(meeting, sheet)
                preview = time.perf_counter() - started
                started = time.perf_counter()
                try:
                    plan = attendance_import(meeting=meeting, sheet=sheet, user=user)
                except Exception as error:
                    transaction.set_rollback(True)
                    return {**row, "error": f"{type(error).__name__}: {error}"[:300]}
                imported = time.perf_counter() - started
            added = meeting.attendances.count()
            transaction.set_rollback(True)
        if run == 0:
            queries = len(captured)
        totals.append(read + imported)
        previews.append(preview)
        imports.append(imported)
    return {
        **row,
        "url": "meetings.services.attendance_import",
        "status": 200 if added == len(plan.rows) else None,
        "rows": len(sheet.rows),
        "added": added,
        "queries": queries,
        "ms": round(statistics.median(totals) * 1000, 1),
        "runs_ms": [round(t * 1000, 1) for t in totals],
        "preview_ms": round(statistics.median(previews) * 1000, 1),
        "import_ms": round(statistics.median(imports) * 1000, 1),
        "bytes": len(data),
        "note": "read + import of a 10,000-row CSV of new people from 200 "
        "organisations into a new meeting; preview (plan) "
        f"{statistics.median(previews) * 1000:,.0f} ms apart; rolled back",
    }


def import_watched_case(user):
    """The same sheet imported through the admin's pages (upload, preview,
    import) while another connection saves an organisation every 50 ms: the
    longest time the import held SQLite's write lock, and the longest save.
    Committed, then deleted."""
    row = {"name": "import 10,000-row sheet, saves alongside", "group": "import"}
    try:
        from bench.management.commands.bench_import import admin_import_watched
    except ImportError:
        return {**row, "not_available": True, "note": "not available"}
    figures = admin_import_watched(import_sheet(), user=user)
    lock = figures["lock_max_s"]
    return {
        **row,
        "url": "admin: upload, preview, import",
        "status": 200 if figures["added"] == 10_000 else None,
        "ms": round(figures["import_s"] * 1000, 1),
        "preview_ms": round(figures["preview_s"] * 1000, 1),
        "lock_max_ms": round(lock * 1000, 1) if lock is not None else None,
        "save_max_ms": round(figures["save_max_s"] * 1000, 1),
        **{key: figures[key] for key in ("added", "saves", "failed_saves")},
        "note": "write lock held at most "
        + (f"{lock * 1000:,.0f} ms" if lock is not None else "— (PostgreSQL)")
        + f", longest concurrent save {figures['save_max_s'] * 1000:,.0f} ms, "
        f"{figures['failed_saves']} of {figures['saves'] + figures['failed_saves']} "
        "saves failed",
    }


# Checks against the targets (reported, never asserted)


def checks(case, row, *, cpu_too=False):
    """The targets this case misses, as short labels. With ``cpu_too`` (SQLite,
    where the page's whole work is this process's CPU time), a miss that the
    CPU time would not make is marked with "*": the wall time lost to other
    programs on the machine."""
    missed = _checks(case, row, row.get("ms"))
    if cpu_too and row.get("cpu_ms") is not None:
        by_cpu = set(_checks(case, row, row["cpu_ms"]))
        missed = [m if m in by_cpu else f"{m}*" for m in missed]
    return missed


def _checks(case, row, ms):
    missed = []
    floor = row.get("floor_ms")
    if ms is None:
        return missed
    if "list" in case.checks and ms > LIST_MS:
        missed.append(f">{LIST_MS}ms")
    if (
        "lte_floor" in case.checks
        and floor is not None
        and ms > FLOOR_FACTOR * floor + FLOOR_SLACK_MS
    ):
        missed.append(">2×floor+50")
    if "deep_page" in case.checks and ms > DEEP_PAGE_MS:
        missed.append(f">{DEEP_PAGE_MS}ms")
    if "type_and_meeting" in case.checks and ms > TYPE_AND_MEETING_MS:
        missed.append(f">{TYPE_AND_MEETING_MS}ms")
    if "form" in case.checks and ms > FORM_MS:
        missed.append(f">{FORM_MS}ms")
    if "export" in case.checks:
        if floor and ms > EXPORT_FLOOR_FACTOR * floor:
            missed.append(">1.3×floor")
        memory = row.get("memory") or {}
        if memory.get("growth_mb", 0) > EXPORT_MB:
            missed.append(f">{EXPORT_MB}MB")
    elif not case.export and (row.get("queries") or 0) > MAX_QUERIES:
        missed.append(f">{MAX_QUERIES}q")
    return missed


def ratio(a, b):
    if not a or not b:
        return None
    return round(a / b, 2)


def fmt(value, width, digits=0):
    if value is None:
        return "—".rjust(width)
    if isinstance(value, float):
        return f"{value:,.{digits}f}".rjust(width)
    return str(value).rjust(width)


HEADER = (
    f"{'case':<48} {'st':>3} {'q':>4} {'ms':>9} {'cpu ms':>8} {'floor':>8} "
    f"{'naive q':>7} {'naive ms':>9} {'×naive':>7} {'×floor':>7} {'load':>5}  missed"
)


def line(row):
    naive_ms = row.get("naive_ms")
    naive = f">{naive_ms:,.0f}" if row.get("naive_timed_out") else naive_ms
    return (
        f"{row['name'][:48]:<48} {fmt(row.get('status'), 3)} "
        f"{fmt(row.get('queries'), 4)} {fmt(row.get('ms'), 9, 1)} "
        f"{fmt(row.get('cpu_ms'), 8, 1)} {fmt(row.get('floor_ms'), 8, 1)} "
        f"{fmt(row.get('naive_queries'), 7)} {fmt(naive, 9, 1)} "
        f"{fmt(row.get('x_naive'), 7)} {fmt(row.get('x_floor'), 7)} "
        f"{fmt(row.get('load'), 5, 1)}  {' '.join(row.get('missed', []))}"
    )


def machine():
    info = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                info["cpu"] = text.split(":", 1)[1].strip()
                break
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal"):
                info["ram_gb"] = round(int(text.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def code_version():
    """The commit measured, and the files changed since (read-only git)."""

    def git(*args):
        try:
            done = subprocess.run(  # noqa: S603
                ["git", *args],  # noqa: S607
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.rstrip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "changed": [
            line[3:]
            for line in git("status", "--porcelain").splitlines()
            if not line[3:].startswith("bench/")
        ],
    }


def engine_version():
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0].split(" on ")[0]


def selects(option, name):
    """Whether an --only option picks the case ``name``."""
    return option[1:] == name if option.startswith("=") else option in name


def measure_app(client, user, case, row, args):
    """Time ``case`` in the app and find its SQL floor, into ``row``."""
    # A fresh login before each case: the idle-timeout middleware saves the
    # session once a minute, which would add a query to whichever page
    # happened to come then.
    client.force_login(user)
    measured = time_page(
        client,
        case.url,
        urlconf=case.urlconf or "config.urls",
        runs=args.runs,
        timeout=args.timeout,
    )
    recorded = measured.pop("recorded", [])
    row.update(measured)
    if case.note:
        row["note"] = case.note
    if recorded and not measured.get("timed_out"):
        floor_ms, floor_sql, floor_params, sql_total = sql_floor(
            recorded, runs=args.runs, to_csv=case.export
        )
        row.update(
            floor_ms=floor_ms,
            floor_sql=floor_sql,
            floor_params=[
                p if isinstance(p, int | float | str | bool | None) else str(p)
                for p in floor_params or ()
            ],
            sql_total_ms=sql_total,
            x_floor=ratio(measured.get("ms"), floor_ms),
        )


def merge_naive(path, report):
    """Add the naive measurements of ``report`` to the results in ``path``."""
    merged = json.loads(Path(path).read_text())
    by_name = {row["name"]: row for row in report["cases"]}
    for row in merged["cases"]:
        naive = by_name.get(row["name"])
        if not naive:
            continue
        for key, value in naive.items():
            if key.startswith("naive"):
                row[key] = value
        if "naive_memory" in naive and "memory" in row:
            row["x_naive"] = ratio(
                naive["naive_memory"].get("ms"), row["memory"].get("ms")
            )
        else:
            row["x_naive"] = ratio(naive.get("naive_ms"), row.get("ms"))
    merged.setdefault("naive_runs", []).append(
        {
            "started_at": report["started_at"],
            "duration_s": report["duration_s"],
            "cases": sorted(by_name),
        }
    )
    Path(path).write_text(json.dumps(merged, indent=1, default=str))
    return merged


def main():
    args = parse_args()
    if (
        args.merge
        and args.output
        and Path(args.output).resolve() == Path(args.merge).resolve()
    ):
        # The naive run's own results would overwrite the file to merge into.
        sys.exit("--output must not be the --merge file: the naive results go there.")
    setup_django(args.scale)
    import django
    from django.db import connection
    from django.test import Client

    from bench.cases import app_cases, export_cases, find_targets

    started = time.perf_counter()
    generation = prepare_database(args.scale, args.regenerate)
    user = bench_superuser()
    say("Finding the busiest records …")
    targets = find_targets()
    cases = app_cases(targets) + export_cases(targets)
    if args.only:
        cases = [c for c in cases if any(selects(o, c.name) for o in args.only)]

    report = {
        "engine": connection.vendor,
        "engine_version": engine_version(),
        "django": django.get_version(),
        "code": code_version(),
        "scale": args.scale,
        "machine": machine(),
        "generation": generation,
        "targets": targets.as_dict(),
        "runs": args.runs,
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "load_at_start": os.getloadavg(),
        "cases": [],
    }
    say(
        f"{report['engine_version']}, scale {args.scale}: "
        f"{generation['counts']['organisations']:,} organisations, "
        f"{generation['counts']['people']:,} people, "
        f"{generation['counts']['meetings']:,} meetings, "
        f"{generation['counts']['attendance']:,} attendance rows"
    )
    say(HEADER)
    client = Client()
    for case in cases:
        # A fresh login before each case: the idle-timeout middleware saves the
        # session once a minute, which would add a query to whichever page
        # happened to come then.
        row = {"name": case.name, "group": case.group}
        if not args.naive_only:
            measure_app(client, user, case, row, args)
        probe = case.export and not args.no_memory
        # A naive export is only run in a probe: it may take gigabytes, which
        # the probe's address-space limit keeps from taking the machine.
        if case.naive and not args.no_naive and not probe:
            client.force_login(user)
            naive = time_page(
                client,
                case.naive,
                urlconf="bench.naive",
                runs=args.runs,
                timeout=args.naive_timeout,
            )
            naive.pop("recorded", None)
            row.update(
                naive_url=case.naive,
                naive_status=naive.get("status"),
                naive_queries=naive.get("queries"),
                naive_ms=naive.get("ms"),
                naive_runs_ms=naive.get("runs_ms"),
                naive_cpu_ms=naive.get("cpu_ms"),
                naive_timed_out=naive.get("timed_out", False),
                naive_error=naive.get("error"),
                x_naive=ratio(naive.get("ms"), row.get("ms")),
            )
        if probe and not args.naive_only:
            row["memory"] = probe_memory(
                args.scale,
                case.url,
                case.urlconf,
                args.memory_limit_mb,
                timeout=max(args.timeout, 60),
            )
        if probe and case.naive and not args.no_naive:
            row["naive_memory"] = probe_memory(
                args.scale,
                case.naive,
                "bench.naive",
                args.memory_limit_mb,
                timeout=max(args.naive_timeout * 3, 60),
            )
            naive = row["naive_memory"]
            stopped = naive.get("error", "").startswith("stopped")
            row.update(
                naive_url=case.naive,
                naive_status=naive.get("status"),
                naive_ms=naive.get("ms")
                or (max(args.naive_timeout * 3, 60) * 1000 if stopped else None),
                naive_timed_out=stopped,
                naive_error=None if stopped else naive.get("error"),
                # Both downloads in a fresh process.
                x_naive=ratio(naive.get("ms"), (row.get("memory") or {}).get("ms")),
            )
        row["missed"] = checks(case, row, cpu_too=connection.vendor == "sqlite")
        report["cases"].append(row)
        say(line(row))
        if row.get("error"):
            say(f"    error: {row['error']}")
        for warning in row.get("warnings", []):
            say(f"    warning: {warning[:200]}")
        if row.get("naive_error"):
            say(f"    naive error: {row['naive_error']}")
        for key in ("memory", "naive_memory"):
            if key in row:
                m = row[key]
                say(
                    f"    {key.replace('_', ' ')}: peak {m.get('peak_mb')} MB, "
                    f"growth {m.get('growth_mb')} MB, {m.get('ms')} ms, "
                    f"{m.get('bytes')} bytes{' ' + m['error'] if 'error' in m else ''}"
                )

    wants_import = not args.only or any(
        selects(o, "import 10,000-row sheet") for o in args.only
    )
    if wants_import and not args.naive_only:
        row = import_case(user, args.runs)
        if row.get("ms") is not None and row["ms"] > IMPORT_MS:
            row["missed"] = [f">{IMPORT_MS}ms"]
        report["cases"].append(row)
        say(line(row) if "ms" in row else f"{row['name']:<48} {row.get('note')}")
        if row.get("error"):
            say(f"    error: {row['error']}")
        row = import_watched_case(user)
        if row.get("failed_saves"):
            row["missed"] = ["failed saves"]
        report["cases"].append(row)
        say(line(row) if "ms" in row else f"{row['name']:<48} {row.get('note')}")
        say(f"    {row['note']}")

    report["duration_s"] = round(time.perf_counter() - started, 1)
    partial = (
        "-partial"
        if args.only or args.no_naive or args.no_memory or args.naive_only
        else ""
    )
    output = (
        Path(args.output)
        if args.output
        else (BENCH / "results" / f"{connection.vendor}-{args.scale}{partial}.json")
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, default=str))
    if args.naive_only and args.merge:
        merge_naive(args.merge, report)
        say(f"Naive measurements added to {args.merge}.")
    missed = [row for row in report["cases"] if row.get("missed")]
    say(
        f"\n{len(report['cases'])} cases in {report['duration_s']:.0f} s; "
        f"{len(missed)} miss a target. Results: {output}"
    )


if __name__ == "__main__":
    main()
