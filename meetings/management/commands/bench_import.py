import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.imports import MatchIndex, build_plan, read_sheet
from meetings.models import Meeting
from meetings.services import attendance_import
from stakeholders.models import Organisation, OrganisationName, OrganisationType

ROLES = ["participant", "Участник", "presenter", "", "observer"]
STATUSES = ["attended", "", "Присутствовал", "confirmed"]


def bench_sheet(rows, organisations):
    """A CSV sign-in sheet of ``rows`` people from ``organisations``, each
    organisation written in turn by its name, its acronym in lower case and its
    Cyrillic other name."""
    lines = ["Организация;ФИО;Email;Должность;Роль;Статус"]
    for n in range(rows):
        organisation, cyrillic = organisations[n % len(organisations)]
        written = [organisation.name, organisation.acronym.lower(), cyrillic][n % 3]
        lines.append(
            f"{written};Участник Номер {n};person{n}@bench.example;Specialist;"
            f"{ROLES[n % len(ROLES)]};{STATUSES[n % len(STATUSES)]}"
        )
    return "\n".join(lines).encode()


class Command(BaseCommand):
    help = (
        "Time the import of a generated sign-in sheet (default 10,000 rows) into a "
        "new meeting, then its re-import, on the configured database. Everything "
        "is rolled back at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--organisations", type=int, default=200)

    def handle(self, *args, rows, organisations, **options):
        with transaction.atomic():
            try:
                self.bench(rows, organisations)
            finally:
                transaction.set_rollback(True)
        self.stdout.write("Rolled back: the database is as it was.")

    def bench(self, rows, count):
        kind = OrganisationType.objects.get(slug="other")
        created = Organisation.objects.bulk_create(
            Organisation(name=f"Bench organisation {n}", acronym=f"BO{n}", type=kind)
            for n in range(count)
        )
        OrganisationName.objects.bulk_create(
            OrganisationName(organisation=o, name=f"Бенч организация {n}")
            for n, o in enumerate(created)
        )
        organisations = [(o, f"Бенч организация {n}") for n, o in enumerate(created)]
        meeting = Meeting.objects.create(title="Benchmark", starts_at=timezone.now())
        data = bench_sheet(rows, organisations)

        self.stdout.write(
            f"{connection.vendor}: {rows:,} rows, {count} organisations, "
            f"{len(data) / 1024 / 1024:.1f} MB CSV"
        )
        # CPU seconds too: on a shared machine the wall time includes waiting
        # for other programs.
        self.stdout.write(f"{'step':<28}{'seconds':>10}{'cpu':>10}{'queries':>10}")

        def step(label, work):
            with CaptureQueriesContext(connection) as queries:
                started, cpu = time.perf_counter(), time.process_time()
                result = work()
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
            self.stdout.write(
                f"{label:<28}{elapsed:>10.2f}{cpu:>10.2f}{len(queries):>10}"
            )
            return result, elapsed

        sheet, read = step("read the sheet", lambda: read_sheet(data, "bench.csv"))
        step(
            "preview (plan)",
            lambda: build_plan(sheet, MatchIndex.load(meeting, sheet)),
        )
        _plan, first = step(
            "import (all new people)",
            lambda: attendance_import(meeting=meeting, sheet=sheet),
        )
        _plan, again = step(
            "import again (no change)",
            lambda: attendance_import(meeting=meeting, sheet=sheet),
        )
        self.stdout.write(
            f"Read + import of {rows:,} rows: {read + first:.2f} s "
            f"(re-import {read + again:.2f} s)."
        )
