"""Editors save in the admin while a 10,000-row sheet is imported: no save
fails, none is lost, and none waits long.

The app runs as in production, under gunicorn on 127.0.0.1, against a
database of its own: a SQLite file (an in-memory database has no write lock
to wait for) or, when the suite runs on PostgreSQL, a database created beside
the test database. Four editors save their own organisation, person and
topic through the admin's change forms, over and over, while a fifth uploads
the sheet, opens its preview and imports it. Then every save must have been
answered with a redirect (no 5xx, no refusal), every record's version and
history must count every save, and the import must have written every row.
The longest save is printed with the longest time the import held SQLite's
write lock (``pytest -s`` shows them; no time is asserted).

Bounded: about a minute per engine, most of it migrating the new database.
Deselect with ``-m "not concurrency"``."""

import html
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from bench.management.commands.bench_import import SQLiteLockMonitor
from tests.meetings.test_import_bulk import word

pytestmark = pytest.mark.concurrency

BASE_DIR = Path(__file__).resolve().parent.parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
ROWS = 10_000
ORGANISATIONS = 40
PEOPLE_EACH = 50
# Rows naming someone on record with a letter missing: questions, decided in
# bulk. The other rows are new people.
RESEMBLING = 1500
KNOWN = [f"{word('known', n)} Staffer" for n in range(ORGANISATIONS * PEOPLE_EACH)]
EDITORS = 4
# Each editor saves at least this often, whenever the import ends.
SAVES_EACH = 3

# Run by ``manage.py shell`` against the server's database, after the
# constants they need (``constants()``).
SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from meetings.models import Meeting, Topic
from stakeholders.models import Organisation, OrganisationType, Person, Position

other = OrganisationType.objects.get(slug="other")
organisations = Organisation.objects.bulk_create(
    Organisation(name=f"Sheet agency {n}", acronym=f"SA{n}", type=other)
    for n in range(ORGANISATIONS)
)
people = Person.objects.bulk_create(
    Person(full_name=name, email=f"known{n}@example.org")
    for n, name in enumerate(KNOWN)
)
Position.objects.bulk_create(
    Position(person=p, organisation=organisations[n % ORGANISATIONS])
    for n, p in enumerate(people)
)
meeting = Meeting.objects.create(title="Big meeting", starts_at=timezone.now())
editors = Group.objects.get(name="editor")
users = []
for n in range(EDITORS + 1):
    user = get_user_model().objects.create_user(
        username=f"editor{n}", first_name=f"Editor {n}"
    )
    user.groups.add(editors)
    client = Client()
    client.force_login(user)
    records = {}
    if n:
        records = {
            "stakeholders/organisation": Organisation.objects.create(
                name=f"Saved by editor {n}", type=other
            ).pk,
            "stakeholders/person": Person.objects.create(
                full_name=f"Edited Person {n}"
            ).pk,
            "meetings/topic": Topic.objects.create(name=f"Topic of editor {n}").pk,
        }
    users.append({"session": client.cookies["sessionid"].value, "records": records})
print(json.dumps({
    "meeting": meeting.pk,
    "organisations": [o.name for o in organisations],
    "users": users,
}))
"""

CHECK = """
import json
from django.apps import apps
from meetings.models import Attendance
from stakeholders.models import Person

records = {}
for user in STATE["users"]:
    for label, pk in user["records"].items():
        model = apps.get_model(*label.split("/"))
        record = model.objects.get(pk=pk)
        records[f"{label}/{pk}"] = {
            "version": record.version,
            "history": model.history.filter(id=pk).count(),
            "text": record.description if label == "meetings/topic" else record.notes,
        }
