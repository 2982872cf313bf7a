"""Download one URL, or run one management command, in a fresh process and
report its time and peak memory.

Run by bench/run.py for the exports and for ``find_duplicates``; prints one
line of JSON. ``peak_mb`` is the process's peak resident set size during the
download or the command (Linux's VmHWM, reset just before it through
/proc/self/clear_refs), ``baseline_mb`` its resident set size before, so
``growth_mb`` is what the download or the command added to a warmed-up
Django process; ``cpu_ms`` is this process's CPU time (not the database's).
(``ru_maxrss`` would not do: Linux carries it over from the parent across
``exec``, and the parent is the benchmark with its own caches.)

    python bench/probe.py --scale M --url /people/export.csv [--urlconf bench.naive]
    python bench/probe.py --scale M --command "find_duplicates --no-progress"
"""

import argparse
import io
import json
import os
import resource
import shlex
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def status_mb(name):
    """VmRSS or VmHWM of this process in MB, from /proc/self/status."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(name)


def reset_peak():
    """Make the peak resident set size the current one (Linux 4.0+)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def download(url, urlconf, username):
    """Log in and warm up (imports, templates, the connection), then return
    the download of ``url`` to measure."""
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    client.get("/")

    def run():
        with override_settings(ROOT_URLCONF=urlconf or "config.urls"):
            response = client.get(url)
            size = 0
            if response.streaming:
                for chunk in response.streaming_content:
                    size += len(chunk)
            else:
                size = len(response.content)
            response.close()
        return {"status": response.status_code, "bytes": size}

    return run


def command(line):
    """Connect, then return the run of the management command ``line`` to
    measure (its output is kept, not printed: the probe prints one line)."""
    from django.core.management import call_command
    from django.db import connection

    connection.ensure_connection()
    name, *arguments = shlex.split(line)

    def run():
        output = io.StringIO()
        call_command(name, *arguments, stdout=output, stderr=io.StringIO())
        return {"status": 0, "output": output.getvalue().strip()}

    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", required=True)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--url")
    what.add_argument(
        "--command", help="A management command and its arguments, in one string."
    )
    parser.add_argument("--urlconf")
    parser.add_argument("--username", default="bench")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument(
        "--memory-limit-mb",
        type=int,
        default=0,
        help="Address-space limit, so that a runaway export fails, not the machine.",
    )
    args = parser.parse_args()

    if args.memory_limit_mb:
        limit = args.memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    sys.path.insert(0, str(ROOT))
    os.environ["BENCH_SCALE"] = args.scale
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    if args.command:
        run, result = command(args.command), {"command": args.command}
    else:
        run, result = download(args.url, args.urlconf, args.username), {"url": args.url}
    reset_peak()
    baseline = status_mb("VmRSS")
    result["baseline_mb"] = round(baseline, 1)
    if args.tracemalloc:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        result.update(run())
    except MemoryError:
        result.update(status=None, error="MemoryError")
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
    if args.tracemalloc:
        result["tracemalloc_peak_mb"] = round(
            tracemalloc.get_traced_memory()[1] / 1024 / 1024, 1
        )
        tracemalloc.stop()
    peak = status_mb("VmHWM")
    result.update(peak_mb=round(peak, 1), growth_mb=round(peak - baseline, 1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
