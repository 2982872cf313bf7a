"""Every page a manager or a coordinator uses, checked with axe-core on a
1366×768 screen and on a phone: no serious or critical violation of WCAG 2.1
A/AA (contrast, names of controls and links, landmarks, tables, ARIA).

One login per screen size walks all the pages; a failure lists every page's
violations at once, with the elements axe points at."""

import datetime

import pytest
from django.utils import timezone

from meetings.models import Attendance, FollowUp
from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.browser.axe import violations
from tests.browser.test_record import log_in_as_editor
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


@pytest.fixture
def pages():
    """The seed meeting with an overdue and a done follow-up, and the
    addresses of the pages to check."""
    meeting = demo_load()
    today = timezone.localdate()
    uzinfocom = Organisation.objects.get(acronym="UZINFOCOM")
    FollowUp.objects.create(
        meeting=meeting,
        action="Share the specification",
        due_on=today - datetime.timedelta(days=4),
        owner_organisation=uzinfocom,
    )
    FollowUp.objects.create(
        meeting=meeting,
        action="Circulate the minutes",
        due_on=today - datetime.timedelta(days=9),
        status=FollowUp.Status.DONE,
        completed_on=today - datetime.timedelta(days=2),
    )
    # The seed records organisations; one of them is represented by a person.
    person = PersonFactory(full_name="Nodira Xasanova")
    Attendance.objects.filter(meeting=meeting, organisation=uzinfocom).update(
        person=person
    )
    return [
        "/",
        "/follow-ups/",
        "/follow-ups/?overdue=true",
        "/attendance/",
        "/attendance/?view=pivot",
        "/map/",
        f"/map/?compare={(today - datetime.timedelta(days=30)).isoformat()}",
        "/organisations/",
        f"/organisations/{uzinfocom.pk}/",
        f"/organisations/{uzinfocom.pk}/timeline/",
        "/people/",
        f"/people/{person.pk}/",
        f"/people/{person.pk}/timeline/",
        "/meetings/",
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/edit/",
        "/meetings/record/",
    ]


@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_has_a_serious_or_critical_accessibility_violation(
    browser, live_server, django_user_model, role, pages, screen
):
    context, page = log_in_as_editor(
        browser, live_server, django_user_model, role, SCREENS[screen]
    )
    try:
        found = {}
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            if problems := violations(page):
                found[path] = problems
        assert not found, "\n".join(
            f"{path}: {rule} ({impact}) {text} at {targets}"
            for path, problems in found.items()
            for rule, impact, text, targets in problems
        )
    finally:
        context.close()
