"""The admin's import page on a meeting: upload, preview, choices, import;
access control, CSRF and bad files."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.imports.sheets import MAX_FILE_SIZE
from meetings.imports.views import IMPORT_SESSION_KEY
from meetings.models import Attendance
from meetings.services import demo_load
from stakeholders.models import Organisation, Person
from tests.factories import MeetingFactory
from tests.meetings.test_import import csv_data, record_counts
from tests.meetings.test_import_reading import DAMAGED_XLSX, long_csv_with

pytestmark = pytest.mark.django_db

SHEET = csv_data(
    [
        ["Узинфоком", "Иванов Иван", "ivan@uzinfocom.uz", "Engineer", "докладчик", ""],
        ["KfW", "Anna Schmidt", "anna@kfw.example", "", "", ""],
        ["Acme Health LLC", "Jane Doe", "jane@acme.example", "CEO", "", ""],
    ]
)


@pytest.fixture
def meeting():
    demo_load()
    return MeetingFactory(
        host=Organisation.objects.get(name="WHO Representative Office in Uzbekistan")
    )


@pytest.fixture
def editor(django_user_model, role):
    user = django_user_model.objects.create_user(username="editor")
    user.groups.add(role("editor"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user(username="staff", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


EDITING = [
    "view_meeting",
    "change_meeting",
    "add_attendance",
    "change_attendance",
    "add_person",
    "change_person",
    "add_position",
    "add_organisationname",
]


def import_url(meeting):
    return reverse("admin:meetings_meeting_import", args=[meeting.pk])


def upload(client, meeting, data=SHEET, name="sheet.csv"):
    return client.post(
        import_url(meeting), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


def preview(client, meeting, data=SHEET):
    """Upload ``data``; the preview page's response."""
    response = upload(client, meeting, data)
    assert response.status_code == 302, response.context["form"].errors
    return client.get(response.url)


def choices(response, **extra):
    """The preview form's data as shown, with ``extra`` on top."""
    form = response.context["form"]
    data = {
        name: ("on" if value is True else value)
        for name, value in ((name, form[name].value()) for name in form.fields)
        if value not in (None, False)
    }
    data["digest"] = response.context["plan"].digest
    return {**data, **extra}


def question_id(response, text):
    (question,) = [
        q for q in response.context["plan"].organisation_questions if q.text == text
    ]
    return question.id


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# Access.


def test_the_meeting_page_links_to_the_import_for_an_editor(editor_client, meeting):
    response = editor_client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    )

    assert import_url(meeting) in response.content.decode()
    assert "Import sign-in sheet" in response.content.decode()


def test_without_permission_to_add_attendance_there_is_no_link_and_no_page(
    client, django_user_model, meeting
):
    user = staff_with(django_user_model, *(c for c in EDITING if c != "add_attendance"))
    client.force_login(user)

    change_page = client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    )
    page = client.get(import_url(meeting))
    post = upload(client, meeting)

    assert change_page.status_code == 200
    assert import_url(meeting) not in change_page.content.decode()
    assert page.status_code == 403
    assert post.status_code == 403
    assert IMPORT_SESSION_KEY not in client.session


def test_a_viewer_is_sent_to_the_admin_login(client, viewer, meeting):
    client.force_login(viewer)

    response = client.get(import_url(meeting))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_upload_is_protected_against_csrf(editor, meeting):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    response = upload(client, meeting)

    assert response.status_code == 403
    assert IMPORT_SESSION_KEY not in client.session


def test_the_upload_with_its_csrf_token_is_read(editor, meeting):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    token = client.get(import_url(meeting)).context["csrf_token"]

    response = client.post(
        import_url(meeting),
        {
            "csrfmiddlewaretoken": str(token),
            "file": SimpleUploadedFile("sheet.csv", SHEET),
        },
    )

    assert response.status_code == 302


# Bad files.


def test_an_unreadable_file_is_refused_with_the_reason(editor_client, meeting):
    response = upload(editor_client, meeting, b"%PDF-1.7\n...", name="sheet.pdf")

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This is a PDF document, not a CSV or XLSX spreadsheet."
    ]
    assert IMPORT_SESSION_KEY not in editor_client.session


