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
process (bench/probe.py) for their peak memory, and ``find_duplicates`` is run
once in one for its wall time and peak memory (``ms`` is then its wall time;
the review pages of the pairs need them: the benchmark runs the finder first
where none are stored).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
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
# find_duplicates at XL (issue 15), each kind.
COMMAND_S = 120
COMMAND_MB = 2048

if str(ROOT) not in sys.path:
    # Run as a script (``python bench/run.py``): bench.measure lives beside it.
    sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    import_case,
    import_watched_case,
    probe_memory,
    sql_floor,
    time_page,
)


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
        "--no-memory",
        action="store_true",
        help="Skip the exports' memory probes (find_duplicates is still run in "
        "one: that is its measurement).",
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


def bench_editor():
    """A user of the editor role, as coordinators are: what the load
    benchmark's clients sign in as. A superuser's permission checks read
    nothing; an editor's are read with the user
    (accounts.backends.UserWithPermissionsBackend)."""
    from django.apps import apps as django_apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.roles import EDITOR, roles_sync

    if not Group.objects.filter(name=EDITOR).exists():
        roles_sync(django_apps)
    user, _created = get_user_model().objects.get_or_create(username="bench-editor")
    user.groups.add(Group.objects.get(name=EDITOR))
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


def ensure_pairs():
    """Store the pairs ``find_duplicates`` finds where none are stored yet,
    for the review pages to list: a database generated before they were
    measured has none. Not timed as a case (``find_duplicates`` cases are)."""
    from duplicates.models import OrganisationPair, PersonPair
    from duplicates.services import find

    for kind, model in [("organisations", OrganisationPair), ("people", PersonPair)]:
        if model.objects.exists():
            continue
        started = time.perf_counter()
        _found, stored, _removed = find(kind)
        say(
            f"No pairs of {kind} stored: find_duplicates stored {stored:,} in "
            f"{time.perf_counter() - started:.1f} s."
        )


# Measuring: bench/measure.py


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
    if "command" in case.checks:
        if ms > COMMAND_S * 1000:
            missed.append(f">{COMMAND_S}s")
        if (row.get("memory") or {}).get("peak_mb", 0) >= COMMAND_MB:
            missed.append(f">={COMMAND_MB}MB")
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
        settings=case.settings,
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


def measure_command(case, row, args):
    """Run the case's management command once in a fresh process
    (bench/probe.py), into ``row``: its wall and CPU time, peak memory and
    output."""
    memory = probe_memory(
        args.scale,
        None,
        None,
        args.memory_limit_mb,
        timeout=args.timeout,
        command=case.command,
    )
    row.update(
        url=case.url,
        status=memory.get("status"),
        ms=memory.get("ms"),
        cpu_ms=memory.get("cpu_ms"),
        load=round(os.getloadavg()[0], 2),
        memory=memory,
    )
    if memory.get("output"):
        row["note"] = memory["output"]
    if memory.get("error", "").startswith("stopped"):
        row.update(timed_out=True, ms=args.timeout * 1000)
    elif memory.get("error"):
        row["error"] = memory["error"]


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

    from bench.cases import app_cases, duplicate_cases, export_cases, find_targets

    started = time.perf_counter()
    generation = prepare_database(args.scale, args.regenerate)
    user = bench_superuser()
    say("Finding the busiest records …")
    targets = find_targets()
    cases = app_cases(targets) + duplicate_cases(targets) + export_cases(targets)
    if args.only:
        cases = [c for c in cases if any(selects(o, c.name) for o in args.only)]
    if not args.naive_only and any(
        c.url.startswith("/admin/duplicates/") for c in cases
    ):
        ensure_pairs()

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
        if case.command and not args.naive_only:
            measure_command(case, row, args)
        elif not args.naive_only:
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
                    + (f"{m.get('bytes')} bytes" if "url" in m else m.get("output", ""))
                    + (f" {m['error']}" if "error" in m else "")
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
