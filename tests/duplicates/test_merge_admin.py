"""The merge pages in the admin: an editor picks the duplicate, sees both
records side by side, chooses, merges; bad or stale posts merge nothing;
viewers never get in; the pages cost a fixed number of queries; the merge
records are for administrators."""

import pytest
from django.test import Client
from django.urls import reverse

from duplicates.models import OrganisationMerge, PersonMerge
from meetings.models import Attendance
from stakeholders.models import Organisation, Person
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationPairFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def pick_url(record):
    return reverse(
        f"admin:stakeholders_{record._meta.model_name}_merge", args=[record.pk]
    )


def merge_url(first, second):
    return reverse(
        f"admin:stakeholders_{first._meta.model_name}_merge_with",
        args=[first.pk, second.pk],
    )


@pytest.fixture
def editor_client(client, django_user_model, role):
    user = django_user_model.objects.create_user("steward", password="x")
    user.groups.add(role("editor"))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def pair():
    kept = OrganisationFactory(name="UZINFOCOM", acronym="", email="")
    other = OrganisationFactory(
        name="Узинфоком", acronym="", email="info@uzinfocom.uz", phone="+998 71 1"
    )
    meeting = MeetingFactory(title="Steering committee")
    AttendanceFactory(meeting=meeting, organisation=kept, person=None)
    AttendanceFactory(
        meeting=meeting,
        organisation=other,
        person=None,
        status=Attendance.Status.DECLINED,
    )
    return kept, other


def form_data(page, **changes):
    """The choices as the page offers them (its checked radios and hidden
    token), with ``changes``."""
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(changes)
    return data


def test_the_change_page_offers_a_merge_and_the_pick_page_the_likely_duplicate(
    editor_client, pair
):
    kept, other = pair

    change = editor_client.get(
        reverse("admin:stakeholders_organisation_change", args=[other.pk])
    ).content.decode()
    assert pick_url(other) in change

    page = editor_client.get(pick_url(other)).content.decode()
    assert merge_url(other, kept) in page
    assert "same name in any script" in page

    found = editor_client.get(pick_url(other), {"q": "uzinfo"}).content.decode()
    assert merge_url(other, kept) in found
    nothing = editor_client.get(pick_url(other), {"q": "no such name"})
    assert "Nothing matches" in nothing.content.decode()


def test_an_editor_sees_both_records_and_merges_them(editor_client, pair):
    kept, other = pair
    url = merge_url(kept, other)

    page = editor_client.get(url)
    text = page.content.decode()
    assert "UZINFOCOM" in text
    assert "Узинфоком" in text
    assert "info@uzinfocom.uz" in text
    assert "Steering committee" in text
    form = page.context["form"]
    # The differing fields, the record kept and the shared row's status.
    assert {"field_name", "field_email", "field_phone", "keep", "status_0"} <= set(
        form.fields
    )
    assert form["field_email"].value() == "second"  # the value that is not empty

    response = editor_client.post(url, form_data(page, keep="first", status_0="first"))

    assert response.status_code == 302
    assert response.url == reverse(
        "admin:stakeholders_organisation_change", args=[kept.pk]
    )
    kept.refresh_from_db()
    assert kept.email == "info@uzinfocom.uz"
    assert kept.attendances.get().status == "attended"
    assert not Organisation.objects.filter(pk=other.pk).exists()
    record = OrganisationMerge.objects.get()
    assert record.merged_by == editor_client.user
    message = str(next(iter(response.wsgi_request._messages)))
    assert "Узинфоком was merged into UZINFOCOM" in message


def test_a_pair_in_the_review_list_links_to_its_merge(editor_client, pair):
    kept, other = pair
    OrganisationPairFactory(first=kept, second=other)

    page = editor_client.get(
        reverse("admin:duplicates_organisationpair_changelist")
    ).content.decode()

    assert merge_url(kept, other) in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"keep": "third"}, "keep"),
        ({"field_email": "neither"}, "field_email"),
        ({"status_0": ""}, "status_0"),
    ],
)
def test_a_bad_choice_is_refused_by_field_and_merges_nothing(
    editor_client, pair, changes, field
):
    kept, other = pair
    url = merge_url(kept, other)
    page = editor_client.get(url)

    response = editor_client.post(url, form_data(page, **changes))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Please correct the errors below." in response.content.decode()
    assert Organisation.objects.filter(pk=other.pk).exists()
    assert not OrganisationMerge.objects.exists()


