"""The follow-up worklist in a browser: from the start page's overdue count to
the list, and a status changed from a row, on a 1366×768 screen and on a
phone. Screenshots in test-artifacts/follow-ups-*.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import FollowUp
from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_record import log_in_as_editor, no_horizontal_overflow
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def follow_ups():
    """The seed meeting's follow-ups: two overdue, one due soon, one done."""
    meeting = demo_load()
    today = timezone.localdate()

    def organisation(acronym):
        return Organisation.objects.get(acronym=acronym)

    def make(action, days, status=FollowUp.Status.OPEN, **extra):
        return FollowUp.objects.create(
            meeting=meeting,
            action=action,
            due_on=today + datetime.timedelta(days=days),
            status=status,
            **extra,
        )

    return [
        make(
            "Share the specification of the national health information system "
            "with the Ministry of Health and the State Health Insurance Fund",
            -12,
            owner_organisation=organisation("UZINFOCOM"),
            owner_person=PersonFactory(full_name="Nodira Xasanova"),
        ),
        make(
            "Circulate the minutes",
            -3,
            FollowUp.Status.IN_PROGRESS,
            owner_organisation=organisation("WHO"),
        ),
        make("Propose dates for the next meeting", 5),
        make(
            "Send the list of participants",
            -20,
            FollowUp.Status.DONE,
            completed_on=today - datetime.timedelta(days=25),
        ),
    ]


def change_status(page, action, status):
    row = page.locator("tr", has_text=action)
    row.get_by_label("Status").select_option(status)
    row.get_by_role("button", name="Save").click()


def test_a_coordinator_works_through_the_overdue_follow_ups(
    browser, live_server, django_user_model, role, follow_ups
):
    _specification, minutes, next_meeting, _done = follow_ups
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, DESKTOP
    )
    try:
        expect(page.locator("#follow-ups-overdue")).to_have_text("2")
        page.get_by_role("link", name="Overdue", exact=True).click()
        expect(page.locator("#results-heading")).to_contain_text("2 results")
        expect(page.locator("tr", has_text="Circulate the minutes")).to_contain_text(
            "Overdue by 3 days"
        )
        assert no_horizontal_overflow(page)
        page.screenshot(path=ARTIFACTS / "follow-ups-desktop.png", full_page=True)

        change_status(page, "Circulate the minutes", "done")

        expect(page.locator(".alert-success")).to_contain_text(
            "“Circulate the minutes” is now Done."
        )
        # Back on the overdue list, which no longer has it.
        expect(page.locator("#results-heading")).to_contain_text("1 result")
        assert "overdue=true" in page.url
        minutes.refresh_from_db()
        assert minutes.status == FollowUp.Status.DONE
        assert minutes.completed_on == timezone.localdate()
        page.screenshot(
            path=ARTIFACTS / "follow-ups-desktop-changed.png", full_page=True
        )
    finally:
        context.close()

    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, PHONE
    )
    try:
        page.goto(f"{live_server.url}/follow-ups/")
        expect(page.locator("tr", has_text="Share the specification")).to_contain_text(
            "Overdue by 12 days"
        )
        assert no_horizontal_overflow(page)
        # The headings are folded into the cards, the sort is not.
        due = page.get_by_role("link", name="Due", exact=True)
        expect(due).to_be_visible()
        page.screenshot(path=ARTIFACTS / "follow-ups-phone.png", full_page=True)
        page.locator("tr.follow-up-overdue").first.screenshot(
            path=ARTIFACTS / "follow-ups-phone-overdue-row.png"
        )

        change_status(page, "Propose dates", "in_progress")

        expect(page.locator(".alert-success")).to_contain_text("is now In progress.")
        next_meeting.refresh_from_db()
        assert next_meeting.status == FollowUp.Status.IN_PROGRESS
        page.screenshot(path=ARTIFACTS / "follow-ups-phone-changed.png", full_page=True)
    finally:
        context.close()
