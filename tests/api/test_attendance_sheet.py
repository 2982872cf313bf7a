"""A meeting's attendance from the rows of a sign-in sheet, through the API:
the import's preview, then all rows or none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import EDITOR, VIEWER
from meetings.models import Attendance
from stakeholders.models import Organisation, OrganisationType
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


def preview_and_import(editor, meeting, data):
    """The preview of ``data`` (rows and answers), then its commit with the
    preview's digest: (the preview's JSON, the commit's response)."""
    preview = editor.post(url(meeting), data, format="json").json()
    imported = editor.post(
        url(meeting),
        {**data, "commit": True, "digest": preview["digest"]},
        format="json",
    )
    return preview, imported


@pytest.fixture
def shared_acronym(meeting):
    """ "MoH" stands for two organisations: the sheet's name is a question."""
    ministry = OrganisationType.objects.get(slug="ministry")
    health = Organisation.objects.get(name="Ministry of Health")
    factories.OrganisationNameFactory(organisation=health, name="MoH")
    mining = factories.OrganisationFactory(name="Ministry of Mining", type=ministry)
    factories.OrganisationNameFactory(organisation=mining, name="MoH")
    return health, mining


def test_a_name_of_several_organisations_is_answered_with_one_of_them(
    client_of, meeting, shared_acronym
):
    health, mining = shared_acronym
    editor = client_of(EDITOR)
    rows = [{"organisation": "MoH", "name": "Dilnoza Rahimova"}]
    asked = editor.post(url(meeting), {"rows": rows}, format="json").json()
    answers = [{"name": "MoH", "id": mining.pk}]

    answered, imported = preview_and_import(
        editor, meeting, {"rows": rows, "organisations": answers}
    )

    assert asked["ready"] is False
    (question,) = asked["organisation_names"]
    assert question["name"] == "MoH"
    assert {s["id"] for s in question["suggestions"]} == {health.pk, mining.pk}
    assert question["chosen"] is None
    assert answered["ready"] is True
    assert answered["organisation_names"][0]["chosen"] == {
        "id": mining.pk,
        "remember": False,
    }
    assert answered["rows"][0]["organisation"] == mining.pk
    assert imported.status_code == 201, imported.json()
    assert Attendance.objects.get().organisation == mining


AGENCY = "government-agency"


def test_an_unknown_name_is_answered_with_a_new_organisations_type(client_of, meeting):
    editor = client_of(EDITOR)
    rows = [{"organisation": "National Digital Health Centre", "name": "Aziz Karimov"}]
    # The name as the sheet has it, in any case.
    answers = [{"name": "national digital health centre", "new_type": AGENCY}]

    preview, imported = preview_and_import(
        editor, meeting, {"rows": rows, "organisations": answers}
    )

    assert preview["ready"] is True, preview
    assert preview["organisation_names"][0]["chosen"] == {"new_type": AGENCY}
    assert imported.status_code == 201, imported.json()
    created = Organisation.objects.get(name="National Digital Health Centre")
    assert created.type.slug == AGENCY
    assert Attendance.objects.get().organisation == created


def test_the_sheets_spelling_is_kept_as_another_name_when_asked(
    client_of, meeting, shared_acronym
):
    health, _mining = shared_acronym
    editor = client_of(EDITOR)
    rows = [{"organisation": "Minzdrav", "name": "Dilnoza Rahimova"}]
    answers = [{"name": "Minzdrav", "id": health.pk, "remember": True}]

    _preview, imported = preview_and_import(
        editor, meeting, {"rows": rows, "organisations": answers}
    )

    assert imported.status_code == 201, imported.json()
    assert health.other_names.filter(name="Minzdrav").exists()


def test_wrong_answers_are_refused_naming_the_answer_and_nothing_is_written(
    client_of, meeting, shared_acronym
):
    editor = client_of(EDITOR)
    rows = [{"organisation": "MoH", "name": "Dilnoza Rahimova"}]

    def send(answers, **extra):
        data = {"rows": rows, "organisations": answers, **extra}
        return editor.post(url(meeting), data, format="json")

    both = send([{"name": "MoH", "id": 1, "new_type": "ministry"}])
    neither = send([{"name": "MoH"}])
    not_asked = send([{"name": "UZINFOCOM", "new_type": "ministry"}])
    too_big = send([{"name": "MoH", "id": 2**64}])
    gone = send([{"name": "MoH", "id": 999_999}]).json()
    gone_commit = send(
        [{"name": "MoH", "id": 999_999}], commit=True, digest=gone["digest"]
    )

    assert both.status_code == 400
    assert list(both.json()["organisations"]["1"]) == ["id"]
    assert neither.status_code == 400
    assert list(neither.json()["organisations"]["1"]) == ["id"]
    assert not_asked.status_code == 400
    assert "UZINFOCOM" in not_asked.json()["organisations"]["1"]["name"][0]
    assert too_big.status_code == 400
    assert list(too_big.json()["organisations"]["1"]) == ["id"]
    assert gone["ready"] is False
    assert "no longer exists" in gone["organisation_names"][0]["error"]
    assert gone_commit.status_code == 400
    assert Attendance.objects.count() == 0


def test_the_previews_queries_do_not_grow_with_the_answers(
    client_of, meeting, django_assert_max_num_queries
):
    editor = client_of(EDITOR)
    ministry = OrganisationType.objects.get(slug="ministry")

    def sheet(n):
        names = [f"Agency {i}" for i in range(n)]
        for name in names:
            for twin in range(2):
                organisation = factories.OrganisationFactory(
                    name=f"{name} twin {twin} {n}", type=ministry
                )
                factories.OrganisationNameFactory(
                    organisation=organisation, name=f"{name} {n}"
                )
        rows = [{"organisation": f"{name} {n}", "name": "A B"} for name in names]
        answers = [
            {
                "name": f"{name} {n}",
                "id": Organisation.objects.get(name=f"{name} twin 0 {n}").pk,
            }
            for name in names
        ]
        return {"rows": rows, "organisations": answers}

    one, five = sheet(1), sheet(5)
    with CaptureQueriesContext(connection) as counted:
        first = editor.post(url(meeting), one, format="json")
    with django_assert_max_num_queries(len(counted)):
        answered = editor.post(url(meeting), five, format="json")

    assert first.json()["ready"] is True
    assert answered.json()["ready"] is True