def test_a_page_opened_before_a_change_merges_nothing_and_shows_the_change(
    editor_client, pair
):
    kept, other = pair
    url = merge_url(kept, other)
    page = editor_client.get(url)
    Organisation.objects.filter(pk=other.pk).update(phone="+998 71 2", version=5)

    response = editor_client.post(url, form_data(page))

    assert response.status_code == 200
    text = response.content.decode()
    assert "was changed after this page was opened" in text
    assert "+998 71 2" in text
    assert Organisation.objects.filter(pk=other.pk).exists()
    # The page now carries the records as they are: merging again works.
    again = editor_client.post(url, form_data(response))
    assert again.status_code == 302


def test_people_merge_through_the_same_pages(editor_client):
    kept = PersonFactory(full_name="Aziz Karimov", email="")
    other = PersonFactory(full_name="Азиз Каримов", email="a.karimov@ssv.uz")
    url = merge_url(kept, other)
    page = editor_client.get(url)

    response = editor_client.post(url, form_data(page, keep="second"))

    assert response.status_code == 302
    assert not Person.objects.filter(pk=kept.pk).exists()
    assert PersonMerge.objects.get().survivor_id == other.pk


def test_merging_a_record_with_itself_or_a_missing_one_is_not_found(
    editor_client, pair
):
    kept, _other = pair
    assert editor_client.get(merge_url(kept, kept)).status_code == 404
    missing = reverse(
        "admin:stakeholders_organisation_merge_with", args=[kept.pk, 99999]
    )
    assert editor_client.get(missing).status_code == 404


def test_viewers_and_visitors_are_sent_to_the_login(assert_admin_only, pair):
    kept, other = pair
    assert_admin_only(pick_url(kept))
    assert_admin_only(merge_url(kept, other))


def test_a_viewer_cannot_post_a_merge(client, viewer, pair):
    kept, other = pair
    client.force_login(viewer)

    client.post(merge_url(kept, other), {"keep": "first"})

    assert Organisation.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("shared", [1, 6])
def test_the_merge_page_costs_the_same_queries_whatever_it_shows(
    editor_client, django_assert_num_queries, shared
):
    kept = OrganisationFactory(name="UZINFOCOM")
    other = OrganisationFactory(name="Узинфоком")
    for _ in range(shared):
        meeting = MeetingFactory()
        AttendanceFactory(meeting=meeting, organisation=kept)
        AttendanceFactory(
            meeting=meeting,
            organisation=other,
            person=kept.attendances.last().person,
            status=Attendance.Status.ABSENT,
        )
    editor_client.get(merge_url(kept, other))  # the session, warmed

    # Session, user with its permissions, the two records with their types
    # and parents, nine counts, the shared rows, the identical positions.
    with django_assert_num_queries(14):
        editor_client.get(merge_url(kept, other))


def test_the_pick_page_costs_a_fixed_number_of_queries(
    editor_client, django_assert_num_queries, pair
):
    kept, _other = pair
    for n in range(5):
        OrganisationFactory(name=f"Uzinfocom branch {n}")
    editor_client.get(pick_url(kept))

    # Session, user with its permissions, the record, the likely duplicates
    # (one search, the name's words together), the search, and the other
    # names of both lists' organisations.
    with django_assert_num_queries(6):
        editor_client.get(pick_url(kept), {"q": "uzinfocom"})


def test_administrators_read_the_merge_records_and_editors_do_not(
    editor_client, superuser, pair
):
    kept, other = pair
    page = editor_client.get(merge_url(kept, other))
    editor_client.post(merge_url(kept, other), form_data(page))
    record = OrganisationMerge.objects.get()
    changelist = reverse("admin:duplicates_organisationmerge_changelist")
    detail = reverse("admin:duplicates_organisationmerge_change", args=[record.pk])

    assert editor_client.get(changelist).status_code == 403
    admin_client = Client()
    admin_client.force_login(superuser)
    listed = admin_client.get(changelist).content.decode()
    assert "Узинфоком" in listed
    shown = admin_client.get(detail).content.decode()
    assert "info@uzinfocom.uz" in shown
    assert admin_client.post(detail, {}).status_code == 403
