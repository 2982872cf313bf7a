"""Browser tests: Playwright driving Debian's Chromium against the live server.

They are skipped, with the reason printed, where /usr/bin/chromium is missing
(`.ci/run` installs it). Each test leaves a screenshot in test-artifacts/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser-test-password"

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    skip = pytest.mark.skip(
        reason=f"browser tests skipped: no Chromium at {CHROMIUM} "
        "(apt-get install chromium, or set CHROMIUM)"
    )
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


def open_user_menu(page, name):
    """Open the menu of the user's own pages, under their ``name`` in the
    navbar. On a phone the folded navbar opens first, and is let finish
    sliding open: a click on a link that is still moving is lost."""
    fold = page.get_by_role("button", name="Menu")
    if fold.is_visible():
        fold.click()
        expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_role("button", name=name).click()


@pytest.fixture(autouse=True)
def _reference_data(reference_data):
    """Every browser test starts with the rows the migrations seed."""


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def viewer(django_user_model, role):
    user = django_user_model.objects.create_user(
        username="manager", password=PASSWORD, first_name="Dilnoza"
    )
    user.groups.add(role("viewer"))
    return user


@pytest.fixture
def logged_in(page, live_server, viewer):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(viewer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page
