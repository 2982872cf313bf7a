"""Leaving a page with a changed form asks first (static/js/unsaved.js):
before, a link clicked by mistake halfway through recording a meeting lost
everything typed, without a word."""

import pytest
from playwright.sync_api import expect

from meetings.models import Meeting

from .test_record import LAPTOP, log_in_as_editor

pytestmark = pytest.mark.django_db(transaction=True)


def leave_by_link(page, name):
    """Click the navbar's ``name``; the kinds of the dialogs the browser
    showed meanwhile, each dismissed (stay on the page)."""
    shown = []

    def dismiss(dialog):
        shown.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    try:
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_timeout(500)
    finally:
        page.remove_listener("dialog", dismiss)
    return shown


def test_leaving_a_meeting_half_recorded_asks_first(
    browser, live_server, django_user_model, role
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        record = f"{live_server.url}/meetings/record/"
        page.goto(record)
        # Nothing typed yet: the link just leaves.
        assert leave_by_link(page, "People") == []
        expect(page).to_have_url(f"{live_server.url}/people/")

        page.goto(record)
        page.get_by_label("Title").fill("Half recorded")
        assert leave_by_link(page, "People") == ["beforeunload"]
        expect(page).to_have_url(record)
        expect(page.get_by_label("Title")).to_have_value("Half recorded")

        # Saving is not leaving.
        page.get_by_label("Date").fill("2025-02-12")
        page.on("dialog", lambda dialog: pytest.fail(f"asked on save: {dialog.type}"))
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Half recorded")
        assert Meeting.objects.filter(title="Half recorded").exists()
    finally:
        context.close()


def test_a_form_shown_again_unsaved_counts_as_changed(
    browser, live_server, django_user_model, role
):
    """The server shows the recording page again, unsaved, when it has an
    error to show: leaving it then would lose what was sent."""
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        page.goto(f"{live_server.url}/meetings/record/")
        page.get_by_label("Title").fill("Dated wrongly")
        page.get_by_label("Date").fill("0001-01-01")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#record-form")).to_have_attribute("data-unsaved", "")
        assert leave_by_link(page, "People") == ["beforeunload"]
    finally:
        context.close()


def test_the_admins_row_selection_is_not_a_change(
    browser, live_server, django_user_model, role
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        Meeting.objects.create(title="Selected", starts_at="2025-02-12T10:00+05:00")
        page.goto(f"{live_server.url}/admin/meetings/meeting/")
        page.locator("input.action-select").first.check()
        page.get_by_label("Action:").select_option(index=1)
        assert leave_by_link(page, "View site") == []
        expect(page).to_have_url(f"{live_server.url}/")
    finally:
        context.close()
