"""An organisation's timeline in a browser, on a desktop (1366×768) and on a
390 px phone: the events newest first, each kind in words, nothing wider
than the screen, and an event's link leading to its record."""

import datetime

import pytest
from playwright.sync_api import expect

from meetings.models import Attendance, FollowUp
from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.browser.conftest import ARTIFACTS, PASSWORD
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {
    "desktop": ({"width": 1366, "height": 768}, False),
    "phone": ({"width": 390, "height": 844}, True),
}


def who_office_with_a_history():
    """The seed meeting's host, with people who came and went, a second
    meeting with a person presenting, and two follow-ups, one of them done."""
    seed = demo_load()
    office = Organisation.objects.get(name="WHO Representative Office in Uzbekistan")
    representative = PersonFactory(full_name="Nodira Yusupova")
    PositionFactory(
        person=representative,
        organisation=office,
        title="Health information systems officer",
        department="Digital health",
        since=datetime.date(2024, 9, 1),
    )
    PositionFactory(
        person=PersonFactory(full_name="Jamshid Tursunov"),
        organisation=office,
        title="Programme assistant",
        since=datetime.date(2023, 3, 1),
        until=datetime.date(2025, 2, 28),
    )
    AttendanceFactory(
        organisation=office,
        person=representative,
        role=Attendance.Role.PRESENTER,
        status=Attendance.Status.ATTENDED,
        meeting=MeetingFactory(
            title="Working group on the national health information system",
            starts_at=seed.starts_at + datetime.timedelta(days=40),
        ),
    )
    FollowUpFactory(
        meeting=seed,
        owner_organisation=office,
        owner_person=representative,
        action="Circulate the overview of WHO digital health initiatives to all "
        "participants, with the standards mentioned in the presentation",
        due_on=datetime.date(2025, 2, 14),
    )
    done = FollowUpFactory(
        meeting=seed,
        owner_organisation=office,
        action="Agree the date of the next meeting with UZINFOCOM",
        due_on=datetime.date(2025, 2, 7),
    )
    done.status = FollowUp.Status.DONE
    done.record_completion(FollowUp.Status.OPEN, today=datetime.date(2025, 2, 6))
    done.save()
    return office, seed


@pytest.mark.parametrize("screen", SCREENS)
def test_an_organisations_timeline_reads_on_a_desktop_and_a_phone(
    browser, live_server, viewer, screen
):
    office, seed = who_office_with_a_history()
    viewport, is_mobile = SCREENS[screen]
    context = browser.new_context(viewport=viewport, is_mobile=is_mobile)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(viewer.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/organisations/{office.pk}/")
        page.get_by_role("link", name="Timeline").click()
        page.wait_for_url(f"{live_server.url}/organisations/{office.pk}/timeline/")

        expect(page.get_by_role("heading", level=1)).to_contain_text("Timeline")
        events = page.locator("li.timeline-event")
        expect(events.first).to_be_visible()
        kinds = page.locator(".timeline-kind").all_inner_texts()
        for kind in [
            "Meeting",
            "Position started",
            "Position ended",
            "Follow-up due",
            "Follow-up done",
            "Record created",
        ]:
            assert kind in kinds, kind
        seed_event = page.locator("li.timeline-meeting").filter(has_text=seed.title)
        expect(seed_event).to_contain_text("hosted")
        expect(seed_event).to_contain_text("Host")
        assert (
            page.evaluate("document.documentElement.scrollWidth") <= (viewport["width"])
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"timeline-organisation-{screen}.png")
        page.screenshot(
            path=ARTIFACTS / f"timeline-organisation-{screen}-full.png",
            full_page=True,
        )

        seed_event.get_by_role("link", name=seed.title).click()
        page.wait_for_url(f"{live_server.url}/meetings/{seed.pk}/")
    finally:
        context.close()
