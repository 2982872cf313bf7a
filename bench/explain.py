"""The query plan of the heaviest query of benchmark cases, from a results file.

    python bench/explain.py bench/results/sqlite-XL.json "admin meeting" …

Runs on the database the results came from (bench/data/bench-<scale>.sqlite3,
or DATABASE_URL): EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on
PostgreSQL. A name matches every case that contains it; "=name" only the case of
that name.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    results = json.loads(Path(sys.argv[1]).read_text())
    wanted = sys.argv[2:]
    sys.path.insert(0, str(ROOT))
    os.environ["BENCH_SCALE"] = results["scale"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.db import connection

    prefix = (
        "EXPLAIN QUERY PLAN "
        if connection.vendor == "sqlite"
        else "EXPLAIN (ANALYZE, BUFFERS) "
    )
    for case in results["cases"]:
        if wanted and not any(
            name[1:] == case["name"] if name.startswith("=") else name in case["name"]
            for name in wanted
        ):
            continue
        if not case.get("floor_sql"):
            continue
        print(f"== {case['name']} (floor {case.get('floor_ms')} ms)")
        print(case["floor_sql"])
        print(f"-- parameters: {case.get('floor_params')}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + case["floor_sql"], case.get("floor_params"))
            for row in cursor.fetchall():
                print("   ", " | ".join(str(value) for value in row))
        print()


if __name__ == "__main__":
    main()
