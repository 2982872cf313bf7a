import csv
import io

import pytest
from playwright.sync_api import expect

from meetings.services import demo_load
from tests.browser.conftest import ARTIFACTS

# The live server reads the database from another thread: the data must be
# committed, so these tests are transactional (see conftest for what a flush
# takes away).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seed():
    return demo_load()


def test_a_manager_logs_in_and_sees_the_start_page(logged_in):
    expect(logged_in.get_by_role("heading", level=1)).to_have_text(
        "Partners, people and meetings"
    )
    expect(logged_in.get_by_role("navigation", name="Main")).to_contain_text("Dilnoza")


def test_filtering_by_type_donor_lists_the_donors_only(logged_in, live_server, seed):
    logged_in.get_by_role("link", name="Organisations", exact=True).click()
    logged_in.get_by_label("Donor / development bank").check()
    logged_in.get_by_role("button", name="Apply").click()

    results = logged_in.locator("table")
    for donor in ("KfW", "GIZ", "UNOPS"):
        expect(results).to_contain_text(donor)
    expect(results).not_to_contain_text("Ministry of Health")
    expect(logged_in.get_by_role("heading", name="3 results")).to_be_visible()
    assert "type=donor" in logged_in.url


def test_the_seed_meeting_shows_every_organisation_with_its_role(
    logged_in, live_server, seed
):
    logged_in.goto(f"{live_server.url}/meetings/")
    logged_in.get_by_role("link", name=seed.title).click()

    page_text = logged_in.locator("main")
    for attendance in seed.attendances.select_related("organisation"):
        expect(page_text).to_contain_text(attendance.organisation.name)
    for role in ("Host", "Presenter", "Participant"):
        expect(page_text).to_contain_text(role)


def test_the_organisation_picker_suggests_as_you_type(logged_in, live_server, seed):
    logged_in.goto(f"{live_server.url}/organisations/")
    picker = logged_in.get_by_role("combobox", name="Part of")
    picker.press_sequentially("Wo")

    suggestion = logged_in.get_by_role("option", name="World Health Organization (WHO)")
    suggestion.click()
    expect(picker).to_have_value("World Health Organization (WHO)")
    logged_in.get_by_role("button", name="Apply").click()

    expect(logged_in.locator("table")).to_contain_text(
        "WHO Representative Office in Uzbekistan"
    )
    expect(logged_in.get_by_role("heading", name="1 result")).to_be_visible()


def test_the_filtered_list_exports_as_csv(logged_in, live_server, seed):
    logged_in.goto(f"{live_server.url}/organisations/?type=donor")
    with logged_in.expect_download() as download_info:
        logged_in.get_by_role("link", name="Export CSV").click()
    download = download_info.value

    rows = list(csv.reader(io.StringIO(download.path().read_text("utf-8-sig"))))
    assert rows[0][:4] == ["Name", "Name in English", "Acronym", "Type"]
    assert sorted(row[2] for row in rows[1:]) == ["GIZ", "KfW", "UNOPS"]


def test_a_coordinator_decides_sixty_new_names_at_once_on_a_phone(
    browser, live_server, seed, superuser, tmp_path
):
    """The import preview on a 390 px phone: the questions stack instead of
    running off the screen, the question pages and the bulk choice work,
    and the import writes every row."""
    sheet = tmp_path / "sheet.csv"
    with sheet.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Organisation", "Role", "Status"])
        for number in range(1, 61):
            writer.writerow(
                [f"Regional Health Department No {number}", "participant", "attended"]
            )
    phone = {"width": 390, "height": 844}
    context = browser.new_context(viewport=phone, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(superuser.username)
        page.get_by_label("Password").fill("a-long-test-password")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/admin/meetings/meeting/{seed.pk}/import/")
        page.set_input_files("input[type=file]", sheet)
        page.get_by_role("button", name="Read the sheet").click()

        expect(page.locator("#import-question-pages")).to_contain_text("page 1 of 2")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Apply, then next questions ›").click()
        expect(page.locator("#import-question-pages")).to_contain_text("page 2 of 2")

        page.select_option("#id_bulk-new", "unlike")
        page.get_by_role("button", name="Apply my choices to the preview").click()
        expect(page.locator("#import-summary")).to_contain_text("60 new organisations")
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("60 new organisations")
    finally:
        page.screenshot(path=ARTIFACTS / "import-on-a-phone.png", full_page=True)
        context.close()
