"""The seed's UZINFOCOM entered a second time, as "Узинфоком", in a browser:
the add form names the existing record before saving, on a 1366×768 screen
and on a phone; the coordinator opens it instead, or saves anyway.
Screenshots in test-artifacts/duplicates-*.png."""

import pytest
from playwright.sync_api import expect

from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_record import log_in_as_editor, no_horizontal_overflow

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


@pytest.mark.parametrize("screen", SCREENS)
def test_uzinfocom_typed_again_is_named_before_it_is_saved(
    browser, live_server, django_user_model, role, screen
):
    demo_load()
    uzinfocom = Organisation.objects.get(acronym="UZINFOCOM")
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, SCREENS[screen]
    )
    try:
        page.goto(f"{live_server.url}/admin/stakeholders/organisation/add/")
        page.locator("#id_name").fill("Узинфоком")
        # The type's autocomplete (select2).
        page.locator("#id_type + .select2").click()
        page.locator(".select2-search__field").fill("Other")
        page.locator(".select2-results__option", has_text="Other").first.click()
        page.get_by_role("button", name="Save", exact=True).click()

        warning = page.get_by_role("region", name="Possibly already on record")
        expect(warning).to_contain_text(uzinfocom.name)
        expect(warning).to_contain_text("an acronym is the other's name")
        assert no_horizontal_overflow(page)
        page.screenshot(path=ARTIFACTS / f"duplicates-warning-{screen}.png")

        if screen == "desktop":
            warning.get_by_role("link", name=uzinfocom.name).click()
            expect(page.locator("#id_name")).to_have_value(uzinfocom.name)
            assert Organisation.objects.filter(name="Узинфоком").count() == 0
        else:
            page.get_by_label("Save anyway").check()
            page.get_by_role("button", name="Save", exact=True).click()
            expect(page.locator(".messagelist")).to_contain_text("was added")
            assert Organisation.objects.filter(name="Узинфоком").count() == 1
    finally:
        context.close()
