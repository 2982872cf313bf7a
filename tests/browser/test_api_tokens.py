"""A manager makes an API token for a script in a browser: under their name
in the navbar, "API tokens"; they name it and make it, see it once, and a
program that sends it reads the API; back on the page it is listed, not
shown, and revoking it ends it at once. On a 1366×768 screen and on a phone,
with no serious accessibility violation. Screenshots in
test-artifacts/api-tokens-*.png."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.browser.conftest import ARTIFACTS, PASSWORD, open_user_menu
from tests.browser.test_record import no_horizontal_overflow

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


@pytest.mark.parametrize("screen", SCREENS)
def test_a_manager_makes_a_token_sees_it_once_and_revokes_it(
    browser, live_server, django_user_model, role, screen
):
    user = django_user_model.objects.create_user(
        username=f"manager-{screen}", password=PASSWORD
    )
    user.groups.add(role("viewer"))
    context = browser.new_context(viewport=SCREENS[screen])
    # A script: no session cookie, only the token.
    program = browser.new_context()
    api = f"{live_server.url}/api/v1/"
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        open_user_menu(page, user.username)
        page.get_by_role("link", name="API tokens").click()
        expect(page.get_by_text("You have no tokens.")).to_be_visible()

        page.get_by_label("Name").fill("Ministry dashboard")
        page.get_by_role("button", name="Make a token").click()

        token = page.get_by_label("Token", exact=True).input_value()
        assert token.startswith("hamkor_")
        expect(page.get_by_role("status")).to_contain_text("shown only this once")
        assert no_horizontal_overflow(page)
        assert violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"api-tokens-{screen}.png", full_page=True)

        headers = {"Authorization": f"Bearer {token}"}
        assert program.request.get(api, headers=headers).status == 200

        page.goto(page.url)  # a GET: the form is not sent again
        assert token not in page.content()
        row = page.get_by_role("row", name="Ministry dashboard")
        expect(row).to_contain_text(token[:15])
        assert no_horizontal_overflow(page)

        row.get_by_role("button", name="Revoke").click()

        expect(page.get_by_role("status")).to_contain_text(
            "The token “Ministry dashboard” was revoked"
        )
        expect(page.get_by_text("You have no tokens.")).to_be_visible()
        assert program.request.get(api, headers=headers).status == 401
    finally:
        program.close()
        context.close()
