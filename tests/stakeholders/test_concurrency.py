"""Two coordinators editing the same record: the second save is refused with a
message saying what happened, and the first person's change is kept."""

import re

import pytest
from django.urls import reverse

from meetings.models import Attendance, FollowUp
from stakeholders.models import Organisation, Position
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    OrganisationFactory,
    PositionFactory,
)
from tests.stakeholders.test_admin import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editors(client, django_user_model, role):
    """Two logged-in editors, Aziza and Bobur, each with a browser of their own."""
    from django.test import Client

    clients = []
    for username, first_name in (("aziza", "Aziza"), ("bobur", "Bobur")):
        user = django_user_model.objects.create_user(
            username=username, first_name=first_name
        )
        user.groups.add(role("editor"))
        browser = Client()
        browser.force_login(user)
        clients.append(browser)
    return clients


def change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def test_the_second_save_of_a_change_form_is_refused_and_the_first_kept(editors):
    aziza, bobur = editors
    organisation = OrganisationFactory(name="Ministry of Health")
    url = change_url(organisation)
    aziza_form = form_data(aziza.get(url))
    bobur_form = form_data(bobur.get(url))

    bobur_form["name"] = "Ministry of Health (Bobur)"
    assert bobur.post(url, bobur_form).status_code == 302
    aziza_form["name"] = "Ministry of Health (Aziza)"
    response = aziza.post(url, aziza_form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert len(errors) == 1
    assert re.match(r"Bobur saved this record at .*, after you opened it", errors[0])
    organisation.refresh_from_db()
    assert organisation.name == "Ministry of Health (Bobur)"
    assert organisation.version == 2


def save_name(client, url, name):
    """Open the change form at ``url`` and save it with ``name``."""
    data = form_data(client.get(url))
    data["name"] = name
    return client.post(url, data)


def test_a_form_opened_after_the_other_save_goes_through(editors):
    aziza, bobur = editors
    organisation = OrganisationFactory(name="Ministry of Health")
    url = change_url(organisation)
    save_name(bobur, url, "Ministry of Health (Bobur)")

    aziza_form = form_data(aziza.get(url))
    aziza_form["name"] = "Ministry of Health (Aziza)"

    assert aziza.post(url, aziza_form).status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "Ministry of Health (Aziza)"
    assert organisation.version == 3


def test_a_stale_inline_row_is_refused_and_the_other_edit_kept(editors):
    aziza, bobur = editors
    organisation = OrganisationFactory()
    position = PositionFactory(organisation=organisation, title="Adviser")
    url = change_url(organisation)
    aziza_form = form_data(aziza.get(url))

    bobur_form = form_data(bobur.get(change_url(position)))
    bobur_form["title"] = "Senior adviser"
    assert bobur.post(change_url(position), bobur_form).status_code == 302
    aziza_form["positions-0-title"] = "Chief adviser"
    response = aziza.post(url, aziza_form)

    assert response.status_code == 200
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "positions"
    )
    assert "after you opened it" in formset.forms[0].non_field_errors()[0]
    position.refresh_from_db()
    assert position.title == "Senior adviser"


def test_a_record_deleted_meanwhile_is_reported(editors):
    aziza, _bobur = editors
    organisation = OrganisationFactory()
    position = PositionFactory(organisation=organisation)
    aziza_form = form_data(aziza.get(change_url(position)))
    Position.objects.filter(pk=position.pk).delete()
    aziza_form["title"] = "Too late"

    response = aziza.post(change_url(position), aziza_form)

    # The admin answers a deleted record with a redirect and a message.
    assert response.status_code == 302
    assert not Position.objects.filter(pk=position.pk).exists()


def test_an_admin_action_moves_the_version_on(admin_client):
    organisation = OrganisationFactory(is_active=True)
    url = change_url(organisation)
    stale_form = form_data(admin_client.get(url))

    admin_client.post(
        reverse("admin:stakeholders_organisation_changelist"),
        {"action": "mark_inactive", "_selected_action": [organisation.pk]},
    )
    stale_form["name"] = "Renamed"
    response = admin_client.post(url, stale_form)

    assert response.status_code == 200
    organisation = Organisation.objects.get(pk=organisation.pk)
    assert organisation.is_active is False
    assert organisation.name != "Renamed"


def changelist_data(response):
    """The editable changelist as a browser posts it on "Save"."""
    formset = response.context["cl"].formset
    data = {"_save": "Save"}
    for form in [formset.management_form, *formset.forms]:
        for field in form:
            value = field.value()
            if value is not None:
                data[field.html_name] = str(value)
    return data


