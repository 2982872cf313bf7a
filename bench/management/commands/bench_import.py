import re
import sqlite3
import threading
import time

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import stats
from meetings.imports import plan_import, read_sheet
from meetings.models import Attendance, Meeting
from meetings.services import attendance_import
from stakeholders.models import (
    Organisation,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)

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


def bench_organisations(count):
    kind = OrganisationType.objects.get(slug="other")
    created = Organisation.objects.bulk_create(
        Organisation(name=f"Bench organisation {n}", acronym=f"BO{n}", type=kind)
        for n in range(count)
    )
    OrganisationName.objects.bulk_create(
        OrganisationName(organisation=o, name=f"Бенч организация {n}")
        for n, o in enumerate(created)
    )
    return [(o, f"Бенч организация {n}") for n, o in enumerate(created)]


class SQLiteLockMonitor(threading.Thread):
    """Tries to take the write lock of the SQLite database at ``path``
    (``BEGIN IMMEDIATE`` with no busy timeout, given back at once) every few
    milliseconds, on a connection of its own, until ``stop()``: the longest
    run of refusals (``longest``, seconds) is the longest time a transaction
    held the lock."""

    def __init__(self, path, *, every=0.005):
        super().__init__(daemon=True)
        self.path = path
        self.every = every
        self.holds = []
        self.stopping = threading.Event()

    @property
    def longest(self):
        return max(self.holds, default=0.0)

    def stop(self):
        self.stopping.set()
        self.join()

    def run(self):
        raw = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        busy_since = None
        try:
            while not self.stopping.is_set():
                now = time.perf_counter()
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    raw.execute("ROLLBACK")
                except sqlite3.OperationalError:
                    busy_since = busy_since or now
                else:
                    if busy_since is not None:
                        self.holds.append(now - busy_since)
                        busy_since = None
                time.sleep(self.every)
            if busy_since is not None:
                self.holds.append(time.perf_counter() - busy_since)
        finally:
            raw.close()


class WriteWatch:
    """How long others wait to write while something runs (an import).

    Two threads, each with its own connection:

    - a save probe saves an organisation of its own every ``interval``, as an
      editor's change form does (read it locked, bump its version, save with
      its history row), and records how long each save took and which failed;
    - on SQLite, a ``SQLiteLockMonitor``: the longest time one transaction
      held the write lock. PostgreSQL has no such lock.

    The probe's organisation and its history are deleted on leaving."""

    def __init__(self, *, interval=0.05):
        self.interval = interval
        self.stop = threading.Event()
        self.saves = []
        self.failures = []
        self.monitor = None

    def __enter__(self):
        kind = OrganisationType.objects.get(slug="other")
        self.organisation = Organisation.objects.create(
            name=f"Write watch {time.time_ns()}", type=kind
        )
        self.saver = threading.Thread(target=self._save_loop, daemon=True)
        self.saver.start()
        if connection.vendor == "sqlite":
            self.monitor = SQLiteLockMonitor(connection.settings_dict["NAME"])
            self.monitor.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.saver.join()
        if self.monitor is not None:
            self.monitor.stop()
        pk = self.organisation.pk
        Organisation.history.filter(id=pk).delete()
        Organisation.objects.filter(pk=pk).delete()
        Organisation.history.filter(id=pk).delete()

    def _save_loop(self):
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        organisation = Organisation.objects.select_for_update().get(
                            pk=self.organisation.pk
                        )
                        organisation.notes = f"Save {n}"
                        organisation.version += 1
                        organisation.save()
                    self.saves.append(time.perf_counter() - started)
                except OperationalError as error:
                    waited = time.perf_counter() - started
                    self.failures.append(f"after {waited:.1f} s: {error}")
                self.stop.wait(self.interval)
        finally:
            connection.close()

    def figures(self):
        """Seconds: the longest write lock held (SQLite), the longest save,
        and how many saves went through and failed."""
        return {
            "lock_max_s": round(self.monitor.longest, 3) if self.monitor else None,
            "save_max_s": round(max(self.saves), 3) if self.saves else None,
            "saves": len(self.saves),
            "failed_saves": len(self.failures),
            "failures": self.failures[:5],
        }


