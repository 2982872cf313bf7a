"""The stored meetings attended, last met, organisations taking part and
organisation types (meetings/stats.py) stay equal to what the attendance rows
and positions say, whichever way they are written: every write path, through
the admin as an editor works, the import, erasure, the demo loader and the
generator, is performed below and followed by a fresh computation of every
figure. The helpers here are shared by the other stats tests
(test_stats_counting.py, test_stats_types.py) and test_folding.py."""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from bench.sample_data import sample_data_generate
from bench.sample_plan import Plan
from meetings import stats
from meetings.models import Attendance, FollowUp, Meeting
from stakeholders.models import Organisation, OrganisationType, Person, Position
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationTypeFactory,
    PersonFactory,
    PositionFactory,
)
from tests.stakeholders.test_admin import form_data, form_errors, post_change
from tests.stakeholders.test_concurrency import changelist_data

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime(2025, 3, day, hour))


def comparable(name, value):
    """A stored types key as the set of ids it holds (their order is not kept)."""
    if name == "organisation_types":
        return {int(pk) for pk in value.split(",") if pk}
    return value


def mismatches():
    """Every stored figure that differs from the one computed from the rows."""
    found = []
    for model, computed in (
        (Organisation, stats.participant_stats("organisation")),
        (Person, stats.person_stats()),
        (Meeting, stats.meeting_stats()),
    ):
        names = list(computed)
        rows = model.objects.annotate(
            **{f"computed_{name}": value for name, value in computed.items()}
        ).values("pk", *names, *(f"computed_{name}" for name in names))
        for row in rows:
            for name in names:
                stored = comparable(name, row[name])
                if stored != comparable(name, row[f"computed_{name}"]):
                    found.append((model.__name__, row["pk"], name, row[name]))
    # The home page's count of active organisations by type.
    counted = OrganisationType.objects.annotate(
        computed=Count("organisations", filter=Q(organisations__is_active=True))
    )
    for row in counted.values("pk", "active_organisations", "computed"):
        if row["active_organisations"] != row["computed"]:
            found.append(
                ("OrganisationType", row["pk"], "active_organisations", row["computed"])
            )
    return found


def figures(obj):
    obj.refresh_from_db()
    if isinstance(obj, Meeting):
        return obj.organisations_attended
    return obj.meetings_attended, obj.last_met


def types(obj):
    obj.refresh_from_db()
    return comparable("organisation_types", obj.organisation_types)


def stored():
    """Every stored figure, by model and id."""
    figures = {**stats.FIGURES, OrganisationType: ("active_organisations",)}
    return {
        (model.__name__, row.pop("pk")): row
        for model, names in figures.items()
        for row in model.objects.values("pk", *names)
    }


# The admin, as an editor uses it.


def admin_url(obj, view):
    """The admin page ``view`` (add, change, delete, changelist) of ``obj``, a
    record or, for add and changelist, a model."""
    opts = obj._meta
    args = [obj.pk] if view in ("change", "delete") else []
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def add(client, model, **fields):
    """Post ``model``'s add form, its defaults and ``fields``; check it saved."""
    post_change(client, admin_url(model, "add"), **fields)


def change(client, obj, **changes):
    """Post ``obj``'s change form back with ``changes``; check it saved."""
    post_change(client, admin_url(obj, "change"), **changes)


def change_inlines(client, obj, edit):
    """Post ``obj``'s change form back after ``edit(data)``, which changes,
    deletes (``inline_row``) and adds (``new_row``) inline rows."""
    url = admin_url(obj, "change")
    data = form_data(client.get(url))
    edit(data)
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)


def inline_row(data, prefix, obj):
    """The field name prefix of ``obj``'s row in an inline formset."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    (index,) = [i for i in range(total) if data.get(f"{prefix}-{i}-id") == str(obj.pk)]
    return f"{prefix}-{index}-"


def new_row(data, prefix, **fields):
    """Add a row of ``fields`` to an inline formset of ``data``."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    data.update({f"{prefix}-{index}-{name}": str(v) for name, v in fields.items()})