print(json.dumps({
    "attendance": Attendance.objects.filter(meeting_id=STATE["meeting"]).count(),
    "people": Person.objects.count(),
    "records": records,
}))
"""


def constants(**values):
    return "".join(f"{name} = {value!r}\n" for name, value in values.items())


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, code=None):
    command = [sys.executable, str(BASE_DIR / "manage.py"), *args]
    if code is not None:
        command += ["shell", "--no-startup", "--command", code]
    done = subprocess.run(
        command, env=env, cwd=BASE_DIR, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class Database:
    """A database of the suite's engine for the server, dropped afterwards."""

    def __init__(self, tmp):
        database = settings.DATABASES["default"]
        self.vendor = "postgresql" if "postgresql" in database["ENGINE"] else "sqlite"
        if self.vendor == "sqlite":
            self.path = str(tmp / "db.sqlite3")
            self.url = f"sqlite:///{self.path}"
            return
        import psycopg

        self.name = f"hamkor_concurrency_{os.getpid()}_{secrets.token_hex(3)}"
        self.params = {
            "host": database.get("HOST") or "127.0.0.1",
            "port": database.get("PORT") or 5432,
            "user": database.get("USER") or "postgres",
            "password": database.get("PASSWORD") or None,
            "dbname": "postgres",
            "autocommit": True,
        }
        with psycopg.connect(**self.params) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        credentials = urllib.parse.quote(self.params["user"])
        if self.params["password"]:
            credentials += ":" + urllib.parse.quote(self.params["password"])
        self.url = (
            f"postgres://{credentials}@{self.params['host']}:{self.params['port']}"
            f"/{self.name}"
        )

    def drop(self):
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(**self.params) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app under gunicorn on its own database, set up for the import."""
    tmp = tmp_path_factory.mktemp("concurrency")
    database = Database(tmp)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database.url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = None
    try:
        manage(env, "migrate", "--no-input")
        state = json.loads(
            manage(
                env,
                code=constants(
                    ORGANISATIONS=ORGANISATIONS, EDITORS=EDITORS, KNOWN=KNOWN
                )
                + SETUP,
            )
            .strip()
            .splitlines()[-1]
        )
        port = free_port()
        server = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                # The import's request takes longer than gunicorn's default
                # 30 s on a busy machine.
                "--timeout",
                "300",
            ],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start: {server.communicate()[1][-2000:]}")
        yield {
            "port": port,
            "state": state,
            "database": database,
            "check": lambda: json.loads(
                manage(env, code=constants(STATE=state) + CHECK)
                .strip()
                .splitlines()[-1]
            ),
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        database.drop()


class Form(HTMLParser):
    """The fields a browser would post from the form whose tag has ``marker``
    in it (in its id, or as an attribute: ``novalidate``)."""

    def __init__(self, page, marker):
        super().__init__()
        self.marker = marker
        self.fields = []
        self.inside = False
        self.select = None
        self.textarea = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = any(
                self.marker == name or self.marker in (value or "")
                for name, value in attrs.items()
            )
            return
        if not self.inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.fields.append((attrs["name"], attrs.get("value", default)))
        elif tag == "select":
            self.select = {"name": attrs["name"], "first": None, "chosen": False}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attrs:
                self.fields.append((self.select["name"], value))
                self.select["chosen"] = True
        elif tag == "textarea":
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            if not self.select["chosen"] and self.select["first"] is not None:
                self.fields.append((self.select["name"], self.select["first"]))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], html.unescape(self.textarea[1])))
            self.textarea = None

    def data(self, **changes):
        fields = [(name, value) for name, value in self.fields if name not in changes]
        return [*fields, *changes.items()]


class Browser:
    """An editor's browser: one session, its cookies, its answers."""

    def __init__(self, port, session, statuses):
        self.port = port
        self.cookies = {"sessionid": session}
        self.statuses = statuses

    def request(self, method, path, body=None, content_type=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Host": "127.0.0.1",
        }
        if content_type:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode()
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        self.statuses.append(response.status)
        return response.status, response.getheader("Location"), content

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields):
        body = urllib.parse.urlencode(fields)
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def upload(self, path, fields, filename, data):
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST", path, body, f"multipart/form-data; boundary={boundary}"
        )


def sheet(organisations):
    """10,000 rows at the organisations on record, written by name and by
    acronym: 1,500 people on record, each with a letter of their name
    missing, then new people."""
    lines = ["Organisation,Name,Email,Role"]
    for n in range(ROWS):
        where = n % ORGANISATIONS
        written = organisations[where] if n % 2 else f"SA{where}"
        if n < RESEMBLING:
            # KNOWN[n] holds a position at organisation n % ORGANISATIONS.
            first, last = KNOWN[n].split()
            lines.append(f"{written},{first[:-1]} {last},,")
        else:
            lines.append(f"{written},Attendee{n} Visitor{n},attendee{n}@example.org,")
    return "\n".join(lines).encode()


