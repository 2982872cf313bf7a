"""The load benchmark's report: the checks against the issue's targets and
the summary printed per level of clients."""

from bench.run import say

# The targets (on this machine, at XL).
PAGES_PER_S = {"sqlite": 80, "postgresql": 60}
P95_MS = 400
P95_CLIENTS = 16


# Report


def checks(report):
    """The issue's targets, met or missed (shown, never asserted); ``met`` is
    None when the run has no level to judge by."""
    levels = report["levels"]
    if not levels:
        return []
    rows = []
    goal = PAGES_PER_S.get(report["engine"])
    best = max(levels, key=lambda level: level["pages_per_s"])
    if goal:
        rows.append(
            {
                "target": f"≥ {goal} pages/s on {report['engine']}",
                "measured": f"{best['pages_per_s']} at {best['clients']} clients",
                "met": best["pages_per_s"] >= goal,
            }
        )
    top = next((level for level in levels if level["clients"] == P95_CLIENTS), None)
    for what in ("page", "save"):
        p95 = top[f"{what}_ms"]["p95"] if top else None
        rows.append(
            {
                "target": f"{what} p95 ≤ {P95_MS} ms at {P95_CLIENTS} clients",
                "measured": "not measured" if p95 is None else f"{p95:,.0f} ms",
                "met": None if p95 is None else p95 <= P95_MS,
            }
        )
    errors = sum(level["errors"] for level in levels)
    rows.append({"target": "no errors", "measured": f"{errors}", "met": errors == 0})
    return rows


def fmt(value, width, digits=0):
    if value is None:
        return "—".rjust(width)
    if isinstance(value, float):
        return f"{value:,.{digits}f}".rjust(width)
    return f"{value:,}".rjust(width)


HEADER = (
    f"{'clients':>7} {'requests':>8} {'pages/s':>8} {'saves/s':>7} "
    f"{'page p50':>8} {'p95':>6} {'p99':>6} {'save p50':>8} {'p95':>6} {'p99':>6} "
    f"{'conflicts':>9} {'errors':>6} {'load':>5} {'cpu ms/req':>10} {'ceiling':>7}"
)


def level_line(level):
    page, save = level["page_ms"], level["save_ms"]
    cpu = level["server_cpu_ms_per_request"] + level["database_cpu_ms_per_request"]
    return (
        f"{level['clients']:>7} {fmt(level['requests'], 8)} "
        f"{fmt(level['pages_per_s'], 8, 1)} {fmt(level['saves_per_s'], 7, 2)} "
        f"{fmt(page['p50'], 8, 1)} {fmt(page['p95'], 6)} {fmt(page['p99'], 6)} "
        f"{fmt(save['p50'], 8, 1)} {fmt(save['p95'], 6)} {fmt(save['p99'], 6)} "
        f"{fmt(level['conflicts'], 9)} {fmt(level['errors'], 6)} "
        f"{fmt(level['load'], 5, 1)} "
        f"{fmt(cpu, 10, 1)} {fmt(level['ceiling_pages_per_s'], 7, 0)}"
    )


def print_summary(report):
    """What follows the levels' table: the last level by page, the first
    requests after the start, the targets."""
    if report["levels"]:
        level = report["levels"][-1]
        say(f"\nBy page, at {level['clients']} clients (ms):")
        say(f"{'page':<34} {'n':>6} {'p50':>7} {'p95':>7} {'max':>7} {'errors':>6}")
        for name, case in level["by_case"].items():
            say(
                f"{name:<34} {case['n']:>6} {fmt(case['p50'], 7, 1)} "
                f"{fmt(case['p95'], 7, 1)} {fmt(case['max'], 7, 1)} "
                f"{case['errors']:>6}"
            )
    say("\nThe first request of a page after the start (ms), and the page warm")
    say("(median of three after the levels):")
    for row in report.get("cold", []):
        failed = row["error"] or (row["status"] != 200 and row["status"])
        say(
            f"  {row['url']:<40} {row['ms']:>8,.1f}  warm {row['warm_ms']:>6,.1f}"
            + (f"  {failed}" if failed else "")
        )
    say(
        f"\nThe issue's targets (for XL on this machine; this run: "
        f"{report['engine']}, scale {report['scale']}):"
    )
    for check in report["checks"]:
        met = {True: "met", False: "missed", None: "—"}[check["met"]]
        say(f"  {check['target']:<36} {check['measured']:<24} {met}")
    for line in report["server_log_problems"][:5]:
        say(f"  server log: {line[:200]}")
