"""The admin fits the window (issue 16, item 4): at 1,366 × 768 and on a
390 × 844 phone no changelist, change form or add form is wider than the
window, and at 1,366 px every column of a changelist is on screen."""

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from meetings.models import Attendance
from meetings.services import demo_load
from stakeholders.models import OrganisationName
from tests.browser.conftest import ARTIFACTS
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    FollowUpFactory,
    OrganisationFactory,
    OrganisationIdentifierFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
    TopicFactory,
)

# The live server reads the database from another thread: the data must be
# committed (see test_flows.py).
pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# Screenshots of the pages a coordinator spends the most time on, for a person
# to look at: besides test-artifacts/, where $ADMIN_FIT_SCREENSHOTS says.
SCREENSHOTS = Path(os.environ.get("ADMIN_FIT_SCREENSHOTS", ARTIFACTS / "admin-fit"))

LONG_NAME = (
    "Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi huzuridagi Respublika "
    "ixtisoslashtirilgan ilmiy-amaliy tibbiyot markazi va raqamli sogʻliqni "
    "saqlashni rivojlantirish boʻyicha loyiha boshqarmasi"
)
LONG_CYRILLIC = (
    "Ўзбекистон Республикаси Соғлиқни сақлаш вазирлиги ҳузуридаги Республика "
    "ихтисослаштирилган илмий-амалий тиббиёт маркази"
)
LONG_RUSSIAN = (
    "Республиканский специализированный научно-практический медицинский центр "
    "при Министерстве здравоохранения Республики Узбекистан"
)


@pytest.fixture
def records():
    """The demo meeting, and beside it rows whose names are as long as real
    ones: a ministry's agency in Uzbek, its Cyrillic and Russian names, a
    person with a long name, title and department, at the meeting."""
    meeting = demo_load()
    organisation = OrganisationFactory(name=LONG_NAME, acronym="RIIATM-RSSRLB")
    OrganisationNameFactory(
        organisation=organisation,
        name=LONG_CYRILLIC,
        language=OrganisationName.Language.UZBEK_CYRILLIC,
    )
    OrganisationNameFactory(organisation=organisation, name=LONG_RUSSIAN)
    OrganisationIdentifierFactory(
        organisation=organisation, scheme="UZ-STIR", value="30200000123456789"
    )
    person = PersonFactory(
        full_name="Abdulazizxoʻja Muhammadjonovich Saidnosirxoʻjayev-Toshmuhammedov",
        email="abdulazizxoja.saidnosirxojayev-toshmuhammedov@ssv.example.org",
        phone="+998 71 239 00 00",
    )
    PositionFactory(
        person=person,
        organisation=organisation,
        title="Bosh mutaxassis, raqamli sogʻliqni saqlash boʻyicha maslahatchi",
        department="Axborot tizimlarini joriy etish va integratsiya boʻlimi",
        since=datetime.date(2023, 9, 1),
    )
    AttendanceFactory(
        meeting=meeting,
        organisation=organisation,
        person=person,
        role=Attendance.Role.PRESENTER,
        notes="Presented the integration of the national health information "
        "system with the State Health Insurance Fund's registries.",
    )
    topic = TopicFactory(
        name="Sogʻliqni saqlash axborot tizimlarini xalqaro standartlar "
        "(HL7 FHIR, ICD-11) bilan integratsiya qilish"
    )
    AgendaItemFactory(meeting=meeting, topic=topic, order=4)
    FollowUpFactory(
        meeting=meeting,
        action="Send the draft roadmap for the integration of the national health "
        "information system with the registries of the State Health Insurance "
        "Fund to every participating organisation",
        owner_organisation=organisation,
        owner_person=person,
    )
    return meeting


def admin_pages(user):
    """Every registered model's changelist, add form (where one may add) and,
    for its latest object, change form."""
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        yield f"{opts.label} list", reverse(f"{name}_changelist")
        if model_admin.has_add_permission(request):
            yield f"{opts.label} add", reverse(f"{name}_add")
        latest = model._default_manager.order_by("-pk").first()
        if latest is not None:
            change = reverse(f"{name}_change", args=[latest.pk])
            yield f"{opts.label} change", change


# Wider than the window: the page, and at 1,366 px the changelist's headers
# and the inline tables (each in a box that scrolls, hiding their Delete
# column).
MEASURE = """() => {
  const width = window.innerWidth;
  const headers = [...document.querySelectorAll("#result_list thead th")]
    .filter((th) => th.getBoundingClientRect().right > width + 0.5)
    .map((th) => th.textContent.trim());
  const inlines = [...document.querySelectorAll(".inline-group .tabular")]
    .filter((box) => box.scrollWidth > box.clientWidth + 1)
    .map((box) => `${box.closest(".inline-group").id} ${box.scrollWidth} px`);
  return {width, scroll: document.documentElement.scrollWidth, headers, inlines};
}"""


@pytest.mark.parametrize(
    ("viewport", "language"),
    [(DESKTOP, "en-gb"), (PHONE, "en-gb"), (DESKTOP, "ru"), (DESKTOP, "uz")],
    ids=["1366", "phone", "1366-ru", "1366-uz"],
)
def test_no_admin_page_is_wider_than_the_window(
    browser, live_server, superuser, records, viewport, language
):
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    size = "1366" if viewport is DESKTOP else "phone"
    if language != "en-gb":
        size += f"-{language}"
    shots = {
        f"/admin/meetings/meeting/{records.pk}/change/": "meeting-form",
        "/admin/meetings/attendance/": "attendance-list",
    }
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.get_by_label("Username").fill(superuser.username)
        page.get_by_label("Password").fill("a-long-test-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/admin/")
        # Russian and Uzbek words are longer than English ones: the columns
        # must fit without breaking a word in two.
        context.add_cookies(
            [
                {
                    "name": settings.LANGUAGE_COOKIE_NAME,
                    "value": language,
                    "url": live_server.url,
                }
            ]
        )

        long_organisation = records.attendances.get(person__isnull=False).organisation
        shots[f"/admin/stakeholders/organisation/{long_organisation.pk}/change/"] = (
            "organisation-form"
        )

        too_wide = []
        for label, url in admin_pages(superuser):
            response = page.goto(f"{live_server.url}{url}")
            assert response.ok, f"{label}: {url} answered {response.status}"
            found = page.evaluate(MEASURE)
            if found["scroll"] > found["width"]:
                too_wide.append(f"{label} {url}: {found['scroll']} px")
            if viewport is DESKTOP and found["headers"]:
                too_wide.append(f"{label} {url}: columns off screen {found['headers']}")
            if viewport is DESKTOP and found["inlines"]:
                too_wide.append(f"{label} {url}: inlines scroll {found['inlines']}")
        for url, name in shots.items():
            page.goto(f"{live_server.url}{url}")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{name}-{size}.png", full_page=True)

        assert too_wide == [], f"wider than {viewport['width']} px:\n" + "\n".join(
            too_wide
        )
    finally:
        context.close()