def test_a_file_over_5_mb_is_dropped_as_it_arrives(editor_client, meeting):
    data = b"Organisation\n" + b"WHO\n" * (MAX_FILE_SIZE // 4)

    response = upload(editor_client, meeting, data)

    form = response.context["form"]
    assert form.too_large
    assert "sheets of up to 5 MB are accepted" in form.errors["file"][0]
    assert IMPORT_SESSION_KEY not in editor_client.session


def test_a_nul_past_the_first_64_kb_is_refused_naming_the_row_and_column(
    editor_client, meeting
):
    """It was previewed; the import then failed with a server error on
    PostgreSQL and stored the NUL in a name on SQLite."""
    before = record_counts()

    response = upload(editor_client, meeting, long_csv_with("Anna\x00Schmidt"))

    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert error.startswith(
        "Row 3002, column “Name”: the cell holds a control character (U+0000)"
    )
    assert IMPORT_SESSION_KEY not in editor_client.session
    assert record_counts() == before


@pytest.mark.parametrize("name", DAMAGED_XLSX)
def test_a_damaged_workbook_is_refused_as_damaged(editor_client, meeting, name):
    response = upload(editor_client, meeting, DAMAGED_XLSX[name](), "sheet.xlsx")

    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert "damaged" in error or "not an XLSX" in error


# Preview and import.


def test_the_preview_shows_each_row_and_writes_nothing(editor_client, meeting):
    before = record_counts()

    response = preview(editor_client, meeting)

    content = response.content.decode()
    plan = response.context["plan"]
    assert [row.outcome for row in plan.rows] == ["add", "add", "choice"]
    assert "Acme Health LLC" in content
    assert "needs your choice" in content
    assert "Unified Integrator" in content
    assert record_counts() == before


def test_the_preview_page_costs_the_same_queries_for_many_rows(
    editor_client, meeting, django_assert_num_queries
):
    def url_for(rows):
        return upload(editor_client, meeting, csv_data(rows)).url

    few = url_for([["KfW", "Anna"], ["GIZ", "Lena"]])
    many = url_for([[org, f"P{n}"] for n, org in enumerate(["KfW", "GIZ"] * 40)])
    editor_client.get(few)  # warm the caches of names

    with CaptureQueriesContext(connection) as few_queries:
        editor_client.get(few)
    # Session, user, permissions, meeting, then the plan's look-ups:
    # organisations, their other names, types, the meeting's attendance, people
    # by email, the people at the organisations; whatever the number of rows.
    with django_assert_num_queries(len(few_queries)):
        editor_client.get(many)


def test_choosing_then_importing_writes_every_row_and_logs_it(
    editor_client, editor, meeting
):
    response = preview(editor_client, meeting)
    acme = question_id(response, "Acme Health LLC")

    applied = editor_client.post(
        response.request["PATH_INFO"],
        choices(response, **{f"org-{acme}": "new", f"org-{acme}-type": "ngo"}),
        follow=True,
    )
    assert applied.context["plan"].is_ready
    assert [r.outcome for r in applied.context["plan"].rows] == ["add"] * 3
    assert not Attendance.objects.filter(meeting=meeting).exists()

    done = editor_client.post(
        applied.request["PATH_INFO"], {**choices(applied), "_import": "1"}
    )

    assert done.status_code == 302
    assert done.url == reverse("admin:meetings_meeting_change", args=[meeting.pk])
    attendance = {
        (a.organisation.acronym or a.organisation.name, a.person.full_name, a.role)
        for a in meeting.attendances.select_related("organisation", "person")
    }
    assert attendance == {
        ("UZINFOCOM", "Иванов Иван", "presenter"),
        ("KfW", "Anna Schmidt", "participant"),
        ("Acme Health LLC", "Jane Doe", "participant"),
    }
    assert Organisation.objects.get(name="Acme Health LLC").type.slug == "ngo"
    entry = LogEntry.objects.get(object_id=str(meeting.pk))
    assert entry.user == editor
    assert entry.change_message.startswith("Imported 3 rows from sheet.csv")
    assert {a.history.get().history_user for a in meeting.attendances.all()} == {editor}
    assert editor_client.session[IMPORT_SESSION_KEY] == {}


def test_nothing_is_imported_while_a_name_awaits_a_choice(editor_client, meeting):
    response = preview(editor_client, meeting)
    before = record_counts()

    refused = editor_client.post(
        response.request["PATH_INFO"],
        {**choices(response), "_import": "1"},
        follow=True,
    )

    assert record_counts() == before
    assert any("Nothing was imported" in m for m in messages_of(refused))


def test_choices_changed_on_import_are_previewed_first(editor_client, meeting):
    response = preview(editor_client, meeting)
    acme = question_id(response, "Acme Health LLC")
    before = record_counts()

    refused = editor_client.post(
        response.request["PATH_INFO"],
        choices(response, **{f"org-{acme}": "new", "_import": "1"}),
        follow=True,
    )

    assert record_counts() == before
    assert any("check the preview" in m for m in messages_of(refused))
    assert refused.context["plan"].is_ready


def test_a_preview_that_went_stale_is_not_imported(editor_client, meeting):
    response = preview(
        editor_client, meeting, csv_data([["KfW", "Anna Schmidt", "anna@kfw.example"]])
    )
    # Another editor adds the same person meanwhile.
    Person.objects.create(full_name="Anna Schmidt", email="anna@kfw.example")

    refused = editor_client.post(
        response.request["PATH_INFO"],
        {**choices(response), "_import": "1"},
        follow=True,
    )

    assert not meeting.attendances.exists()
    assert any("changed since the preview" in m for m in messages_of(refused))


def test_without_permission_to_add_organisations_none_can_be_created(
    client, django_user_model, meeting
):
    client.force_login(staff_with(django_user_model, *EDITING))
    response = preview(client, meeting)
    acme = question_id(response, "Acme Health LLC")
    assert "new" not in dict(response.context["form"].fields[f"org-{acme}"].choices)

    forged = client.post(
        response.request["PATH_INFO"],
        {**choices(response), f"org-{acme}": "new", "_import": "1"},
    )

    assert forged.status_code == 200
    assert f"org-{acme}" in forged.context["form"].errors
    assert not Organisation.objects.filter(name="Acme Health LLC").exists()


def test_an_unknown_sheet_sends_the_editor_back_to_the_upload(editor_client, meeting):
    url = reverse(
        "admin:meetings_meeting_import_preview", args=[meeting.pk, "no-such-token"]
    )

    response = editor_client.get(url)

    assert response.status_code == 302
    assert response.url == import_url(meeting)


def test_a_sheet_waiting_for_one_meeting_cannot_be_imported_into_another(
    editor_client, meeting
):
    response = preview(editor_client, meeting)
    token = response.request["PATH_INFO"].rstrip("/").rsplit("/", 1)[1]
    other = MeetingFactory()

    moved = editor_client.get(
        reverse("admin:meetings_meeting_import_preview", args=[other.pk, token])
    )

    assert moved.status_code == 302
    assert moved.url == import_url(other)


def test_cancelling_forgets_the_sheet(editor_client, meeting):
    response = preview(editor_client, meeting)

    cancelled = editor_client.post(response.request["PATH_INFO"], {"_cancel": "1"})

    assert cancelled.status_code == 302
    assert editor_client.session[IMPORT_SESSION_KEY] == {}
    assert not meeting.attendances.exists()


def test_importing_plans_once_and_checks_the_plan_in_its_transaction(
    editor_client, meeting
):
    """The import request plans the preview and the import from one reading
    of the records, and reads them once more, in the import's transaction,
    to check that the plan still holds."""
    response = preview(editor_client, meeting)
    acme = question_id(response, "Acme Health LLC")
    applied = editor_client.post(
        response.request["PATH_INFO"],
        choices(response, **{f"org-{acme}": "new", f"org-{acme}-type": "ngo"}),
        follow=True,
    )

    with CaptureQueriesContext(connection) as queries:
        done = editor_client.post(
            applied.request["PATH_INFO"], {**choices(applied), "_import": "1"}
        )

    assert done.status_code == 302
    assert Attendance.objects.filter(meeting=meeting).count() == 3
    other_names = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and 'FROM "stakeholders_organisationname"' in q["sql"]
    ]
    assert len(other_names) == 2


