"""The Hamkor load benchmark (``make bench-load SCALE=M``): how many pages a
second the app serves through gunicorn, and how long they take, with 1, 4 and
16 people using it at once.

It serves the benchmark's generated database (``bench/data/bench-<SCALE>.sqlite3``
or ``DATABASE_URL``, made by ``bench.run.prepare_database``) with gunicorn on
127.0.0.1 and the production settings of the README (``config.settings``,
DEBUG off, static files collected into a temporary directory and served by
WhiteNoise, ``BEHIND_TLS_PROXY=true`` with every request marked
``X-Forwarded-Proto: https`` as the TLS proxy would). Each client is a process
of its own with one keep-alive HTTP/1.1 connection and a logged-in session of an
editor (``--user superuser``: a superuser); it requests pages of a fixed mix
(lists with filters, searches and later pages, detail pages, admin
changelists) one after another, and one time
in ten saves an organisation through its admin change form instead (the form
read, its fields sent back with the notes changed). Each level runs for a
warm-up that is not counted, then ``--duration`` seconds.

For each level it prints and writes to ``bench/results/load-<engine>-<scale>.json``:
pages a second, saves a second, the 50th/95th/99th percentile of the pages'
and the saves' latencies, edit conflicts (the version check refused a save:
another client saved the record first), errors (a status of 500 or more, a
refused or dropped connection, any other unexpected status: a 4xx, a redirect
of a page, a save the form refused), the machine's CPU and the server's CPU
per request. Before the levels, the first request of a few pages after the
server started (cold). The issue's targets are checked and shown, never
asserted. It never runs in ``make test``; tests/bench/test_load.py runs it for
a few seconds on a small database.

The saves change the notes of organisations of the benchmark database (and
write their history rows); ``--regenerate`` starts afresh.
"""

import argparse
import datetime
import json
import multiprocessing
import os
import random
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script (``python bench/load.py``): bench.run lives beside it.
    sys.path.insert(0, str(ROOT))

from bench.load_client import Browser, client_main, timed  # noqa: E402
from bench.load_exports import finish_exports, measure_exports  # noqa: E402
from bench.load_report import HEADER, checks, fmt, level_line, print_summary  # noqa: E402
from bench.load_server import (  # noqa: E402
    DEFAULT_WORKERS,
    GUNICORN_CONF,
    collect_static,
    database_cpu_seconds,
    free_port,
    gunicorn_command,
    gunicorn_settings,
    machine_cpu,
    server_cpu_seconds,
    server_env,
    server_problems,
    start_server,
    stop_server,
)
from bench.run import (  # noqa: E402
    SCALES,
    bench_editor,
    bench_superuser,
    code_version,
    engine_version,
    machine,
    prepare_database,
    say,
    setup_django,
)

BENCH = ROOT / "bench"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="M")
    parser.add_argument(
        "--levels",
        default="1,4,16",
        help="Numbers of concurrent clients, one level each (1,4,16).",
    )
    parser.add_argument(
        "--duration", type=float, default=20, help="Measured seconds a level (20)."
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=3,
        help="Seconds a level runs before it is measured (3).",
    )
    parser.add_argument(
        "--save-share",
        type=float,
        default=0.10,
        help="Share of a client's steps that save an organisation (0.10).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help=f"gunicorn --workers (from {GUNICORN_CONF.relative_to(ROOT)} when it "
        f"exists, else {DEFAULT_WORKERS}).",
    )
    parser.add_argument(
        "--threads", type=int, help="gunicorn --threads (more than 1: gthread)."
    )
    parser.add_argument("--worker-class", help="gunicorn --worker-class (sync).")
    parser.add_argument(
        "--gunicorn-args",
        default="",
        help="More gunicorn options, as one string (--gunicorn-args='--timeout 60').",
    )
    parser.add_argument(
        "--no-config",
        action="store_true",
        help=f"Do not read {GUNICORN_CONF.relative_to(ROOT)} even if it exists.",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120,
        help="Seconds a client waits for a response before counting an error (120).",
    )
    parser.add_argument(
        "--exports",
        action="store_true",
        help="Instead of the levels, download every export once and report its "
        "first byte and total time; exit 1 if any fails (what .ci/run checks).",
    )
    parser.add_argument(
        "--during",
        help="A manage.py command (with its arguments, as one string) started as "
        "each level's measured seconds start, for the longest an editor's save "
        "waits while it runs (--during refresh_meeting_stats). Give the level a "
        "--duration longer than the command takes.",
    )
    parser.add_argument(
        "--user",
        choices=["editor", "superuser"],
        default="editor",
        help="Whom the clients are signed in as: a user of the editor role, as "
        "coordinators are (default), or a superuser, whose permission checks "
        "read nothing (the runs before 8 December).",
    )
    parser.add_argument("--seed", type=int, default=1, help="The clients' choices (1).")
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="Regenerate the sample data (as bench/run.py --regenerate).",
    )
    parser.add_argument("--output", help="The JSON file (bench/results/...).")
    args = parser.parse_args(argv)
    try:
        args.levels = [int(n) for n in args.levels.split(",") if n.strip()]
    except ValueError:
        parser.error("--levels: numbers separated by commas, such as 1,4,16")
    if not args.levels or min(args.levels) < 1:
        parser.error("--levels: at least one level of one client or more")
    if not 0 <= args.save_share <= 1:
        parser.error("--save-share: a share between 0 and 1")
    return args


