"""What someone types is not lost to the idle sign-out (static/js/session.js).

Before, a meeting recorded over more than the idle limit (30 minutes with no
request: typing makes none) went to the sign-in page on Save, and everything
typed was gone."""

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from accounts.middleware import LAST_SEEN
from meetings.models import Meeting

from .conftest import PASSWORD
from .test_record import LAPTOP, log_in_as_editor

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARY = "Three hours of notes that must not be lost."


def session_of(context):
    """The server's session of the browser ``context``."""
    key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
    return SessionStore(session_key=key)


def idle_for(context, seconds):
    """Move the browser's session's last request ``seconds`` into the past,
    as that long without a request would."""
    session = session_of(context)
    session[LAST_SEEN] = timezone.now().timestamp() - seconds
    session.save()


def test_a_meeting_typed_past_the_idle_limit_is_kept_and_saved_after_signing_in(
    browser, live_server, django_user_model, role
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        page.goto(f"{live_server.url}/meetings/record/")
        page.get_by_label("Title").fill("A long afternoon")
        page.get_by_label("Date").fill("2025-02-12")
        page.get_by_label("Summary", exact=True).fill(SUMMARY)
        idle_for(context, 2 * 3600)
        # The page was opened two hours ago, as far as the script can tell.
        page.evaluate("Date.now = (n => () => n + 2 * 3600 * 1000)(Date.now())")
        save = page.get_by_role("button", name="Save", exact=True)
        save.click()

        notice = page.get_by_role("alert")
        expect(notice).to_contain_text("You were logged out after 30 minutes")
        expect(notice).to_be_focused()
        assert page.url == f"{live_server.url}/meetings/record/"
        expect(page.get_by_label("Summary", exact=True)).to_have_value(SUMMARY)
        assert not Meeting.objects.exists()

        # Signed in again in another tab, the same button saves what was typed.
        other = context.new_page()
        other.goto(f"{live_server.url}/accounts/login/")
        other.get_by_label("Username").fill("coordinator-1366")
        other.get_by_label("Password").fill(PASSWORD)
        other.get_by_label("Password").press("Enter")
        other.wait_for_url(f"{live_server.url}/")
        other.close()
        save.click()

        expect(page.get_by_role("heading", level=1)).to_have_text("A long afternoon")
        assert Meeting.objects.get().summary == SUMMARY
    finally:
        context.close()


def test_typing_keeps_the_session_alive(
    browser, live_server, django_user_model, role, settings
):
    settings.SESSION_REFRESH_SECONDS = 1
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        page.goto(f"{live_server.url}/meetings/record/")
        summary = page.get_by_label("Summary", exact=True)
        with page.expect_request(re.compile(r"/accounts/session/$"), timeout=5000):
            summary.press_sequentially("Typing for a while", delay=150)
        # Asked while typing, the session's idle clock started again.
        seen = session_of(context)[LAST_SEEN]
        assert timezone.now().timestamp() - seen < 5
    finally:
        context.close()


def test_a_page_left_untouched_asks_nothing(
    browser, live_server, django_user_model, role, settings
):
    """Without typing or clicking, nothing keeps the session: a page left
    open on a shared computer still signs out on time."""
    settings.SESSION_REFRESH_SECONDS = 1
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    try:
        asked = []
        page.on(
            "request",
            lambda request: (
                asked.append(request.url)
                if "/accounts/session/" in request.url
                else None
            ),
        )
        page.goto(f"{live_server.url}/meetings/record/")
        page.wait_for_timeout(2500)
        assert asked == []
    finally:
        context.close()
