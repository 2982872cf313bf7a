"""A follow-up's completion day (``completed_on``): set when it becomes done,
kept while it stays done, cleared when it is reopened, whichever way the
status is written (the worklist's service, the recording page, the admin's
form, inline, editable list and "mark done" action); and the start page's
counts of follow-ups overdue and due soon, each equal to the list it links
to."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.follow_up_views import DUE_SOON_DAYS
from meetings.models import FollowUp
from meetings.services import meeting_record
from tests.factories import FollowUpFactory, MeetingFactory
from tests.meetings.test_admin import run_action
from tests.stakeholders.test_admin import form_data
from tests.stakeholders.test_concurrency import changelist_data

pytestmark = pytest.mark.django_db

Status = FollowUp.Status
A_WHILE_AGO = datetime.date(2025, 2, 27)


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


def change_url(follow_up):
    return reverse("admin:meetings_followup_change", args=[follow_up.pk])


@pytest.mark.parametrize(
    ("before", "completed_before", "after", "completed_after"),
    [
        (Status.OPEN, None, Status.DONE, "today"),
        (Status.IN_PROGRESS, None, Status.DONE, "today"),
        (Status.DONE, A_WHILE_AGO, Status.OPEN, None),
        (Status.DONE, A_WHILE_AGO, Status.CANCELLED, None),
        (Status.OPEN, None, Status.IN_PROGRESS, None),
    ],
)
def test_the_admin_form_keeps_the_completion_day(
    admin_client, before, completed_before, after, completed_after
):
    follow_up = FollowUpFactory(status=before, completed_on=completed_before)
    data = form_data(admin_client.get(change_url(follow_up)))
    data["status"] = after

    response = admin_client.post(change_url(follow_up), data)

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == after
    assert follow_up.completed_on == (
        today() if completed_after == "today" else completed_after
    )
    assert follow_up.history.first().completed_on == follow_up.completed_on


def test_another_change_to_a_done_follow_up_keeps_its_day(admin_client):
    follow_up = FollowUpFactory(status=Status.DONE, completed_on=A_WHILE_AGO)
    data = form_data(admin_client.get(change_url(follow_up)))
    data["notes"] = "Sent by post as well"

    admin_client.post(change_url(follow_up), data)

    follow_up.refresh_from_db()
    assert follow_up.notes == "Sent by post as well"
    assert follow_up.completed_on == A_WHILE_AGO


def test_the_admin_shows_the_completion_day_read_only(admin_client):
    follow_up = FollowUpFactory(status=Status.DONE, completed_on=A_WHILE_AGO)

    page = admin_client.get(change_url(follow_up)).content.decode()
    changelist = admin_client.get(
        reverse("admin:meetings_followup_changelist")
    ).content.decode()

    assert "27 Feb 2025" in page
    assert 'name="completed_on"' not in page
    assert "27 Feb 2025" in changelist


def test_an_editable_changelist_row_sets_the_day(admin_client):
    follow_up = FollowUpFactory(status=Status.OPEN)
    url = reverse("admin:meetings_followup_changelist")
    data = changelist_data(admin_client.get(url))
    data["form-0-status"] = Status.DONE

    assert admin_client.post(url, data).status_code == 302

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_on) == (Status.DONE, today())


def test_mark_done_sets_the_day_and_keeps_that_of_those_done_already(admin_client):
    open_one = FollowUpFactory(status=Status.OPEN)
    done_before = FollowUpFactory(status=Status.DONE, completed_on=A_WHILE_AGO)

    messages = run_action(
        admin_client, "followup", "mark_done", [open_one, done_before]
    )

    open_one.refresh_from_db()
    done_before.refresh_from_db()
    assert open_one.completed_on == today()
    assert done_before.completed_on == A_WHILE_AGO
    assert done_before.history.count() == 1
    assert messages == ["1 follow-up marked done."]


def test_the_meeting_inline_sets_the_day(admin_client):
    follow_up = FollowUpFactory(status=Status.OPEN)
    url = reverse("admin:meetings_meeting_change", args=[follow_up.meeting_id])
    data = form_data(admin_client.get(url))
    data["follow_ups-0-status"] = Status.DONE

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_on) == (Status.DONE, today())


def record_row(follow_up, **changes):
    row = {
        "id": follow_up.pk if follow_up else None,
        "delete": False,
        "action": follow_up.action if follow_up else "New one",
        "owner_organisation": follow_up.owner_organisation if follow_up else None,
        "owner_person": None,
        "due_on": None,
        "status": Status.OPEN,
    }
    return {**row, **changes}


def test_the_recording_page_sets_and_clears_the_day():
    meeting = MeetingFactory()
    done = FollowUpFactory(meeting=meeting, status=Status.OPEN, due_on=None)
    reopened = FollowUpFactory(
        meeting=meeting, status=Status.DONE, completed_on=A_WHILE_AGO, due_on=None
    )
    kept = FollowUpFactory(
        meeting=meeting, status=Status.DONE, completed_on=A_WHILE_AGO, due_on=None
    )

    meeting_record(
        meeting=meeting,
        initiators=[],
        attendance=[],
        agenda=[],
        follow_ups=[
            record_row(done, status=Status.DONE),
            record_row(reopened, status=Status.IN_PROGRESS),
            record_row(kept, status=Status.DONE, action="Renamed"),
            record_row(None, status=Status.DONE),
        ],
    )

    completed = dict(meeting.follow_ups.values_list("action", "completed_on"))
    assert completed == {
        done.action: today(),
        reopened.action: None,
        "Renamed": A_WHILE_AGO,
        "New one": today(),
    }


# The start page


def home_counts(response):
    content = response.content.decode()
    found = {}
    for name in ("overdue", "due-soon"):
        match = re.search(
            rf'<a href="([^"]*)">[^<]*</a>\s*<span class="badge[^"]*"[^>]*'
            rf'id="follow-ups-{name}">(\d+)</span>',
            content,
        )
        assert match, f"no count of {name}"
        found[name] = (int(match.group(2)), html.unescape(match.group(1)))
    return found


def test_the_start_page_counts_equal_the_lists_they_link_to(user_client):
    # Overdue: pending and due before today.
    FollowUpFactory.create_batch(3, status=Status.OPEN, due_on=days(-1))
    FollowUpFactory(status=Status.IN_PROGRESS, due_on=days(-30))
    # Due soon: pending, from today to DUE_SOON_DAYS days on.
    FollowUpFactory(status=Status.OPEN, due_on=today())
    FollowUpFactory(status=Status.IN_PROGRESS, due_on=days(DUE_SOON_DAYS))
    # Neither.
    FollowUpFactory(status=Status.OPEN, due_on=days(DUE_SOON_DAYS + 1))
    FollowUpFactory(status=Status.DONE, due_on=days(-1))
    FollowUpFactory(status=Status.CANCELLED, due_on=days(1))
    FollowUpFactory(status=Status.OPEN, due_on=None)

    counts = home_counts(user_client.get("/"))

    assert counts["overdue"][0] == 4
    assert counts["due-soon"][0] == 2
    for count, url in counts.values():
        listed = user_client.get(url)
        assert listed.status_code == 200
        assert listed.context["paginator"].count == count


def test_the_start_page_counts_are_zero_with_no_follow_ups(user_client):
    counts = home_counts(user_client.get("/"))

    assert counts["overdue"][0] == 0
    assert counts["due-soon"][0] == 0