# What the clients request


def page_mix(targets, seed):
    """The pages the clients request, with their weights: one entry per kind
    of page, each with concrete URLs of the generated data to pick from (later
    pages up to page 1,000, records chosen at random, search terms taken from
    the records' names). A list of dicts, handed to the client processes."""
    from meetings.models import Meeting
    from stakeholders.models import Organisation, OrganisationType, Person

    rng = random.Random(seed)  # noqa: S311 - a repeatable choice of pages

    def ids(model, n=1000):
        pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
        return rng.sample(pks, min(n, len(pks)))

    def pages(name, n=200):
        last = min(1000, targets.pages.get(name, 1))
        return sorted({rng.randint(2, last) for _ in range(n)}) if last > 1 else [1]

    def words(names):
        # "Sample Samarkand Health Fund": the words after the marker, as a
        # coordinator would type them.
        found = set()
        for name in names:
            for word in name.split()[1:]:
                if len(word) >= 4 and word.isalpha():
                    found.add(word[:6].lower())
        return sorted(found)[:40] or ["sample"]

    organisation_names = list(
        Organisation.objects.filter(pk__in=ids(Organisation, 100)).values_list(
            "name", flat=True
        )
    )
    person_names = list(
        Person.objects.filter(pk__in=ids(Person, 100)).values_list(
            "full_name", flat=True
        )
    )
    organisation_terms = [targets.organisation_term, *words(organisation_names)]
    person_terms = [
        name.split()[-1][:6].lower() for name in person_names if name.split()
    ] or [targets.person_term]
    slugs = list(OrganisationType.objects.values_list("slug", flat=True))
    type_ids = list(OrganisationType.objects.values_list("pk", flat=True))

    def urls(template, values):
        return [template.format(urllib.parse.quote(str(v))) for v in values]

    terms, names = organisation_terms, person_terms
    deep = {name: pages(name) for name in ("organisations", "people", "meetings")}
    admin_deep = {name: pages(name, 20) for name in ("meetings", "attendance")}
    organisations, people, meetings = ids(Organisation), ids(Person), ids(Meeting)
    admin = "/admin/stakeholders/"
    admin_type = f"{admin}organisation/?type__id__exact={{}}"
    admin_search = f"{admin}organisation/?q={{}}"
    admin_meetings = "/admin/meetings/meeting/?p={}"
    admin_attendance = "/admin/meetings/attendance/?p={}"
    table = [
        # name, kind, weight, URLs to pick from
        ("home", "list", 5, ["/"]),
        ("organisations", "list", 8, ["/organisations/"]),
        ("organisations ?type", "list", 5, urls("/organisations/?type={}", slugs)),
        ("organisations ?q", "list", 5, urls("/organisations/?q={}", terms)),
        (
            "organisations ?page",
            "list",
            6,
            urls("/organisations/?page={}", deep["organisations"]),
        ),
        ("people", "list", 7, ["/people/"]),
        ("people ?q", "list", 4, urls("/people/?q={}", names)),
        ("people ?type", "list", 3, urls("/people/?type={}", slugs)),
        ("people ?page", "list", 5, urls("/people/?page={}", deep["people"])),
        ("meetings", "list", 7, ["/meetings/"]),
        ("meetings ?type", "list", 3, urls("/meetings/?type={}", slugs)),
        ("meetings ?page", "list", 4, urls("/meetings/?page={}", deep["meetings"])),
        ("organisation detail", "detail", 5, urls("/organisations/{}/", organisations)),
        ("person detail", "detail", 4, urls("/people/{}/", people)),
        ("meeting detail", "detail", 4, urls("/meetings/{}/", meetings)),
        ("admin organisation", "admin", 1, [f"{admin}organisation/"]),
        ("admin organisation ?type", "admin", 1, urls(admin_type, type_ids)),
        ("admin organisation ?q", "admin", 1, urls(admin_search, terms)),
        ("admin person", "admin", 2, [f"{admin}person/"]),
        ("admin person ?q", "admin", 1, urls(f"{admin}person/?q={{}}", names)),
        ("admin meeting", "admin", 1, ["/admin/meetings/meeting/"]),
        ("admin meeting ?p", "admin", 1, urls(admin_meetings, admin_deep["meetings"])),
        ("admin attendance", "admin", 1, ["/admin/meetings/attendance/"]),
        (
            "admin attendance ?p",
            "admin",
            1,
            urls(admin_attendance, admin_deep["attendance"]),
        ),
    ]
    return [
        {"name": name, "kind": kind, "weight": weight, "urls": urls}
        for name, kind, weight, urls in table
    ]