def import_sheet(browser, state, timings):
    meeting = state["meeting"]
    url = f"/admin/meetings/meeting/{meeting}/import/"
    _status, _location, page = browser.get(url)
    token = Form(page, "multipart").data()
    started = time.perf_counter()
    status, preview, _page = browser.upload(
        url, token, "sheet.csv", sheet(state["organisations"])
    )
    assert status == 302, status
    timings["upload"] = time.perf_counter() - started
    started = time.perf_counter()
    status, _location, page = browser.get(preview)
    timings["preview"] = time.perf_counter() - started
    assert status == 200
    # Each resembling person is the one on record.
    status, location, _page = browser.post(
        preview, Form(page, "novalidate").data(**{"bulk-person": "90"})
    )
    assert status == 302
    status, _location, page = browser.get(location)
    form = Form(page, "novalidate")
    assert 'name="_import" value="Import" class="default">' in page
    started = time.perf_counter()
    status, done, _page = browser.post(preview, form.data(_import="Import"))
    timings["import"] = time.perf_counter() - started
    assert status == 302
    assert done.endswith(f"/admin/meetings/meeting/{meeting}/change/"), done


ERRORS = r'class="errorlist[^"]*"[^>]*>(.*?)</ul>'


def save_repeatedly(browser, records, importing, waits, saved):
    """Save each record's change form again and again, with a new note,
    until the import is over and each was saved ``SAVES_EACH`` times;
    ``saved`` counts the saves of each record and keeps its last note."""
    n = 0
    while importing.is_set() or n < SAVES_EACH * len(records):
        for label, pk in records.items():
            n += 1
            url = f"/admin/{label}/{pk}/change/"
            _status, _location, page = browser.get(url)
            field = "description" if label == "meetings/topic" else "notes"
            marker = label.split("/")[1] + "_form"
            data = Form(page, marker).data(**{field: f"Save {n}", "_save": "Save"})
            started = time.perf_counter()
            status, location, page = browser.post(url, data)
            waits.append(time.perf_counter() - started)
            assert status == 302, (label, status, re.findall(ERRORS, page))
            assert "/change/" not in (location or ""), location
            count, _text = saved.get(f"{label}/{pk}", (0, ""))
            saved[f"{label}/{pk}"] = (count + 1, f"Save {n}")


def test_editors_save_while_a_big_sheet_is_imported(app):
    state = app["state"]
    statuses, waits, timings, errors = [], [], {}, []
    importing = threading.Event()
    importing.set()
    monitor = None
    if app["database"].vendor == "sqlite":
        monitor = SQLiteLockMonitor(app["database"].path)
        monitor.start()

    def run(work, *args):
        try:
            work(*args)
        except Exception as error:
            errors.append(f"{work.__name__}: {error!r}")

    importer = Browser(app["port"], state["users"][0]["session"], statuses)
    saved = [{} for _ in range(EDITORS)]
    editors = [
        threading.Thread(
            target=run,
            args=[
                save_repeatedly,
                Browser(app["port"], user["session"], statuses),
                user["records"],
                importing,
                waits,
                saved[n],
            ],
        )
        for n, user in enumerate(state["users"][1:])
    ]
    for thread in editors:
        thread.start()
    started = time.perf_counter()
    try:
        run(import_sheet, importer, state, timings)
    finally:
        importing.clear()
    for thread in editors:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    if monitor is not None:
        monitor.stop()
    after = app["check"]()

    lock = f"{monitor.longest:.2f} s" if monitor else "— (PostgreSQL)"
    print(
        f"\n{app['database'].vendor}: {ROWS:,} rows imported in {elapsed:.1f} s "
        f"(upload {timings.get('upload', 0):.1f} s, preview "
        f"{timings.get('preview', 0):.1f} s, import {timings.get('import', 0):.1f} "
        f"s) while {EDITORS} editors saved {len(waits)} times: longest save "
        f"{max(waits, default=0):.2f} s, median "
        f"{sorted(waits)[len(waits) // 2] if waits else 0:.2f} s; write lock "
        f"held at most {lock}."
    )
    assert errors == []
    assert [s for s in statuses if s >= 500] == []
    assert after["attendance"] == ROWS
    assert after["people"] == len(KNOWN) + EDITORS + ROWS - RESEMBLING
    assert sum(len(counts) for counts in saved) == 3 * EDITORS
    for counts in saved:
        for key, (count, text) in counts.items():
            record = after["records"][key]
            # Created once, then saved ``count`` times: none lost.
            assert (record["version"], record["history"]) == (1 + count, 1 + count)
            assert record["text"] == text, key
