"""Opening a busy record in the admin costs the same queries whatever the number
of its inline rows: no query per autocomplete widget."""

import pytest
from django.urls import reverse

from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db


def meeting_with(n):
    meeting = MeetingFactory()
    for _ in range(n):
        AttendanceFactory(meeting=meeting)
        AgendaItemFactory(meeting=meeting)
        FollowUpFactory(meeting=meeting, owner_person=PersonFactory())
    return meeting


@pytest.mark.parametrize("n", [2, 20])
def test_the_meeting_change_page_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, n
):
    meeting = meeting_with(n)
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    admin_client.get(url)  # fills the content-type cache, once per process

    # session, user, meeting with its host, its attendance count (inline or
    # link), agenda items with topics, attendance with organisations and
    # people, follow-ups with their owners, its initiators (autocomplete)
    with django_assert_num_queries(8):
        response = admin_client.get(url)

    assert response.status_code == 200
    # Each row's autocomplete still shows its organisation and person.
    html = response.content.decode()
    for attendance in meeting.attendances.select_related("organisation", "person"):
        for related in (attendance.organisation, attendance.person):
            assert f'<option value="{related.pk}" selected>{related}</option>' in html


@pytest.mark.parametrize("n", [2, 20])
def test_the_organisation_change_page_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries, n
):
    organisation = OrganisationFactory()
    for _ in range(n):
        PositionFactory(organisation=organisation)

    url = reverse("admin:stakeholders_organisation_change", args=[organisation.pk])
    admin_client.get(url)  # fills the content-type cache, once per process
    # session, user, organisation with its type and parent, its position
    # count (inline or link), other names, identifiers, positions with people
    # and organisations
    with django_assert_num_queries(7):
        response = admin_client.get(url)

    assert response.status_code == 200


def test_a_meeting_with_more_rows_than_the_limit_links_to_its_attendance(
    admin_client, monkeypatch
):
    from django.contrib import admin

    from meetings.models import Meeting

    monkeypatch.setattr(admin.site._registry[Meeting], "attendance_inline_limit", 3)
    meeting = meeting_with(4)

    response = admin_client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    )

    html = response.content.decode()
    assert 'name="attendances-TOTAL_FORMS"' not in html
    assert "This meeting has 4 attendance rows" in html
    link = reverse("admin:meetings_attendance_changelist")
    assert f"{link}?meeting__id__exact={meeting.pk}" in html
    listed = admin_client.get(f"{link}?meeting__id__exact={meeting.pk}")
    assert listed.context["cl"].result_count == 4


def test_the_organisation_change_page_builds_each_inline_template_row_once(
    admin_client, monkeypatch
):
    """Django builds an inline's template row (the one "Add another" copies)
    each time it is asked for, four times an inline; it is built once."""
    from core.admin import HamkorForm

    organisation = OrganisationFactory()
    PositionFactory.create_batch(2, organisation=organisation)
    url = reverse("admin:stakeholders_organisation_change", args=[organisation.pk])
    built = []
    original = HamkorForm.__init__

    def counting(self, *args, **kwargs):
        built.append(kwargs.get("prefix"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(HamkorForm, "__init__", counting)

    response = admin_client.get(url)

    # The organisation's form, its two positions and one template row for
    # each of the three inlines (other names, identifiers, positions).
    templates = [prefix for prefix in built if prefix and "__prefix__" in prefix]
    assert len(templates) == 3
    assert len(built) == 1 + 2 + 3
    html = response.content.decode()
    for inline in ("other_names", "identifiers", "positions"):
        assert f'id="{inline}-empty"' in html, inline
