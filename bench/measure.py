"""The in-process benchmark's measuring: a page's queries and times, its SQL
floor, the peak memory of an export or a command in a fresh process and the
import cases."""

import _thread
import contextlib
import csv
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


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


def time_page(client, url, *, urlconf, runs, timeout, settings=None):
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
        override_settings(ROOT_URLCONF=urlconf, **(settings or {})),
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


def probe_memory(scale, url, urlconf, memory_limit_mb, timeout, *, command=None):
    """The time and peak memory of downloading ``url``, or of running the
    management command ``command`` (one string), in a fresh process
    (bench/probe.py)."""
    probe = [
        sys.executable,
        str(BENCH / "probe.py"),
        "--scale",
        scale,
        *(["--command", command] if command else ["--url", url]),
        "--memory-limit-mb",
        str(memory_limit_mb),
    ]
    if urlconf:
        probe += ["--urlconf", urlconf]
    try:
        done = subprocess.run(  # noqa: S603 - our own script
            probe, capture_output=True, text=True, timeout=timeout, check=False
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