# Choices that do no harm (issue 16).

TYPO_SHEET = csv_data(
    [
        ["Ministry of Helth", "Dilnoza Karimova", "", "", "", ""],
        ["Узинфоком", "Иванов Иван", "ivan@uzinfocom.uz", "", "", ""],
        ["Ministry of Finance", "Bobur Aliyev", "", "", "", ""],
    ]
)
HEALTH = "Ministry of Health of the Republic of Uzbekistan"


def test_a_typo_is_suggested_not_matched_and_not_remembered(editor_client, meeting):
    health = Organisation.objects.get(name=HEALTH)
    response = preview(editor_client, meeting, TYPO_SHEET)
    plan = response.context["plan"]
    questions = {q.text: q for q in plan.organisation_questions}

    # Suggested, for the editor to choose: not taken on their behalf.
    typo = questions["Ministry of Helth"]
    assert [o.id for o in typo.suggestions][:1] == [health.pk]
    assert plan.rows[0].outcome == "choice"
    # Written in Cyrillic, UZINFOCOM is still matched as before.
    assert "Узинфоком" not in questions
    assert (
        plan.rows[1].organisation[1] == Organisation.objects.get(acronym="UZINFOCOM").pk
    )
    # Another word is not a typo: no ministry is suggested for it.
    assert health.pk not in [o.id for o in questions["Ministry of Finance"].suggestions]

    # Remembering the spelling is unticked until the editor ticks it.
    remember = response.context["form"][f"org-{typo.id}-remember"]
    assert remember.value() is False
    finance = questions["Ministry of Finance"].id
    applied = editor_client.post(
        response.request["PATH_INFO"],
        choices(
            response,
            **{
                f"org-{typo.id}": f"use:{health.pk}",
                f"org-{finance}": "new",
                f"org-{finance}-type": "ministry",
            },
        ),
        follow=True,
    )
    done = editor_client.post(
        applied.request["PATH_INFO"], {**choices(applied), "_import": "1"}
    )

    assert done.status_code == 302
    assert meeting.attendances.filter(organisation=health).exists()
    assert not health.other_names.filter(name__iexact="Ministry of Helth").exists()