def save_targets(seed, n=4000, most_positions=20):
    """Organisations to save, at random: those with a short change form (few
    positions as inline rows), so that a save measures a save rather than the
    rendering of a thousand inline rows (the busiest organisations list theirs
    elsewhere anyway)."""
    from django.db.models import Count

    from stakeholders.models import Organisation

    pks = list(
        Organisation.objects.annotate(n=Count("positions"))
        .filter(n__lte=most_positions)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rng = random.Random(seed)  # noqa: S311 - a repeatable choice of records
    return rng.sample(pks, min(n, len(pks)))


def make_session(user):
    """A logged-in session of ``user``, as a login would leave it, without the
    login: no password hashing, no django-axes attempt records. The idle clock
    starts now (accounts.middleware.start_idle_clock), so the session is saved
    again once a minute, as a real editor's is."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.middleware import LAST_SEEN

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # The backend that reads a signed-in user (the one a login records).
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[LAST_SEEN] = time.time()
    store.save()
    return store.session_key


def percentile(values, p):
    """The nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return round(ordered[int(rank) - 1], 1)


def latencies(values):
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": round(max(values), 1) if values else None,
    }


def start_during(command):
    """Start ``manage.py command`` on the served database, or nothing."""
    if not command:
        return None
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false"}
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *shlex.split(command)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return process, command, time.monotonic()


def finish_during(during, end_at):
    """What became of the command: its time, its exit status and whether it
    ended within the measured seconds (if not, a save after the end of the
    level was not measured)."""
    if during is None:
        return {}
    process, command, started = during
    _out, err = process.communicate(timeout=3600)
    ended = time.monotonic()
    return {
        "during": {
            "command": command,
            "seconds": round(ended - started, 1),
            "returncode": process.returncode,
            "ended_in_level": ended <= end_at,
            "stderr_tail": err.decode(errors="replace")[-500:],
        }
    }


