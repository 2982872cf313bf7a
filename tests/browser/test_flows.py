import csv
import io

import pytest
from playwright.sync_api import expect

from meetings.services import demo_load

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
    assert rows[0][:3] == ["Name", "Acronym", "Type"]
    assert sorted(row[1] for row in rows[1:]) == ["GIZ", "KfW", "UNOPS"]