def admin_import_watched(data, *, user, filename="sheet.csv"):
    """Import ``data`` into a new meeting through the admin's pages as an
    editor does (upload, preview, import), under a ``WriteWatch``; then delete
    what it wrote. Returns the watch's figures with the seconds of each step
    and the attendance rows written."""
    meeting = Meeting.objects.create(
        title="Import under watch", starts_at=timezone.now()
    )
    client = Client()
    client.force_login(user)
    url = reverse("admin:meetings_meeting_import", args=[meeting.pk])
    steps = {}
    added = 0
    try:
        with (
            override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False),
            WriteWatch() as watch,
        ):
            started = time.perf_counter()
            uploaded = client.post(
                url, {"file": SimpleUploadedFile(filename, data, "text/csv")}
            )
            steps["upload_s"] = time.perf_counter() - started
            if uploaded.status_code != 302:
                raise CommandError(f"Upload answered {uploaded.status_code}.")
            preview_url = uploaded["Location"]
            started = time.perf_counter()
            preview = client.get(preview_url)
            steps["preview_s"] = time.perf_counter() - started
            digest = re.search(rb'name="digest" value="(\w+)"', preview.content)
            started = time.perf_counter()
            done = client.post(
                preview_url, {"digest": digest[1].decode(), "_import": "1"}
            )
            steps["import_s"] = time.perf_counter() - started
            if done.status_code != 302:
                raise CommandError(f"Import answered {done.status_code}.")
        added = meeting.attendances.count()
    finally:
        _forget_import(meeting)
    return {
        **{key: round(value, 3) for key, value in steps.items()},
        **watch.figures(),
        "added": added,
    }


def _forget_import(meeting):
    """Delete ``meeting``, the people, positions and organisations its import
    created, and all their history and log entries."""
    with transaction.atomic():
        created = {
            model: list(
                model.history.filter(
                    history_type="+", history_change_reason__startswith="Imported"
                )
                .filter(history_date__gte=meeting.created_at)
                .values_list("id", flat=True)
            )
            for model in (Person, Position, Organisation, OrganisationName)
        }
        attendance = list(meeting.attendances.values_list("pk", flat=True))
        pk = meeting.pk
        # Whoever attended has a meeting less (those the import created go).
        touched = stats.Touched().attended([meeting])
        meeting.delete()
        Attendance.history.filter(id__in=attendance).delete()
        Meeting.history.filter(id=pk).delete()
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Meeting), object_id=str(pk)
        ).delete()
        for model in (Position, OrganisationName, Person, Organisation):
            for chunk in range(0, len(created[model]), 500):
                ids = created[model][chunk : chunk + 500]
                model.objects.filter(pk__in=ids).delete()
                model.history.filter(id__in=ids).delete()
        touched.refresh()


class Command(BaseCommand):
    help = (
        "Time the import of a generated sign-in sheet (default 10,000 rows) into a "
        "new meeting, then its re-import, on the configured database (rolled "
        "back); then import it through the admin's pages while another "
        "connection saves, and report how long the write lock was held and the "
        "longest save (deleted afterwards)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--organisations", type=int, default=200)
        parser.add_argument(
            "--no-watch",
            action="store_true",
            help="Skip the import through the admin with saves alongside.",
        )

    def handle(self, *args, rows, organisations, no_watch, **options):
        with transaction.atomic():
            try:
                self.bench(rows, organisations)
            finally:
                transaction.set_rollback(True)
        self.stdout.write("Rolled back: the database is as it was.")
        if not no_watch:
            self.watch(rows, organisations)

    def bench(self, rows, count):
        organisations = bench_organisations(count)
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
        plan, _seconds = step("preview (plan)", lambda: plan_import(meeting, sheet))
        # What the import runs again inside its write transaction.
        step("check the plan", plan.index.is_current)
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

    def watch(self, rows, count):
        """The import through the admin with an editor saving alongside."""
        user = get_user_model().objects.create_superuser(
            username=f"bench-import-{time.time_ns()}"
        )
        organisations = bench_organisations(count)
        try:
            figures = admin_import_watched(bench_sheet(rows, organisations), user=user)
        finally:
            ids = [o.pk for o, _name in organisations]
            for model, field in (
                (OrganisationName, "organisation_id__in"),
                (Organisation, "pk__in"),
            ):
                model.objects.filter(**{field: ids}).delete()
                # The rows deleting them wrote.
                model.history.filter(**{field.replace("pk", "id"): ids}).delete()
            user.delete()
        lock = figures["lock_max_s"]
        self.stdout.write(
            f"Through the admin, another connection saving every 50 ms: upload "
            f"{figures['upload_s']:.2f} s, preview {figures['preview_s']:.2f} s, "
            f"import {figures['import_s']:.2f} s ({figures['added']:,} rows); "
            "write lock held at most "
            + (f"{lock:.2f} s" if lock is not None else "— (no such lock)")
            + f"; longest save {figures['save_max_s']:.2f} s; "
            f"{figures['saves']} saves, {figures['failed_saves']} failed."
        )
        for failure in figures["failures"]:
            self.stderr.write(f"Failed save: {failure}")
