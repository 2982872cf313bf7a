"""The interface language in a browser: the switch on the login page and in
the navbar, the choice kept for the user (it follows them to another
browser), and screenshots of the main screens in each language at 1366×768,
for a person to read (test-artifacts/language-<code>-<screen>.png)."""

import pytest
from playwright.sync_api import expect

from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.browser.conftest import ARTIFACTS, PASSWORD
from tests.meetings.test_import_admin import SHEET

pytestmark = pytest.mark.django_db(transaction=True)

SCREEN = {"width": 1366, "height": 768}
# Each language's button on the switch (named in that language), and words
# the page then shows: the login button, and a navbar link.
LANGUAGES = {
    "uz": {"button": "Oʻzbekcha", "log_in": "Kirish", "navbar": "Tashkilotlar"},
    "ru": {"button": "Русский", "log_in": "Войти", "navbar": "Организации"},
    "en-gb": {"button": "English", "log_in": "Log in", "navbar": "Organisations"},
}


def switch_to(page, code):
    page.locator(".language-switch").first.get_by_role(
        "button", name=LANGUAGES[code]["button"]
    ).click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(user.username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def log_out(page):
    page.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url("**/accounts/login/**")


def shot(page, code, screen):
    expect(page.locator("html")).to_have_attribute("lang", code)
    page.screenshot(path=ARTIFACTS / f"language-{code}-{screen}.png", full_page=True)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=SCREEN)
    yield context
    context.close()


def test_the_language_is_chosen_on_the_login_page_and_in_the_navbar(
    browser, context, live_server, viewer
):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    for code, words in LANGUAGES.items():
        switch_to(page, code)
        expect(
            page.locator("form:has(input[name=password]) [type=submit]")
        ).to_have_text(words["log_in"])

    switch_to(page, "ru")
    log_in(page, live_server, viewer)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    navbar = page.get_by_role("navigation").first
    for code in ["uz", "en-gb", "ru"]:
        switch_to(page, code)
        expect(
            navbar.get_by_role("link", name=LANGUAGES[code]["navbar"])
        ).to_be_visible()
        # The switch returns to the page it was pressed on.
        assert page.url == f"{live_server.url}/"

    # Uzbek, then out and in again: still Uzbek.
    switch_to(page, "uz")
    log_out(page)
    expect(page.locator("html")).to_have_attribute("lang", "uz")
    log_in(page, live_server, viewer)
    expect(page.locator("html")).to_have_attribute("lang", "uz")

    # Another browser, with no cookie and an English Accept-Language: the
    # login page is English, and the user's own choice comes back on login.
    other = browser.new_context(viewport=SCREEN, locale="en-GB")
    try:
        elsewhere = other.new_page()
        elsewhere.goto(f"{live_server.url}/accounts/login/")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "en-gb")
        log_in(elsewhere, live_server, viewer)
        expect(elsewhere.locator("html")).to_have_attribute("lang", "uz")
        expect(
            elsewhere.get_by_role("navigation").first.get_by_role(
                "link", name="Tashkilotlar"
            )
        ).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        elsewhere.screenshot(path=ARTIFACTS / "language-uz-after-login-elsewhere.png")
    finally:
        other.close()


def test_screenshots_of_the_main_screens_in_each_language(
    context, live_server, django_user_model, role, tmp_path
):
    meeting = demo_load()
    organisation = Organisation.objects.get(
        name="WHO Representative Office in Uzbekistan"
    )
    user = django_user_model.objects.create_user(
        username="coordinator", password=PASSWORD, first_name="Dilnoza"
    )
    user.groups.add(role("administrator"))
    sheet = tmp_path / "sign-in-sheet.csv"
    sheet.write_bytes(SHEET)

    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, user)
    ARTIFACTS.mkdir(exist_ok=True)
    for code in LANGUAGES:
        page.goto(f"{live_server.url}/")
        switch_to(page, code)

        shot(page, code, "home")
        page.goto(f"{live_server.url}/organisations/")
        shot(page, code, "organisation-list")
        page.goto(f"{live_server.url}{organisation.get_absolute_url()}")
        shot(page, code, "organisation-detail")
        page.goto(f"{live_server.url}{meeting.get_absolute_url()}")
        shot(page, code, "meeting-detail")
        page.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/change/")
        shot(page, code, "admin-meeting-change")
        page.goto(f"{live_server.url}/admin/meetings/meeting/{meeting.pk}/import/")
        page.locator("input[type=file]").set_input_files(sheet)
        page.locator("form:has(input[type=file]) [type=submit]").click()
        page.wait_for_url("**/import/*/")
        shot(page, code, "import-preview")
