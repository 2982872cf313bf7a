"""Recording a meeting in a real browser: the coordinator's job of issue 16
(five organisations, two of them with people, a host, an initiator, agenda
topics and a follow-up) in twelve clicks or fewer plus the typing, on a
laptop and on a phone, without the page running off the screen."""

import datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from meetings.models import Meeting
from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.factories import PersonFactory, PositionFactory

from .conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = ARTIFACTS
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
MAX_CLICKS = 12


@pytest.fixture
def world(reference_data):
    demo_load()
    ministry = Organisation.objects.get(name__startswith="Ministry of Health")
    kfw = Organisation.objects.get(acronym="KfW")
    aziza = PositionFactory(
        person=PersonFactory(full_name="Aziza Karimova"), organisation=ministry
    ).person
    hans = PositionFactory(
        person=PersonFactory(full_name="Hans Becker"), organisation=kfw
    ).person
    # Someone else whose name also starts "Ha", elsewhere: KfW's come first.
    PersonFactory(full_name="Halima Yusupova")
    return {"aziza": aziza, "hans": hans}


@pytest.fixture
def clicks(monkeypatch):
    """Every click and choice from a list the test makes, counted."""
    counted = {"n": 0}
    for cls in (Locator, Page):
        for name in ("click", "select_option", "check", "dblclick", "tap"):
            original = getattr(cls, name)

            def counting(self, *args, _original=original, **kwargs):
                counted["n"] += 1
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, counting)
    return counted


def log_in_as_editor(browser, live_server, django_user_model, role, viewport):
    user = django_user_model.objects.create_user(
        username=f"coordinator-{viewport['width']}",
        password=PASSWORD,
        first_name="Nodira",
    )
    user.groups.add(role("editor"))
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def suggestions(page):
    """The options of the open type-ahead list."""
    return page.locator(".picker-list:not([hidden]) [role=option]")


def pick(page, box, text, option):
    """Type ``text`` into the combobox ``box`` and click the ``option``."""
    box.press_sequentially(text)
    suggestions(page).filter(has_text=option).first.click()


def test_a_coordinator_records_the_five_organisation_meeting_in_twelve_clicks(
    browser, live_server, django_user_model, role, world, clicks
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, LAPTOP
    )
    SHOTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{live_server.url}/")
        start = clicks["n"]
        page.get_by_role("link", name="Record a meeting").click()

        page.get_by_label("Title").fill("Partners on the health information system")
        page.get_by_label("Date").fill("2025-02-12")
        page.get_by_label("Venue").fill("Ministry of Health, Tashkent")
        pick(
            page,
            page.get_by_role("combobox", name="Host"),
            "WHO Rep",
            "WHO Representative Office in Uzbekistan",
        )
        pick(
            page,
            page.get_by_role("combobox", name="Initiated by"),
            "UZINFO",
            "Unified Integrator",
        )

        adder = page.get_by_role("combobox", name="Add organisations")
        pick(page, adder, "Ministry of Health", "Ministry of Health")
        pick(page, adder, "Digital Tech", "Ministry of Digital Technologies")
        page.get_by_label("Add all organisations of a type").select_option(
            label="Donor / development bank"
        )
        page.get_by_role("button", name="Add all of type").click()
        rows = page.locator("#organisation-rows")
        for name in ("KfW", "GIZ", "UNOPS", "Ministry of Health", "Digital"):
            expect(rows).to_contain_text(name)

        ministry_people = page.get_by_role(
            "combobox", name="Add a person of Ministry of Health"
        )
        ministry_people.focus()
        suggestions(page).filter(has_text="Aziza Karimova").click()
        kfw_people = page.get_by_role("combobox", name="Add a person of KfW")
        kfw_people.press_sequentially("Ha")
        # KfW's own people come first.
        expect(suggestions(page).first).to_have_text("Hans Becker · KfW")
        suggestions(page).first.click()

        topics = page.get_by_role("combobox", name="Add topics, in order")
        pick(page, topics, "national health", "National healthcare information system")
        topics.press_sequentially("Data exchange standards")
        topics.press("Enter")  # a new topic

        page.get_by_label("Action").fill("Share the draft data exchange standard")
        page.get_by_label("Due").fill("2025-03-01")
        page.screenshot(path=f"{SHOTS}/record-laptop-filled.png", full_page=True)
        assert no_horizontal_overflow(page)
        page.get_by_role("button", name="Save", exact=True).click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Partners on the health information system"
        )
        used = clicks["n"] - start
        print(f"clicks to record the meeting: {used}")
        assert used <= MAX_CLICKS
        main = page.locator("main")
        for text in (
            "WHO Representative Office in Uzbekistan",
            "Unified Integrator",
            "Ministry of Digital Technologies",
            "GIZ",
            "UNOPS",
            "Aziza Karimova",
            "Hans Becker",
            "Data exchange standards",
            "Share the draft data exchange standard",
        ):
            expect(main).to_contain_text(text)
        page.screenshot(path=f"{SHOTS}/record-laptop-saved.png", full_page=True)

        meeting = Meeting.objects.get(title__startswith="Partners on the health")
        assert meeting.date_only
        assert meeting.starts_at.date() <= datetime.date(2025, 2, 12)
        assert meeting.organisations_attended == 7  # five, the host, the initiator
        assert list(
            meeting.agenda_items.order_by("order").values_list("topic__name", flat=True)
        ) == ["National healthcare information system", "Data exchange standards"]

        page.get_by_role("link", name="Edit", exact=True).click()
        expect(page.locator("#organisation-rows")).to_contain_text("Hans Becker")
        assert no_horizontal_overflow(page)
        page.screenshot(path=f"{SHOTS}/record-laptop-edit.png", full_page=True)
    finally:
        context.close()


def test_the_recording_page_fits_a_phone(
    browser, live_server, django_user_model, role, world
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, PHONE
    )
    SHOTS.mkdir(exist_ok=True)
    try:
        meeting = Meeting.objects.get()
        page.goto(f"{live_server.url}/meetings/{meeting.pk}/edit/")
        expect(page.locator("#organisation-rows")).to_contain_text("KfW")
        adder = page.get_by_role("combobox", name="Add a person of KfW")
        adder.press_sequentially("Ha")
        suggestions(page).first.click()
        page.screenshot(path=f"{SHOTS}/record-phone-edit.png", full_page=True)
        assert no_horizontal_overflow(page)
        page.goto(f"{live_server.url}/meetings/record/")
        page.screenshot(path=f"{SHOTS}/record-phone-new.png", full_page=True)
        assert no_horizontal_overflow(page)
    finally:
        context.close()
