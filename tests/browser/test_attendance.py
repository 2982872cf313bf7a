"""The attendance matrix in a browser, on a laptop (1366×768) and a phone
(390×844): the list, and the pivot of the founding meeting and a few more,
which on a phone scrolls sideways inside its box with the organisations'
column kept in view. Screenshots in test-artifacts/attendance-*.png."""

import datetime

import pytest
from playwright.sync_api import expect

from meetings.models import Attendance
from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.browser.conftest import ARTIFACTS, PASSWORD
from tests.factories import AttendanceFactory, MeetingFactory

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


@pytest.fixture
def meetings():
    """The founding meeting and eight more after it, with the donors and
    ministries of the seed in various roles and statuses."""
    seed = demo_load()
    statuses = list(Attendance.Status)
    organisations = list(
        Organisation.objects.filter(attendances__meeting=seed).order_by("name")
    )
    for number in range(8):
        meeting = MeetingFactory(
            title=f"Digital health working group {number + 1}",
            starts_at=seed.starts_at + datetime.timedelta(days=14 * (number + 1)),
            host=organisations[number % len(organisations)],
        )
        for index, organisation in enumerate(organisations):
            if (index + number) % 3 == 0:
                continue
            AttendanceFactory(
                meeting=meeting,
                organisation=organisation,
                person=None,
                status=statuses[(index + number) % len(statuses)],
            )
    return seed


def open_page(browser, live_server, viewer, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(viewer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def shoot(page, name, *, full_page=True):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"attendance-{name}.png", full_page=full_page)


@pytest.mark.parametrize("size", SIZES)
def test_which_donors_came_to_which_meetings(
    browser, live_server, viewer, meetings, size
):
    context, page = open_page(browser, live_server, viewer, size)
    try:
        if size == "phone":
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("link", name="Attendance", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Attendance")
        expect(page.locator("table")).to_contain_text("KfW Bank")
        if size == "phone":
            # A card a row, nothing sideways; the sort stays at hand.
            wide = page.evaluate(
                "() => [...document.querySelectorAll('.table-responsive')]"
                ".some(b => b.scrollWidth > b.clientWidth)"
            )
            assert not wide
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            sort = page.get_by_role("link", name="Organisation", exact=True)
            expect(sort).to_be_visible()
        shoot(page, f"list-{size}")
        # What a reader sees first.
        shoot(page, f"list-{size}-first-screen", full_page=False)

        page.get_by_role("link", name="Organisations × meetings").click()
        if size == "phone":
            # The filter is folded away on a phone, the table on top.
            expect(page.get_by_label("Donor / development bank")).to_be_hidden()
            page.get_by_role("button", name="Filter").click()
            # Unfolded (Bootstrap's collapse has finished) before the form is
            # used: a click during the transition can be lost on a busy machine.
            expect(page.locator("#list-filter.show")).to_be_visible()
        page.get_by_label("Donor / development bank").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Apply").click()

        expect(
            page.get_by_role("heading", name="3 organisations × 9 meetings")
        ).to_be_visible()
        table = page.locator("table.pivot")
        rows = table.locator("tbody th")
        # A phone's narrow column shows the acronyms.
        names = {
            "desktop": [
                "Deutsche Gesellschaft für Internationale Zusammenarbeit",
                "KfW Bank",
                "United Nations Office for Project Services",
            ],
            "phone": ["GIZ", "KfW", "UNOPS"],
        }
        expect(rows).to_have_text(names[size], use_inner_text=True)
        expect(table.locator("thead th").nth(9)).to_contain_text("29 Jan 2025")
        assert "view=pivot" in page.url
        assert "type=donor" in page.url
        shoot(page, f"pivot-{size}")

        box = page.locator(".pivot-scroll")
        scrolls = box.evaluate("b => b.scrollWidth > b.clientWidth")
        if size == "phone":
            # Wider than the phone: it scrolls inside its box, not the page.
            assert scrolls
            assert page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"
            )
            first = rows.first
            before = first.bounding_box()["x"]
            box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
            page.wait_for_timeout(100)
            assert first.bounding_box()["x"] == pytest.approx(before, abs=1)
            assert before == pytest.approx(box.bounding_box()["x"], abs=2)
            shoot(page, f"pivot-{size}-scrolled")
    finally:
        context.close()
