"""The stakeholder map in a browser, on the seed meeting's organisations: the
map drawn with a mark per assessed organisation, a mark's link to its
organisation, an assessment recorded there that moves the mark, the
comparison's arrows and the PNG download, on a 1366×768 screen and on a
phone. Screenshots in test-artifacts/map-*.png, copied to docs/images/ for
docs/map.md."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from meetings.services import demo_load
from stakeholders.models import Assessment
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_record import log_in_as_editor, no_horizontal_overflow

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def marks(page):
    return page.locator("svg.stakeholder-map-svg a")


def test_a_manager_reads_the_map_and_a_coordinator_moves_a_mark(
    browser, live_server, django_user_model, role
):
    demo_load()
    assessed = Assessment.objects.latest_per_organisation().count()
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, DESKTOP
    )
    try:
        page.get_by_role("link", name="Map", exact=True).click()
        expect(page.get_by_role("heading", name="Stakeholder map")).to_be_visible()
        expect(marks(page)).to_have_count(assessed)
        for words in ["Manage closely", "Keep satisfied", "Keep informed", "Monitor"]:
            expect(page.locator("svg.stakeholder-map-svg")).to_contain_text(words)
        expect(page.locator("table.assessments tbody tr")).to_have_count(assessed)
        assert no_horizontal_overflow(page)
        page.screenshot(path=ARTIFACTS / "map-desktop.png", full_page=True)

        # The comparison with a day before the meeting: arrows for the
        # organisations assessed on both days that moved.
        page.goto(f"{live_server.url}/map/?compare=2024-12-01")
        # WHO, UZINFOCOM, the Ministry of Digital Technologies and GIZ.
        arrows = page.locator("svg.stakeholder-map-svg g[marker-end] line")
        expect(arrows).to_have_count(4)
        page.locator("svg.stakeholder-map-svg").screenshot(
            path=ARTIFACTS / "map-desktop-compare.png"
        )

        # The PNG, drawn from the SVG in the browser.
        with page.expect_download() as download:
            page.get_by_role("button", name="Download PNG").click()
        png = Path(download.value.path()).read_bytes()
        assert png.startswith(b"\x89PNG")

        # A mark leads to its organisation, where a new assessment moves it.
        page.goto(f"{live_server.url}/map/")
        marks(page).filter(has_text="Statistics Agency").click()
        expect(page.locator("h1")).to_contain_text("Statistics Agency")
        form = page.locator("form", has_text="Record a new assessment")
        form.get_by_label("Influence (1–5)").fill("5")
        form.get_by_label("Interest (1–5)").fill("9")
        form.get_by_role("button", name="Save assessment").click()
        expect(page.locator("#id_interest_error")).to_contain_text("Interest")
        form = page.locator("form", has_text="Record a new assessment")
        form.get_by_label("Interest (1–5)").fill("5")
        form.get_by_label("Stance").select_option("supportive")
        form.get_by_role("button", name="Save assessment").click()
        expect(page.locator(".alert-success")).to_contain_text("Assessment recorded")
        latest = page.locator("section[aria-labelledby=assessment-heading] dl")
        expect(latest).to_contain_text("Manage closely")
        page.screenshot(path=ARTIFACTS / "map-organisation-assessed.png")
    finally:
        context.close()

    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, PHONE
    )
    try:
        page.goto(f"{live_server.url}/map/")
        expect(marks(page)).to_have_count(assessed)
        assert no_horizontal_overflow(page)
        box = page.locator("svg.stakeholder-map-svg").bounding_box()
        assert box["width"] <= PHONE["width"]
        page.screenshot(path=ARTIFACTS / "map-phone.png", full_page=True)
    finally:
        context.close()
    DOCS_IMAGES.mkdir(exist_ok=True)
    for name in ("map-desktop.png", "map-phone.png"):
        shutil.copyfile(ARTIFACTS / name, DOCS_IMAGES / name)