def test_a_stale_editable_list_row_is_refused_and_the_other_edit_kept(editors):
    aziza, bobur = editors
    follow_up = FollowUpFactory(status=FollowUp.Status.OPEN)
    url = reverse("admin:meetings_followup_changelist")
    page = aziza.get(url)
    # The version travels with the row, in the page itself.
    assert b'name="form-0-seen_version"' in page.content
    aziza_list = changelist_data(page)
    assert aziza_list["form-0-seen_version"] == str(follow_up.version)

    bobur_form = form_data(bobur.get(change_url(follow_up)))
    bobur_form["status"] = FollowUp.Status.CANCELLED
    assert bobur.post(change_url(follow_up), bobur_form).status_code == 302
    aziza_list["form-0-status"] = FollowUp.Status.DONE
    response = aziza.post(url, aziza_list)

    assert response.status_code == 200
    errors = response.context["cl"].formset.forms[0].non_field_errors()
    assert "Bobur saved this record" in errors[0]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.CANCELLED


def test_a_fresh_editable_list_row_saves(editors):
    aziza, _bobur = editors
    follow_up = FollowUpFactory(status=FollowUp.Status.OPEN)
    url = reverse("admin:meetings_followup_changelist")
    data = changelist_data(aziza.get(url))
    data["form-0-status"] = FollowUp.Status.DONE

    assert aziza.post(url, data).status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.version) == (FollowUp.Status.DONE, 2)


def test_a_stale_attendance_row_on_the_meeting_page_is_refused(editors):
    aziza, bobur = editors
    attendance = AttendanceFactory(status=Attendance.Status.INVITED)
    url = change_url(attendance.meeting)
    aziza_form = form_data(aziza.get(url))

    bobur_form = form_data(bobur.get(change_url(attendance)))
    bobur_form["status"] = Attendance.Status.DECLINED
    assert bobur.post(change_url(attendance), bobur_form).status_code == 302
    aziza_form["attendances-0-status"] = Attendance.Status.ATTENDED
    response = aziza.post(url, aziza_form)

    assert response.status_code == 200
    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.DECLINED


OUT_OF_DATE = "This form is out of date; reload the page and make your change again."


@pytest.mark.parametrize("version", [None, "", "not-a-number"])
def test_a_change_form_posted_without_its_version_is_refused_as_out_of_date(
    version, editors
):
    aziza, bobur = editors
    organisation = OrganisationFactory(name="Ministry of Health")
    url = change_url(organisation)
    # Bobur's earlier save is the latest history: the message must not say
    # he saved after Aziza opened the form, which nobody knows.
    save_name(bobur, url, "Ministry of Health (Bobur)")
    data = form_data(aziza.get(url))
    data["name"] = "Ministry of Health (Aziza)"
    del data["seen_version"]
    if version is not None:
        data["seen_version"] = version

    response = aziza.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == [OUT_OF_DATE]
    assert "seen_version" not in form.errors
    assert OUT_OF_DATE in response.text
    organisation.refresh_from_db()
    assert organisation.name == "Ministry of Health (Bobur)"


def test_an_inline_row_posted_without_its_version_is_refused_as_out_of_date(
    editors,
):
    aziza, _bobur = editors
    position = PositionFactory(title="Adviser")
    url = change_url(position.organisation)
    data = form_data(aziza.get(url))
    data["positions-0-title"] = "Chief adviser"
    del data["positions-0-seen_version"]

    response = aziza.post(url, data)

    assert response.status_code == 200
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "positions"
    )
    assert formset.forms[0].non_field_errors() == [OUT_OF_DATE]
    position.refresh_from_db()
    assert position.title == "Adviser"


def test_an_editable_list_row_posted_without_its_version_is_refused_as_out_of_date(
    editors,
):
    aziza, _bobur = editors
    follow_up = FollowUpFactory(status=FollowUp.Status.OPEN)
    url = reverse("admin:meetings_followup_changelist")
    data = changelist_data(aziza.get(url))
    data["form-0-status"] = FollowUp.Status.DONE
    del data["form-0-seen_version"]

    response = aziza.post(url, data)

    assert response.status_code == 200
    assert response.context["cl"].formset.forms[0].non_field_errors() == [OUT_OF_DATE]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.OPEN


@pytest.mark.parametrize("ticked", [False, True])
def test_an_unchanged_row_ticked_for_deletion_is_deleted(editors, ticked):
    aziza, _bobur = editors
    position = PositionFactory(title="Adviser")
    url = change_url(position.organisation)
    data = form_data(aziza.get(url))
    if ticked:
        data["positions-0-DELETE"] = "on"

    assert aziza.post(url, data).status_code == 302
    assert Position.objects.filter(pk=position.pk).exists() is not ticked


def test_saving_an_organisation_costs_the_same_queries_whatever_its_unchanged_rows(
    admin_client, capture_queries
):
    counts = []
    for rows in (2, 8):
        organisation = OrganisationFactory()
        PositionFactory.create_batch(rows, organisation=organisation)
        url = change_url(organisation)
        data = form_data(admin_client.get(url))
        data["notes"] = "Met again"
        with capture_queries() as queries:
            assert admin_client.post(url, data).status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1]
