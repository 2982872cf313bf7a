"""The load benchmark's export downloads: every list's CSV and XLSX of
everything, timed and checked for completeness, once the levels are done."""

import http.client
import io
import json
import time
import zipfile
from pathlib import Path

from bench.load_report import fmt
from bench.run import say

BENCH = Path(__file__).resolve().parent

# The exports, every list's CSV and XLSX of everything (no filter): the
# largest a user can ask for.
EXPORTS = [
    f"/{name}/export.{kind}"
    for name in ("organisations", "people", "meetings")
    for kind in ("csv", "xlsx")
]
INCOMPLETE_MARK = b"export incomplete"


def download(port, cookies, path, timeout):
    """GET one export as a browser would, reading the body as it arrives:
    status, milliseconds to the headers, to the first byte of the body and to
    the last, bytes, and what is wrong with it (None if nothing)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {
        "X-Forwarded-Proto": "https",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }
    started = time.perf_counter()
    result = {"path": path, "status": None, "problem": None}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        result["status"] = response.status
        result["headers_ms"] = round((time.perf_counter() - started) * 1000)
        first = response.read1(65536)
        result["first_byte_ms"] = round((time.perf_counter() - started) * 1000)
        chunks = [first]
        while chunk := response.read1(1 << 20):
            chunks.append(chunk)
        body = b"".join(chunks)
    except (OSError, http.client.HTTPException) as error:
        result["problem"] = f"{type(error).__name__}: {error}"[:200]
        return result
    finally:
        result["total_ms"] = round((time.perf_counter() - started) * 1000)
        connection.close()
    result["bytes"] = len(body)
    if response.status != 200:
        result["problem"] = f"HTTP {response.status}"
    elif path.endswith(".csv") and INCOMPLETE_MARK in body[-400:]:
        result["problem"] = "the file says it is incomplete"
    elif path.endswith(".xlsx"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as workbook:
                damaged = workbook.testzip()
        except zipfile.BadZipFile as error:
            damaged = str(error)
        if damaged:
            result["problem"] = f"not a complete workbook ({damaged})"
    return result


def measure_exports(report, args, *, port, cookies):
    say("\nEvery export, downloaded once:")
    say(f"{'export':<30} {'status':>6} {'first byte':>11} {'total':>9} {'MB':>7}")
    for path in EXPORTS:
        result = download(port, cookies, path, args.timeout)
        report["exports"].append(result)
        say(
            f"{path:<30} {result['status'] or '-':>6} "
            f"{fmt(result.get('first_byte_ms'), 8)} ms {fmt(result['total_ms'], 6)} ms "
            f"{fmt(result.get('bytes', 0) / 1e6, 7, 1)}"
            + (f"  {result['problem']}" if result["problem"] else "")
        )


def finish_exports(report, args, started):
    report["mode"] = "exports"
    report["duration_s"] = round(time.perf_counter() - started, 1)
    failed = [e for e in report["exports"] if e["problem"]]
    if report["server_log_problems"]:
        failed.append({"path": "gunicorn's log", "problem": "see server_log_problems"})
    output = (
        Path(args.output)
        if args.output
        else BENCH / "results" / f"exports-{report['engine']}-{args.scale}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, default=str))
    for line in report["server_log_problems"]:
        say(f"gunicorn: {line}")
    say(f"\nResults: {output}")
    if failed:
        say(f"{len(failed)} export(s) failed: " + ", ".join(e["path"] for e in failed))
        raise SystemExit(1)
    return report
