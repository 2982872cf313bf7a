"""The lists on a 390 px phone: the results come first, the filter folded under
a button; unfolded, it filters as on a wide screen."""

import pytest
from playwright.sync_api import expect

from meetings.services import demo_load
from tests.browser.conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def test_on_a_phone_the_results_come_first_and_the_filter_unfolds(
    browser, live_server, viewer
):
    demo_load()
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(viewer.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/organisations/")
        results = page.get_by_role("heading", name="12 results")
        expect(results).to_be_in_viewport()
        expect(page.get_by_label("Search")).to_be_hidden()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "phone-organisations-folded.png")

        page.get_by_role("button", name="Filter").click()
        page.get_by_label("Donor / development bank").check()
        page.get_by_role("button", name="Apply").click()

        expect(page.get_by_role("heading", name="3 results")).to_be_in_viewport()
        expect(page.get_by_role("button", name="Filter · 1 in use")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=ARTIFACTS / "phone-organisations-filtered.png")
    finally:
        context.close()
