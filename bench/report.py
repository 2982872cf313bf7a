"""Markdown tables of benchmark results, for docs/performance.md.

python bench/report.py bench/results/sqlite-M.json [more.json …]
"""

import json
import sys
from pathlib import Path


def number(value, digits=0):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def naive_cell(row):
    if row.get("naive_timed_out"):
        return f"> {row['naive_ms']:,.0f} (stopped)"
    if row.get("naive_error"):
        return "error"
    return number(row.get("naive_ms"), 1)


def table(report):
    generation = report["generation"]
    counts = generation["counts"]
    lines = [
        f"### {report['engine_version']}, scale {report['scale']}",
        "",
        f"{counts['organisations']:,} organisations, {counts['people']:,} people, "
        f"{counts['meetings']:,} meetings, {counts['attendance']:,} attendance rows; "
        f"generated in {generation['seconds']:.1f} s; benchmark run "
        f"{report['duration_s']:.0f} s, {report['runs']} runs a case.",
        "",
        "| case | q | ms | cpu ms | floor ms | naive q | naive ms | ×naive | ×floor "
        "| missed |",
        "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --- |",
    ]
    for row in report["cases"]:
        if row.get("not_available"):
            lines.append(f"| {row['name']} | | | | | | | | | {row['note']} |")
            continue
        ms = row.get("ms")
        ms_cell = (
            f"> {ms:,.0f} (stopped)"
            if row.get("timed_out")
            else ("error" if row.get("error") else number(ms, 1))
        )
        lines.append(
            "| "
            + " | ".join(
                [
                    row["name"],
                    number(row.get("queries")),
                    ms_cell,
                    number(row.get("cpu_ms"), 1),
                    number(row.get("floor_ms"), 1),
                    number(row.get("naive_queries")),
                    naive_cell(row),
                    number(row.get("x_naive"), 1),
                    # Against a floor under a millisecond (a page whose queries
                    # are trivial) the ratio says nothing.
                    number(row.get("x_floor"), 1)
                    if (row.get("floor_ms") or 0) >= 1
                    else "—",
                    " ".join(row.get("missed", [])),
                ]
            )
            + " |"
        )
    memory = [row for row in report["cases"] if "memory" in row]
    if memory:
        lines += [
            "",
            "Exports and commands in a fresh process (peak resident set during "
            "the download or the command, and its growth over the warmed-up "
            "process):",
            "",
            "| case | ms | peak MB | growth MB | naive ms | naive peak MB | "
            "naive growth MB |",
            "| --- | --: | --: | --: | --: | --: | --: |",
        ]
        for row in memory:
            app, naive = row["memory"], row.get("naive_memory") or {}
            error = naive.get("error")
            # "django.db.utils.OperationalError: too many …" -> "fails: too many …"
            naive_ms = (
                f"fails: {error.split(': ', 1)[-1]}"
                if error
                else number(naive.get("ms"), 0)
            )
            lines.append(
                f"| {row['name']} | {number(app.get('ms'), 0)} | "
                f"{number(app.get('peak_mb'), 0)} | {number(app.get('growth_mb'), 0)} "
                f"| {naive_ms if naive else '—'} | "
                f"{number(naive.get('peak_mb'), 0)} | "
                f"{number(naive.get('growth_mb'), 0)} |"
            )
    return "\n".join(lines)


def main():
    for name in sys.argv[1:]:
        print(table(json.loads(Path(name).read_text())))
        print()


if __name__ == "__main__":
    main()
