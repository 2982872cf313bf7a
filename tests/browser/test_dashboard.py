"""The engagement dashboard on the start page in a browser, as a manager reads
it on a 1366×768 screen and on a phone: the month chart and its table, a
month's link to the meetings it counts, the dormant partners for another N
and their link to the organisations list. Screenshots in
test-artifacts/dashboard-*.png, copied to docs/images/ for the guide."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings import dashboard
from meetings.models import Attendance, FollowUp, Meeting
from meetings.services import demo_load
from stakeholders.models import Organisation, OrganisationType
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_record import log_in_as_editor, no_horizontal_overflow
from tests.factories import AttendanceFactory, MeetingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def local(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def engagement():
    """The seed meeting, two years of meetings (a few cancelled), partners met
    lately and partners gone quiet, and two overdue follow-ups."""
    seed = demo_load()
    today = timezone.localdate()
    donor = OrganisationType.objects.get(slug="donor")
    ministry = OrganisationType.objects.get(slug="ministry")
    partners = [
        OrganisationFactory(name=f"{name} partner", type=kind)
        for name, kind in [
            ("Asian Development", donor),
            ("Islamic Development", donor),
            ("Ministry of Preschool Education", ministry),
            ("Korea International Cooperation", donor),
        ]
    ]
    this_month = today.replace(day=1)
    for months in range(23, -1, -1):
        first = dashboard.months_before(this_month, months)
        for n in range(2 + (months * 7) % 5):
            meeting = MeetingFactory(
                title=f"Working group {first:%Y-%m} #{n + 1}",
                starts_at=local(first + datetime.timedelta(days=n * 3)),
                status=Meeting.Status.CANCELLED
                if n == 3
                else Meeting.Status.HELD
                if months
                else Meeting.Status.PLANNED,
                host=None,
            )
            # The first partners stopped coming a year ago, the others eight
            # months and one month ago.
            for index, partner in enumerate(partners):
                if months >= (12, 12, 8, 1)[index] and n < 2:
                    AttendanceFactory(
                        meeting=meeting,
                        organisation=partner,
                        person=None,
                        status=Attendance.Status.ATTENDED,
                    )
    for days, action in ((30, "Send the budget estimate"), (9, "Share the minutes")):
        FollowUp.objects.create(
            meeting=seed,
            action=action,
            due_on=today - datetime.timedelta(days=days),
            owner_organisation=Organisation.objects.get(acronym="WHO"),
        )
    return partners


def test_a_manager_reads_the_dashboard_and_follows_its_links(
    browser, live_server, django_user_model, role, engagement
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, DESKTOP
    )
    try:
        expect(page.locator("#months-heading")).to_have_text("Meetings per month")
        expect(page.locator(".month-chart .chart-bar")).to_have_count(24)
        # The seed meeting's organisations (January 2025) and three partners.
        expect(page.locator("#dormant-table")).to_contain_text("Asian Development")
        six = int(page.locator("#dormant-count").inner_text())
        expect(page.locator("#most-overdue")).to_contain_text("Overdue by 30 days")
        expect(page.locator("#met-total")).to_have_text("1")
        assert no_horizontal_overflow(page)
        page.screenshot(path=ARTIFACTS / "dashboard-desktop.png", full_page=True)

        # The table under the chart, and its last month's link.
        page.get_by_text("The same figures as a table").click()
        last = page.locator("#months-table tbody tr").first.locator("a").first
        expect(last).to_be_visible()
        shown = last.inner_text()
        last.click()
        expect(page.locator("#results-heading")).to_contain_text(f"{shown} result")

        # Another N: a year without a meeting leaves out the partner last
        # met eight months ago.
        page.goto(f"{live_server.url}/")
        page.get_by_label("Months without a meeting").fill("12")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#dormant-count")).to_have_text(str(six - 1))
        assert "dormant_months=12" in page.url
        page.get_by_role("link", name="Active, not met for 12 months").click()
        expect(page.locator("#results-heading")).to_contain_text(f"{six - 1} results")
        expect(page.locator("table")).not_to_contain_text("Ministry of Preschool")
    finally:
        context.close()

    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, PHONE
    )
    try:
        expect(page.locator(".month-chart .chart-bar")).to_have_count(24)
        assert no_horizontal_overflow(page)
        page.screenshot(path=ARTIFACTS / "dashboard-phone.png", full_page=True)
        page.get_by_label("Months without a meeting").fill("40")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#id_dormant_months_error")).to_contain_text(
            "Months without a meeting:"
        )
        assert no_horizontal_overflow(page)

        # In Russian the dormant partners' headings are longer ("Последняя
        # встреча" beside dates like "1 июня 2026 г."): the table still fits.
        context.add_cookies(
            [{"name": "django_language", "value": "ru", "url": live_server.url}]
        )
        page.goto(f"{live_server.url}/")
        expect(page.locator("#dormant-table caption")).to_have_text(
            "Больше всего встреч до затишья"
        )
        assert no_horizontal_overflow(page)
    finally:
        context.close()

    DOCS_IMAGES.mkdir(exist_ok=True)
    for name in ("dashboard-desktop.png", "dashboard-phone.png"):
        shutil.copy(ARTIFACTS / name, DOCS_IMAGES / name)
