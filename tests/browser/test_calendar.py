"""A manager subscribes to the WHO office's meetings in a browser: on "My
calendar" they tick a type, pick the WHO country office, save, and get the
address once; the address serves its coming meeting as an iCalendar file.
On a 1366×768 screen and on a phone, with no serious accessibility
violation. Screenshots in test-artifacts/calendar-*.png."""

import datetime

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Meeting
from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, PASSWORD, open_user_menu
from tests.browser.test_record import no_horizontal_overflow, pick

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


@pytest.mark.parametrize("screen", SCREENS)
def test_a_manager_subscribes_to_the_meetings_of_the_who_office(
    browser, live_server, django_user_model, role, screen
):
    demo_load()
    # The seed's meeting is from January 2025, more than the feed's year
    # back: a meeting the WHO office hosts next week.
    who = Organisation.objects.get(name="WHO Representative Office in Uzbekistan")
    Meeting.objects.create(
        title="Partners' plan for 2027",
        starts_at=timezone.now() + datetime.timedelta(days=7),
        host=who,
    )
    user = django_user_model.objects.create_user(
        username=f"manager-{screen}", password=PASSWORD
    )
    user.groups.add(role("viewer"))
    context = browser.new_context(viewport=SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        open_user_menu(page, user.username)
        page.get_by_role("link", name="My calendar").click()

        page.get_by_label("Donor / development bank").check()
        # The search box the picker puts in the field's place (by its role,
        # so that nothing is typed into the field before static/js/picker.js
        # has replaced it: on a loaded machine the typing came first).
        box = page.get_by_role("combobox", name="Add an organisation")
        pick(page, box, "WHO Rep", who.name)
        page.get_by_role("button", name="Save and make my address").click()

        address = page.get_by_label("Address").input_value()
        assert "/calendar/" in address
        followed = page.get_by_role("group", name="Organisations followed")
        expect(followed.get_by_role("checkbox", name=who.name)).to_be_checked()
        assert no_horizontal_overflow(page)
        assert violations(page) == []
        page.screenshot(path=ARTIFACTS / f"calendar-{screen}.png", full_page=True)

        feed = context.request.get(address)
        assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
        titles = [
            str(event["summary"])
            for event in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
        ]
        assert titles == ["Partners' plan for 2027"]
    finally:
        context.close()