def test_a_person_added_by_an_import_is_there_since_the_meeting_day(
    editor_client, meeting
):
    # Midnight of 29 January in Tashkent, 19:00 UTC the day before.
    meeting.starts_at = datetime.datetime(2025, 1, 28, 19, tzinfo=datetime.UTC)
    meeting.ends_at = None
    meeting.date_only = True
    meeting.save()
    response = preview(
        editor_client,
        meeting,
        csv_data([["KfW", "Anna Schmidt", "anna@kfw.example", "Adviser", "", ""]]),
    )

    done = editor_client.post(
        response.request["PATH_INFO"], {**choices(response), "_import": "1"}
    )

    assert done.status_code == 302
    position = Person.objects.get(full_name="Anna Schmidt").positions.get()
    assert position.since == datetime.date(2025, 1, 29)


def test_an_import_is_labelled_with_its_file(editor_client, meeting):
    response = preview(editor_client, meeting)
    acme = question_id(response, "Acme Health LLC")
    applied = editor_client.post(
        response.request["PATH_INFO"],
        choices(response, **{f"org-{acme}": "new", f"org-{acme}-type": "ngo"}),
        follow=True,
    )
    done = editor_client.post(
        applied.request["PATH_INFO"], {**choices(applied), "_import": "1"}
    )
    assert done.status_code == 302

    url = reverse("admin:meetings_meeting_history", args=[meeting.pk])
    page = editor_client.get(url).context["page_obj"]
    rows = [e for e in page if not e.own]

    assert {(e.kind, e.subject) for e in rows} == {
        (
            "Attendance",
            "Иванов Иван, Unified Integrator for the Development and Support "
            "of State Information Systems (UZINFOCOM)",
        ),
        ("Attendance", "Anna Schmidt, KfW Bank (KfW)"),
        ("Attendance", "Jane Doe, Acme Health LLC"),
    }
    assert {(e.reason, e.user) for e in rows} == {
        ("Imported from sign-in sheet sheet.csv", "editor")
    }
