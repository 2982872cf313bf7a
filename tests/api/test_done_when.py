"""Issue 14's "done when", with real tokens in the Authorization header: a
viewer's token reads every resource and writes nothing; an editor's records
a meeting with attendance, and history names the editor; a stale If-Match is
412 and leaves the record as it was. And the browser's session writes only
with its CSRF token."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import EDITOR, VIEWER
from api.models import ApiToken
from meetings.models import Attendance, Meeting
from tests import factories

from .test_read import RESOURCES

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_of(django_user_model, role):
    def make(role_name):
        user = django_user_model.objects.create_user(f"{role_name}-script")
        user.groups.add(role(role_name))
        _api_token, token = ApiToken.objects.create_token(user=user, name="script")
        client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.user = user
        return client

    return make


def test_a_viewers_token_reads_every_resource_and_writes_nothing(token_of):
    viewer = token_of(VIEWER)
    made = {name: make() for name, make in RESOURCES.items()}

    for name, obj in made.items():
        listed = viewer.get(reverse(f"api:{name}-list"), {"page_size": 500})
        detail = reverse(f"api:{name}-detail", kwargs={"pk": obj.pk})
        read = viewer.get(detail)
        created = viewer.post(reverse(f"api:{name}-list"), {}, format="json")
        changed = viewer.patch(detail, {}, format="json", HTTP_IF_MATCH='"1"')
        deleted = viewer.delete(detail, HTTP_IF_MATCH='"1"')

        assert listed.status_code == 200, name
        assert read.status_code == 200, name
        assert (created.status_code, changed.status_code, deleted.status_code) == (
            403,
            403,
            403,
        ), name
        assert type(obj).objects.filter(pk=obj.pk, version=obj.version).exists()


def test_an_editors_token_records_a_meeting_with_attendance_under_their_name(
    token_of,
):
    editor = token_of(EDITOR)
    organisation = factories.OrganisationFactory(name="UZINFOCOM")
    person = factories.PersonFactory(full_name="Aziz Karimov")

    meeting = editor.post(
        reverse("api:meeting-list"),
        {
            "title": "eHealth steering committee",
            "starts_at": "2025-01-29T10:00:00+05:00",
            "ends_at": "2025-01-29T12:00:00+05:00",
            "status": "held",
            "host": organisation.pk,
        },
        format="json",
    )
    assert meeting.status_code == 201, meeting.json()
    meeting = meeting.json()
    row = editor.post(
        reverse("api:attendance-list"),
        {
            "meeting": meeting["id"],
            "organisation": organisation.pk,
            "person": person.pk,
            "status": "attended",
        },
        format="json",
    )

    assert row.status_code == 201, row.json()
    recorded = Meeting.objects.get(pk=meeting["id"])
    assert recorded.history.get().history_user == editor.user
    assert Attendance.objects.get(meeting=recorded).history.get().history_user == (
        editor.user
    )


def test_a_stale_if_match_is_412_and_the_record_is_unchanged(token_of):
    editor = token_of(EDITOR)
    follow_up = factories.FollowUpFactory(action="Send the minutes")
    url = reverse("api:followup-detail", kwargs={"pk": follow_up.pk})
    read_at = editor.get(url)["ETag"]
    editor.patch(
        url, {"action": "Send the minutes today"}, format="json", HTTP_IF_MATCH=read_at
    )

    stale = editor.patch(
        url, {"action": "Forget it"}, format="json", HTTP_IF_MATCH=read_at
    )

    assert stale.status_code == 412
    follow_up.refresh_from_db()
    assert (follow_up.action, follow_up.version) == ("Send the minutes today", 2)


def test_the_browsers_session_writes_only_with_its_csrf_token(django_user_model, role):
    user = django_user_model.objects.create_user("editor-in-a-browser")
    user.groups.add(role(EDITOR))
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)

    refused = browser.post(
        reverse("api:topic-list"), {"name": "eHealth"}, format="json"
    )
    browser.get(reverse("api_tokens"))  # a page of the site sets the cookie
    accepted = browser.post(
        reverse("api:topic-list"),
        {"name": "eHealth"},
        format="json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.json()