def run_level(clients, *, port, mix, saves, user, server, args):
    """Run ``clients`` client processes for the warm-up and the measured
    seconds; what they measured, summed up."""
    from django.conf import settings
    from django.db import connections

    cookie_name = settings.SESSION_COOKIE_NAME
    sessions = [make_session(user) for _ in range(clients)]
    # The clients are forked: they must not share the database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    warm_at = time.monotonic() + 0.5
    measure_at = warm_at + args.warmup
    end_at = measure_at + args.duration
    shared = {
        "seed": args.seed,
        "timeout": args.timeout,
        "save_share": args.save_share,
    }
    processes = [
        context.Process(
            target=client_main,
            args=(
                index,
                port,
                {cookie_name: sessions[index]},
                mix,
                # Each client saves its own organisations: conflicts are
                # rare by design, and any that comes is worth a look.
                saves[index::clients],
                (warm_at, measure_at, end_at),
                shared,
                results,
            ),
            daemon=True,
        )
        for index in range(clients)
    ]
    for process in processes:
        process.start()
    time.sleep(max(0, measure_at - time.monotonic()))
    cpu_before, server_before = machine_cpu(), server_cpu_seconds(server.pid)
    database_before = database_cpu_seconds()
    during = start_during(args.during)
    time.sleep(max(0, end_at - time.monotonic()))
    cpu_after, server_after = machine_cpu(), server_cpu_seconds(server.pid)
    database_after = database_cpu_seconds()
    load = os.getloadavg()[0]
    reports = [results.get(timeout=args.timeout + 60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    during = finish_during(during, end_at)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key in sessions:
        store.delete(key)
    return during | summarise(
        clients,
        reports,
        measure_at=measure_at,
        end_at=end_at,
        machine=(cpu_before, cpu_after),
        server_cpu_s=server_after - server_before,
        # A backend that started during the level counts whole.
        database_cpu_s=sum(
            seconds - database_before.get(pid, 0)
            for pid, seconds in database_after.items()
        ),
        load=load,
    )


def summarise(
    clients, reports, *, measure_at, end_at, machine, server_cpu_s, database_cpu_s, load
):
    samples = [s for report in reports for s in report["samples"]]
    finished = [started - measure_at + ms / 1000 for _n, _k, started, ms, _o in samples]
    # The requests started in the measured seconds, over the time until the
    # last of them finished.
    seconds = max([end_at - measure_at, *finished])
    pages = [s for s in samples if s[1] == "page"]
    forms = [s for s in samples if s[1] == "form"]
    saves = [s for s in samples if s[1] == "save"]
    errors = [s for s in samples if s[4] == "error"]
    crashed = [r["crashed"] for r in reports if r["crashed"]]
    (busy_before, total_before), (busy_after, total_after) = machine
    by_case = {}
    for name, kind, _started, ms, outcome in samples:
        case = by_case.setdefault(name, {"kind": kind, "ms": [], "errors": 0})
        case["ms"].append(ms)
        case["errors"] += outcome == "error"
    page_ms = [s[3] for s in pages if s[4] == "ok"]
    return {
        "clients": clients,
        "seconds": round(seconds, 2),
        "requests": len(samples),
        "pages": len(pages),
        "pages_per_s": round(len(pages) / seconds, 1),
        "page_ms": latencies(page_ms),
        "forms": len(forms),
        "form_ms": latencies([s[3] for s in forms if s[4] == "ok"]),
        "saves": sum(1 for s in saves if s[4] == "ok"),
        "saves_per_s": round(sum(1 for s in saves if s[4] == "ok") / seconds, 2),
        "save_ms": latencies([s[3] for s in saves if s[4] != "error"]),
        "conflicts": sum(1 for s in saves if s[4] == "conflict"),
        "errors": len(errors) + len(crashed),
        "error_samples": sorted({d for r in reports for d in r["errors"]})[:20]
        + [f"client stopped: {c}" for c in crashed],
        "committed_saves": sum(r["committed"] for r in reports),
        "reconnects": sum(r["reconnects"] for r in reports),
        "machine_cpu_busy_pct": round(
            100 * (busy_after - busy_before) / max(1, total_after - total_before), 1
        ),
        "server_cpu_ms_per_request": round(
            1000 * server_cpu_s / max(1, len(samples)), 2
        ),
        "database_cpu_ms_per_request": round(
            1000 * database_cpu_s / max(1, len(samples)), 2
        ),
        # The pages a second the app would serve at this CPU cost a request
        # with every processor to itself (no other programs, no clients): an
        # estimate for a shared machine, not a measurement.
        "ceiling_pages_per_s": round(
            len(pages)
            * (os.cpu_count() or 1)
            / max(0.001, server_cpu_s + database_cpu_s),
            1,
        ),
        "clients_cpu_pct": round(
            100 * sum(r["cpu_s"] for r in reports) / (end_at - measure_at), 1
        ),
        "load": round(load, 2),
        "by_case": {
            name: {
                "kind": case["kind"],
                "n": len(case["ms"]),
                "errors": case["errors"],
                **latencies(case["ms"]),
            }
            for name, case in sorted(by_case.items())
        },
    }


def page_times(port, cookies, paths, timeout, runs=1):
    """Each page requested ``runs`` times in turn, by one client: its status
    and median milliseconds."""
    browser = Browser(port, cookies, timeout)
    rows = []
    for path in paths:
        times = []
        for _ in range(runs):
            status, _headers, _data, ms, error = timed(browser, "GET", path)
            times.append(ms)
        rows.append(
            {
                "url": path,
                "status": status,
                "error": error,
                "ms": round(statistics.median(times), 1),
            }
        )
    browser.close()
    return rows


def measure(report, args, *, user, targets, mix, saves):
    """Serve the app with gunicorn and run the levels, into ``report``."""
    from django.conf import settings

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="hamkor-load-") as tmp:
        env = server_env(Path(tmp) / "static")
        report["collectstatic_s"] = round(collect_static(env), 1)
        command, config = gunicorn_command(args, port)
        gunicorn = gunicorn_settings(command, env)
        report["gunicorn"] = {
            "command": " ".join(command[1:]).replace(str(ROOT) + "/", ""),
            "config_file": str(config.relative_to(ROOT)) if config else None,
            "settings": gunicorn,
        }
        source = f"settings of {config.name}" if config else "no configuration file"
        say(
            f"gunicorn {report['gunicorn']['command']} ({source}): "
            f"{gunicorn['workers']} {gunicorn['worker_class']} workers × "
            f"{gunicorn['threads']} threads, timeout {gunicorn['timeout']} s"
        )
        log_path = Path(tmp) / "gunicorn.log"
        server = start_server(command, env, log_path, port)
        try:
            cookies = {settings.SESSION_COOKIE_NAME: make_session(user)}
            if args.exports:
                measure_exports(report, args, port=port, cookies=cookies)
                return
            paths = [
                "/",
                "/organisations/",
                "/people/",
                "/meetings/",
                f"/organisations/{targets.organisation}/",
                "/admin/stakeholders/organisation/",
            ]
            # The first request of each page after the start: a worker loads
            # the URLconf, templates and its connection on its first ones.
            cold = page_times(port, cookies, paths, args.timeout)
            say(
                f"\n{args.duration:g} s a level after {args.warmup:g} s of warm-up; "
                f"{args.save_share:.0%} of steps save an organisation."
            )
            say(HEADER)
            for clients in args.levels:
                level = run_level(
                    clients,
                    port=port,
                    mix=mix,
                    saves=saves,
                    user=user,
                    server=server,
                    args=args,
                )
                report["levels"].append(level)
                say(level_line(level))
                if during := level.get("during"):
                    say(
                        f"    during `{during['command']}` ({during['seconds']} s, "
                        f"exit {during['returncode']}"
                        + ("" if during["ended_in_level"] else ", after the level")
                        + f"): longest save {fmt(level['save_ms']['max'], 0)} ms"
                    )
                for sample in level["error_samples"][:5]:
                    say(f"    error: {sample}")
                if server.poll() is not None:
                    say("gunicorn stopped.")
                    break
            warm = page_times(port, cookies, paths, args.timeout, runs=3)
            report["cold"] = [
                {**first, "warm_ms": then["ms"]}
                for first, then in zip(cold, warm, strict=True)
            ]
        finally:
            stop_server(server)
            report["server_log_problems"] = server_problems(log_path)


def main(argv=None):
    args = parse_args(argv)
    # One secret for this process (the sessions it makes) and the server.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    setup_django(args.scale)
    import django
    from django.db import connection

    from bench.cases import find_targets

    started = time.perf_counter()
    generation = prepare_database(args.scale, args.regenerate)
    user = bench_superuser() if args.user == "superuser" else bench_editor()
    say("Choosing the pages and the organisations to save …")
    targets = find_targets()
    mix = page_mix(targets, args.seed)
    saves = save_targets(args.seed)
    counts = generation["counts"]
    report = {
        "mode": "load",
        "engine": connection.vendor,
        "engine_version": engine_version(),
        "django": django.get_version(),
        "code": code_version(),
        "scale": args.scale,
        "machine": machine(),
        "generation": generation,
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "load_at_start": os.getloadavg(),
        "options": {
            "levels": args.levels,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "save_share": args.save_share,
            "seed": args.seed,
            "user": args.user,
        },
        "mix": [{k: e[k] for k in ("name", "kind", "weight")} for e in mix],
        "levels": [],
        "exports": [],
    }
    say(
        f"{report['engine_version']}, scale {args.scale}: "
        f"{counts['organisations']:,} organisations, {counts['people']:,} people, "
        f"{counts['meetings']:,} meetings, {counts['attendance']:,} attendance rows"
    )
    measure(report, args, user=user, targets=targets, mix=mix, saves=saves)
    if args.exports:
        return finish_exports(report, args, started)
    report["committed_saves"] = sum(
        level["committed_saves"] for level in report["levels"]
    )
    report["checks"] = checks(report)
    report["duration_s"] = round(time.perf_counter() - started, 1)
    print_summary(report)
    output = (
        Path(args.output)
        if args.output
        else BENCH / "results" / f"load-{report['engine']}-{args.scale}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, default=str))
    say(f"\nResults: {output}")
    return report


if __name__ == "__main__":
    main()
