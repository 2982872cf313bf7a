"""A meeting's attendance from the rows of a sign-in sheet, through the API:
the import's preview, then all rows or none."""

import pytest
from django.urls import reverse

from accounts.roles import EDITOR, VIEWER
from meetings.models import Attendance
from stakeholders.models import OrganisationType
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    ministry = OrganisationType.objects.get(slug="ministry")
    uzinfocom = factories.OrganisationFactory(name="UZINFOCOM", type=ministry)
    factories.OrganisationNameFactory(organisation=uzinfocom, name="Узинфоком")
    factories.OrganisationFactory(name="Ministry of Health", type=ministry)
    return factories.MeetingFactory()


def url(meeting):
    return reverse("api:meeting-attendance-sheet", kwargs={"pk": meeting.pk})


ROWS = [
    {"organisation": "Узинфоком", "name": "Aziz Karimov", "role": "participant"},
    {"organisation": "Ministry of Health", "name": "Dilnoza Rahimova"},
]


def test_a_preview_writes_nothing_and_its_digest_imports_every_row(client_of, meeting):
    editor = client_of(EDITOR)

    preview = editor.post(url(meeting), {"rows": ROWS}, format="json")
    assert Attendance.objects.count() == 0
    imported = editor.post(
        url(meeting),
        {"rows": ROWS, "commit": True, "digest": preview.json()["digest"]},
        format="json",
    )

    assert preview.status_code == 200, preview.json()
    assert preview.json()["ready"] is True
    assert [row["outcome"] for row in preview.json()["rows"]] == ["add", "add"]
    assert imported.status_code == 201, imported.json()
    rows = Attendance.objects.filter(meeting=meeting).select_related("organisation")
    assert sorted(row.organisation.name for row in rows) == [
        "Ministry of Health",
        "UZINFOCOM",
    ]
    assert {row.history.get().history_user for row in rows} == {editor.user}


def test_a_row_with_an_error_refuses_them_all_naming_row_and_column(client_of, meeting):
    editor = client_of(EDITOR)
    rows = [*ROWS, {"organisation": "UZINFOCOM", "name": "X", "email": "not-an-email"}]
    preview = editor.post(url(meeting), {"rows": rows}, format="json").json()

    refused = editor.post(
        url(meeting),
        {"rows": rows, "commit": True, "digest": preview["digest"]},
        format="json",
    )

    assert preview["ready"] is False
    assert refused.status_code == 400
    errors = [e for row in refused.json()["rows"] for e in row["errors"]]
    assert len(errors) == 1
    assert "Row 3" in errors[0]
    assert "email" in errors[0]
    assert Attendance.objects.count() == 0


def test_records_changed_since_the_preview_refuse_the_import(client_of, meeting):
    editor = client_of(EDITOR)
    preview = editor.post(url(meeting), {"rows": ROWS}, format="json").json()
    factories.AttendanceFactory(
        meeting=meeting, organisation=factories.OrganisationFactory(name="UZINFOCOM 2")
    )
    rows = [{**ROWS[0], "role": "speaker"}, ROWS[1]]

    stale = editor.post(
        url(meeting),
        {"rows": rows, "commit": True, "digest": preview["digest"]},
        format="json",
    )

    assert stale.status_code == 412
    assert Attendance.objects.count() == 1


def test_bad_requests_name_the_field_and_viewers_are_refused(client_of, meeting):
    editor, viewer = client_of(EDITOR), client_of(VIEWER)

    no_rows = editor.post(url(meeting), {"rows": []}, format="json")
    no_digest = editor.post(url(meeting), {"rows": ROWS, "commit": True}, format="json")
    too_long = editor.post(
        url(meeting), {"rows": [{"organisation": "x" * 300}]}, format="json"
    )
    by_viewer = viewer.post(url(meeting), {"rows": ROWS}, format="json")
    read = editor.get(url(meeting))

    assert no_rows.status_code == 400
    assert list(no_rows.json()) == ["rows"]
    assert no_digest.status_code == 400
    assert list(no_digest.json()) == ["digest"]
    assert too_long.status_code == 400
    assert list(too_long.json()["rows"]["1"]) == ["organisation"]
    assert by_viewer.status_code == 403
    assert read.status_code == 405
    assert Attendance.objects.count() == 0
