"""The follow-up worklist (/follow-ups/), continued from test_follow_up_list.py:
the completion day the status form sets and the list shows, the ``mine``
filter (the follow-ups of the person with the user's email and of their
organisations today), the overdue mark on the meeting page, and the admin's
search of follow-ups."""

import datetime

import pytest

from meetings.services import StaleChange, follow_up_status_change
from tests.factories import (
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    PositionFactory,
)
from tests.meetings.test_follow_up_list import LIST, Status, days, listed, today

pytestmark = pytest.mark.django_db


# Completion date


def test_done_sets_the_completion_day_and_reopening_clears_it():
    follow_up = FollowUpFactory(status=Status.OPEN)

    done = follow_up_status_change(
        follow_up_id=follow_up.pk, status=Status.DONE, seen_version=1
    )
    assert done.completed_on == today()
    reopened = follow_up_status_change(
        follow_up_id=follow_up.pk, status=Status.OPEN, seen_version=2
    )

    follow_up.refresh_from_db()
    assert reopened.completed_on is None
    assert follow_up.completed_on is None
    # History keeps the day it was done.
    assert [h.completed_on for h in follow_up.history.order_by("history_id")] == [
        None,
        today(),
        None,
    ]


def test_a_stale_version_raises_and_writes_nothing():
    follow_up = FollowUpFactory(status=Status.OPEN)

    with pytest.raises(StaleChange):
        follow_up_status_change(
            follow_up_id=follow_up.pk, status=Status.DONE, seen_version=7
        )

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_on) == (Status.OPEN, None)


def test_the_list_shows_the_completion_day(admin_client):
    FollowUpFactory(
        status=Status.DONE,
        completed_on=datetime.date(2025, 2, 27),
    )

    response = admin_client.get(LIST)

    assert "27 Feb 2025" in response.content.decode()


# Mine: the follow-ups of the person with the user's email, and of the
# organisations where that person works today.


def test_mine_lists_the_users_person_and_their_organisations_today(client, viewer):
    viewer.email = "Aziza.Karimova@example.org"
    viewer.save()
    aziza = PersonFactory(
        full_name="Aziza Karimova", email="aziza.karimova@example.org"
    )
    works_at = OrganisationFactory(name="Ministry of Health")
    worked_at = OrganisationFactory(name="Statistics Agency")
    PositionFactory(person=aziza, organisation=works_at, since=days(-400), until=None)
    PositionFactory(
        person=aziza, organisation=worked_at, since=days(-900), until=days(-401)
    )
    FollowUpFactory(action="Hers", owner_person=aziza, due_on=days(1))
    FollowUpFactory(
        action="Her ministry's", owner_organisation=works_at, due_on=days(2)
    )
    FollowUpFactory(action="Her old agency's", owner_organisation=worked_at)
    FollowUpFactory(action="Someone else's", owner_person=PersonFactory())
    client.force_login(viewer)

    response = client.get(LIST, {"mine": "true"})

    assert response.status_code == 200
    assert listed(response) == ["Hers", "Her ministry's"]
    assert "No follow-up is yours" not in response.content.decode()


def test_mine_says_why_it_is_empty_when_no_person_has_the_users_email(client, viewer):
    viewer.email = "nobody@example.org"
    viewer.save()
    FollowUpFactory(action="Someone else's", owner_person=PersonFactory())
    client.force_login(viewer)

    response = client.get(LIST, {"mine": "true"})

    assert response.status_code == 200
    assert listed(response) == []
    assert "No follow-up is yours" in response.content.decode()


def test_a_user_without_an_email_has_no_follow_ups_of_their_own(client, viewer):
    PersonFactory(email="")
    FollowUpFactory(action="Someone else's", owner_person=PersonFactory(email=""))
    client.force_login(viewer)

    response = client.get(LIST, {"mine": "true"})

    assert listed(response) == []


def test_the_meeting_page_marks_an_overdue_follow_up_too(user_client):
    meeting = MeetingFactory()
    FollowUpFactory(meeting=meeting, action="Late", due_on=days(-4))
    FollowUpFactory(
        meeting=meeting, action="Late but done", due_on=days(-4), status=Status.DONE
    )

    content = user_client.get(f"/meetings/{meeting.pk}/").content.decode()

    assert content.count("Overdue by 4 days") == 1


def test_the_admin_finds_follow_ups_as_the_worklist_does(admin_client):
    FollowUpFactory(
        action="Send the draft roadmap",
        owner_person=PersonFactory(full_name="Aziza Karimova"),
    )
    FollowUpFactory(action="Book a room")

    response = admin_client.get("/admin/meetings/followup/", {"q": "Каримова"})

    assert [str(f) for f in response.context["cl"].result_list] == [
        "Send the draft roadmap"
    ]


def test_a_term_too_short_for_the_indexes_searches_actions_and_notes_alone(
    admin_client, django_assert_num_queries
):
    FollowUpFactory(action="Send the EU draft", owner_organisation=None)
    FollowUpFactory(
        action="Book a room", owner_organisation=OrganisationFactory(acronym="EU")
    )

    # session, user, count, page (no organisation or person searched; the
    # row found has no owner organisation to name in the reader's language)
    with django_assert_num_queries(4):
        response = admin_client.get(LIST, {"q": "EU"})

    assert listed(response) == ["Send the EU draft"]
