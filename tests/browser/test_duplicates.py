"""The seed's UZINFOCOM entered a second time, as "Узинфоком", in a browser:
the add form names the existing record before saving, on a 1366×768 screen
and on a phone; the coordinator opens it instead, or saves anyway; and once
saved, it is merged into UZINFOCOM from its own page with nothing lost.
Screenshots in test-artifacts/duplicates-*.png."""

import pytest
from playwright.sync_api import expect

from meetings.models import Attendance
from meetings.services import demo_load
from stakeholders.models import Organisation, Person, Position
from tests.browser.axe import violations
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


@pytest.mark.parametrize("screen", SCREENS)
def test_uzinfocom_entered_twice_is_merged_with_nothing_lost(
    browser, live_server, django_user_model, role, screen
):
    demo_load()
    uzinfocom = Organisation.objects.get(acronym="UZINFOCOM")
    # The founding meeting's row: UZINFOCOM attended (no person named).
    seed_row = uzinfocom.attendances.select_related("meeting").get()
    # The same organisation typed again, with what a second coordinator
    # recorded under it: the same meeting (as "confirmed"), a person's
    # position.
    again = Organisation.objects.create(
        name="Узинфоком", type=uzinfocom.type, email="info@uzinfocom.uz"
    )
    Attendance.objects.create(
        meeting=seed_row.meeting,
        organisation=again,
        person=seed_row.person,
        status=Attendance.Status.CONFIRMED,
    )
    Position.objects.create(
        person=Person.objects.create(full_name="Бахтиёр Рахимов"),
        organisation=again,
        title="Engineer",
    )
    rows = {
        model: model.objects.count() for model in (Organisation, Attendance, Position)
    }
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, SCREENS[screen]
    )
    try:
        page.goto(
            f"{live_server.url}/admin/stakeholders/organisation/{again.pk}/change/"
        )
        page.get_by_role("link", name="Merge with another…").click()
        page.get_by_role("link", name=str(uzinfocom)).click()

        expect(page.locator("table.merge-shared")).to_contain_text(
            seed_row.meeting.title
        )
        page.get_by_label(str(uzinfocom)).check()
        assert no_horizontal_overflow(page)
        assert violations(page) == []
        page.screenshot(
            path=ARTIFACTS / f"duplicates-merge-{screen}.png", full_page=True
        )
        page.get_by_role("button", name="Merge").click()

        expect(page.locator(".messagelist")).to_contain_text(
            "Узинфоком was merged into"
        )
        expect(page.locator("#id_name")).to_have_value(uzinfocom.name)
    finally:
        context.close()

    uzinfocom.refresh_from_db()
    assert uzinfocom.email == "info@uzinfocom.uz"
    assert "Узинфоком" in uzinfocom.other_names.values_list("name", flat=True)
    # One organisation and the duplicated attendance row fewer; the
    # position moved, none lost.
    assert Organisation.objects.count() == rows[Organisation] - 1
    assert Attendance.objects.count() == rows[Attendance] - 1
    assert Position.objects.count() == rows[Position]
    assert (
        uzinfocom.attendances.get(
            meeting=seed_row.meeting, person=seed_row.person
        ).status
        == seed_row.status
    )