def delete(client, obj):
    """Delete ``obj`` from its delete page."""
    response = client.post(admin_url(obj, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not type(obj).objects.filter(pk=obj.pk).exists()


def run_action(client, action, objects):
    """Run a changelist action on ``objects`` (confirmed, for a delete)."""
    model = type(objects[0])
    response = client.post(
        admin_url(model, "changelist"),
        {
            "action": action,
            "_selected_action": [obj.pk for obj in objects],
            "post": "yes",
        },
    )
    assert response.status_code == 302


def import_sheet(client, meeting, data, *, create_organisations=False):
    """Import ``data`` into ``meeting`` through the admin's pages: upload,
    preview, import (creating an organisation for every name on record
    nowhere, if told to)."""
    url = reverse("admin:meetings_meeting_import", args=[meeting.pk])
    uploaded = client.post(
        url, {"file": SimpleUploadedFile("sheet.csv", data, "text/csv")}
    )
    assert uploaded.status_code == 302
    preview = client.get(uploaded.url)
    # The editor's choices as the preview shows them.
    form = preview.context["form"]
    choices = {name: form[name].value() for name in form.fields}
    choices = {
        name: "on" if value is True else value
        for name, value in choices.items()
        if value not in (None, False)
    }
    if create_organisations:
        for _question, choice, *_fields in form.organisation_rows():
            choices[choice.name] = "new"
        # Applied to the preview first, as the Import button waits for it.
        applied = client.post(
            uploaded.url,
            {**choices, "digest": preview.context["plan"].digest, "_preview": "1"},
        )
        assert applied.status_code == 302
        preview = client.get(uploaded.url)
    done = client.post(
        uploaded.url,
        {**choices, "digest": preview.context["plan"].digest, "_import": "1"},
    )
    assert done.status_code == 302
    assert done.url == admin_url(meeting, "change")


# Every write path.


@pytest.fixture
def world():
    """Rows for each write path to change: positions, attendance at two
    meetings (attended and invited), organisations of two types, a
    follow-up."""
    donor = OrganisationTypeFactory()
    w = SimpleNamespace(
        donor=donor,
        ministry=OrganisationFactory(),
        agency=OrganisationFactory(),
        bank=OrganisationFactory(type=donor),
        aziza=PersonFactory(),
        bekzod=PersonFactory(),
        agency_head=PersonFactory(),
        early=MeetingFactory(starts_at=at(4)),
        late=MeetingFactory(starts_at=at(9)),
    )
    # The only link of anyone to a donor: deleting it changes Aziza's types.
    w.position = PositionFactory(person=w.aziza, organisation=w.bank)
    w.attended = AttendanceFactory(
        meeting=w.early, organisation=w.ministry, person=w.aziza
    )
    w.represented = AttendanceFactory(
        meeting=w.late, organisation=w.agency, person=w.aziza
    )
    w.invited = AttendanceFactory(
        meeting=w.late,
        organisation=w.bank,
        person=w.bekzod,
        status=Attendance.Status.INVITED,
    )
    w.follow_up = FollowUpFactory(meeting=w.early, owner_organisation=w.ministry)
    assert mismatches() == []
    return w


def attendance_added(client, w):
    add(
        client,
        Attendance,
        meeting=w.late.pk,
        organisation=w.ministry.pk,
        person=w.bekzod.pk,
    )


def attendance_moved(client, w):
    # To another meeting, organisation and person at once.
    change(
        client,
        w.attended,
        meeting=w.late.pk,
        organisation=w.agency.pk,
        person=w.bekzod.pk,
    )


def attendance_status_changed(client, w):
    change(client, w.invited, status=Attendance.Status.ATTENDED)


def attendance_deleted(client, w):
    delete(client, w.attended)


def attendance_deleted_in_bulk(client, w):
    run_action(client, "delete_selected", [w.attended, w.represented])


def meeting_added_with_rows(client, w):
    def edit(data):
        data.update(title="New", starts_at_0="2025-03-20", starts_at_1="10:00:00")
        new_row(
            data,
            "attendances",
            organisation=w.bank.pk,
            person=w.bekzod.pk,
            role=Attendance.Role.PARTICIPANT,
            status=Attendance.Status.ATTENDED,
        )
        new_row(
            data,
            "attendances",
            organisation=w.agency.pk,
            role=Attendance.Role.OBSERVER,
            status=Attendance.Status.CONFIRMED,
        )

    url = admin_url(Meeting, "add")
    data = form_data(client.get(url))
    edit(data)
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)


def meeting_rows_changed(client, w):
    def edit(data):
        # One row moved to another organisation and person, one deleted, one
        # added.
        row = inline_row(data, "attendances", w.invited)
        data.update(
            {f"{row}organisation": str(w.ministry.pk), f"{row}person": str(w.aziza.pk)}
        )
        data[inline_row(data, "attendances", w.represented) + "DELETE"] = "on"
        new_row(
            data,
            "attendances",
            organisation=w.agency.pk,
            person=w.bekzod.pk,
            role=Attendance.Role.PRESENTER,
            status=Attendance.Status.ATTENDED,
        )

    change_inlines(client, w.late, edit)


def meeting_moved(client, w):
    change(
        client,
        w.early,
        starts_at_0="2025-03-20",
        starts_at_1="10:00:00",
        ends_at_0="",
        ends_at_1="",
    )


def meeting_deleted(client, w):
    delete(client, w.late)


def meetings_deleted_in_bulk(client, w):
    run_action(client, "delete_selected", [w.early, w.late])


def position_added(client, w):
    add(client, Position, person=w.bekzod.pk, organisation=w.bank.pk)


def position_moved(client, w):
    change(client, w.position, person=w.bekzod.pk, organisation=w.agency.pk)


def position_deleted(client, w):
    delete(client, w.position)


def positions_deleted_in_bulk(client, w):
    other = PositionFactory(person=w.agency_head, organisation=w.agency)
    run_action(client, "delete_selected", [w.position, other])


def positions_changed_on_a_person(client, w):
    def edit(data):
        row = inline_row(data, "positions", w.position)
        data[f"{row}organisation"] = str(w.agency.pk)
        new_row(data, "positions", person=w.aziza.pk, organisation=w.ministry.pk)

    change_inlines(client, w.aziza, edit)


def position_deleted_on_a_person(client, w):
    def edit(data):
        data[inline_row(data, "positions", w.position) + "DELETE"] = "on"

    change_inlines(client, w.aziza, edit)


def positions_changed_on_an_organisation(client, w):
    def edit(data):
        row = inline_row(data, "positions", w.position)
        data[f"{row}person"] = str(w.bekzod.pk)
        new_row(data, "positions", person=w.agency_head.pk, organisation=w.bank.pk)

    change_inlines(client, w.bank, edit)


def organisation_type_changed(client, w):
    change(client, w.ministry, type=w.donor.pk)


def organisation_added_and_deleted(client, w):
    add(client, Organisation, name="New ministry", type=w.ministry.type_id)
    delete(client, Organisation.objects.get(name="New ministry"))


def person_deleted(client, w):
    # With a position, which goes with them (attendance would protect them).
    delete(client, PositionFactory(organisation=w.bank).person)


def meetings_marked_held_and_cancelled(client, w):
    run_action(client, "mark_held", [w.early, w.late])
    run_action(client, "mark_cancelled", [w.late])


def organisations_marked_inactive_and_active(client, w):
    run_action(client, "mark_inactive", [w.ministry, w.bank])
    run_action(client, "mark_active", [w.bank])


def follow_ups_marked_done(client, w):
    run_action(client, "mark_done", [w.follow_up])


def follow_up_edited_in_its_list(client, w):
    # The only editable changelist (no model with stored figures has one:
    # test_no_list_edits_rows_with_stored_figures).
    url = admin_url(FollowUp, "changelist")
    data = changelist_data(client.get(url))
    data["form-0-status"] = FollowUp.Status.IN_PROGRESS
    assert client.post(url, data).status_code == 302


def sheet_imported(client, w):
    import_sheet(
        client,
        w.early,
        (
            f"Organisation,Name,Status\r\n"
            f"{w.bank.name},{w.aziza.full_name},attended\r\n"
            f"{w.ministry.name},{w.aziza.full_name},declined\r\n"
            f"{w.agency.name},Dilnoza Yusupova,invited\r\n"
        ).encode(),
    )


def sheet_imported_with_a_new_organisation(client, w):
    import_sheet(
        client,
        w.early,
        b"Organisation,Status\r\nRegional Health Department,attended\r\n",
        create_organisations=True,
    )
    assert Organisation.objects.filter(name="Regional Health Department").exists()


def person_erased(client, w):
    # At the early meeting the ministry is recorded without a person too
    # (invited): the erased person's row there goes, not merely loses them.
    AttendanceFactory(
        meeting=w.early,
        organisation=w.ministry,
        person=None,
        status=Attendance.Status.INVITED,
    )
    response = client.post(
        reverse("admin:stakeholders_person_erase", args=[w.aziza.pk])
    )
    assert response.status_code == 302
    assert not Person.objects.filter(pk=w.aziza.pk).exists()


def meeting_recorded_on_its_page(client, w):
    from tests.meetings.test_record import org_row, page_data, person_row

    response = client.post(
        reverse("meetings:record"),
        page_data(
            host=w.ministry.pk,
            organisations=[org_row(w.agency, status=Attendance.Status.INVITED)],
            people=[person_row(w.aziza, w.bank)],
            confirm="1",
        ),
    )
    assert response.status_code == 302


def meeting_edited_on_its_page(client, w):
    from tests.meetings.test_record import org_row, page_data, person_row

    # Moved, one row gone, one changed, one added.
    response = client.post(
        reverse("meetings:edit", args=[w.late.pk]),
        page_data(
            w.late,
            day="2025-03-20",
            host=w.late.host_id,
            organisations=[org_row(w.ministry)],
            people=[person_row(w.bekzod, w.bank, status=Attendance.Status.ATTENDED)],
            confirm="1",
        ),
    )
    assert response.status_code == 302


def demo_loaded(client, w):
    call_command("load_demo", stdout=io.StringIO())


def sample_data_generated(client, w):
    sample_data_generate(plan=Plan.for_scale("S"), replace=True)


# Each path, and whether it changes stored figures (a path that changes none
# is there to show that it leaves them right).
WRITE_PATHS = [
    (attendance_added, True),
    (attendance_moved, True),
    (attendance_status_changed, True),
    (attendance_deleted, True),
    (attendance_deleted_in_bulk, True),
    (meeting_added_with_rows, True),
    (meeting_rows_changed, True),
    (meeting_moved, True),
    (meeting_deleted, True),
    (meetings_deleted_in_bulk, True),
    (position_added, True),
    (position_moved, True),
    (position_deleted, True),
    (positions_deleted_in_bulk, True),
    (positions_changed_on_a_person, True),
    (position_deleted_on_a_person, True),
    (positions_changed_on_an_organisation, True),
    (organisation_type_changed, True),
    (organisation_added_and_deleted, False),
    (person_deleted, False),
    (meetings_marked_held_and_cancelled, False),
    (organisations_marked_inactive_and_active, True),
    (follow_ups_marked_done, False),
    (follow_up_edited_in_its_list, False),
    (sheet_imported, True),
    (sheet_imported_with_a_new_organisation, True),
    (person_erased, True),
    (meeting_recorded_on_its_page, True),
    (meeting_edited_on_its_page, True),
    (demo_loaded, True),
    (sample_data_generated, True),
]


@pytest.mark.parametrize(
    ("write", "changes"),
    [pytest.param(write, changes, id=write.__name__) for write, changes in WRITE_PATHS],
)
def test_every_write_path_leaves_every_stored_figure_as_computed(
    admin_client, world, write, changes
):
    before = stored()

    write(admin_client, world)

    assert mismatches() == []
    assert (stored() != before) == changes


# The models whose rows count towards stored figures, and those that hold them.
WITH_FIGURES = [Attendance, Position, Organisation, Person, Meeting]


def test_every_action_on_rows_with_stored_figures_is_a_write_path_above(rf, superuser):
    performed = {"delete_selected", "mark_held", "mark_cancelled"}
    performed |= {"mark_inactive", "mark_active"}
    request = rf.get("/")
    request.user = superuser
    actions = {
        name
        for model in WITH_FIGURES
        for name in admin.site._registry[model].get_actions(request)
    }

    assert actions == performed


def test_no_list_edits_rows_with_stored_figures():
    for model in WITH_FIGURES:
        assert not admin.site._registry[model].list_editable, model
