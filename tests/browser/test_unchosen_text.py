"""Text left in a type-ahead box, typed but never chosen, is not dropped in
silence: the form is not sent and the box says what to do.

Before, the form went without it: a host whose name had lost a letter was
removed from the meeting, a topic typed without Enter never reached the
agenda, and a filter typed without choosing listed everyone."""

import re

import pytest
from playwright.sync_api import expect

from meetings.models import Meeting

from .test_record import LAPTOP, log_in_as_editor, pick, world  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

INVALID = re.compile(r"\bis-invalid\b")


def test_a_meeting_is_not_saved_without_what_was_typed_but_not_chosen(
    browser,
    live_server,
    django_user_model,
    role,
    world,  # noqa: F811
):
    meeting = Meeting.objects.get()
    host = meeting.host
    topics_before = meeting.agenda_items.count()
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        edit = f"{live_server.url}/meetings/{meeting.pk}/edit/"
        page.goto(edit)
        host_box = page.get_by_role("combobox", name="Host")
        expect(host_box).to_have_value(host.name)
        host_box.focus()
        host_box.press("End")
        host_box.press("Backspace")  # the host's name, a letter short
        topics = page.get_by_role("combobox", name="Add topics, in order")
        topics.press_sequentially("Data exchange standards")  # no Enter
        page.get_by_role("button", name="Save", exact=True).click()

        expect(host_box).to_have_class(INVALID)
        expect(host_box).to_have_accessible_description(
            re.compile(f"“{host.name[:-1]}” is not chosen: choose it from the")
        )
        expect(topics).to_have_class(INVALID)
        expect(topics).to_have_accessible_description(
            "“Data exchange standards” is not added yet: press Enter to add it, "
            "or clear the box."
        )
        expect(host_box).to_be_focused()
        assert page.url == edit
        meeting.refresh_from_db()
        assert meeting.host == host
        assert meeting.agenda_items.count() == topics_before

        # Done as the boxes say, each box is itself again and the save keeps
        # both.
        topics.press("Enter")
        expect(topics).not_to_have_class(INVALID)
        host_box.fill("")
        pick(page, host_box, "WHO Rep", host.name)
        expect(host_box).not_to_have_class(INVALID)
        expect(page.locator(".invalid-feedback:visible")).to_have_count(0)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(meeting.title)
        meeting.refresh_from_db()
        assert meeting.host == host
        assert meeting.agenda_items.filter(
            topic__name="Data exchange standards"
        ).exists()
    finally:
        context.close()


def test_a_filter_is_not_applied_without_the_organisation_typed_in_it(
    browser,
    live_server,
    django_user_model,
    role,
    world,  # noqa: F811
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        page.goto(f"{live_server.url}/people/")
        box = page.get_by_role("combobox", name="Organisation")
        box.press_sequentially("Ministry of He")
        box.press("Escape")
        box.press("Enter")

        expect(box).to_have_class(INVALID)
        expect(box).to_have_accessible_description(
            re.compile("“Ministry of He” is not chosen")
        )
        assert page.url == f"{live_server.url}/people/"

        box.fill("")
        pick(page, box, "Ministry of He", "Ministry of Health")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"[?&]organisation=\d+"))
    finally:
        context.close()
