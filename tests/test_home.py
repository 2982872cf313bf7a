"""The start page (/): active organisations counted by type, each count a link
to that filter of the list, upcoming and recent meetings, behind a login."""

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from meetings.models import Meeting
from meetings.services import demo_load
from stakeholders.models import OrganisationType
from tests.factories import MeetingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

SEED_TITLE = "WHO and UZINFOCOM meeting on advancing digital healthcare in Uzbekistan"


def type_counts(response):
    """{type name: (count shown, link)} from the organisations-by-type panel."""
    content = response.content.decode()
    items = re.findall(
        r'<a href="([^"]*)">([^<]*)</a>\s*<span class="badge[^"]*">(\d+)</span>',
        content,
    )
    return {
        html.unescape(name): (int(count), html.unescape(href))
        for href, name, count in items
    }


def section(response, heading_id):
    """The HTML of the section labelled by ``heading_id``."""
    content = response.content.decode()
    match = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>',
        content,
        re.DOTALL,
    )
    assert match, f"no section {heading_id}"
    return html.unescape(match.group(1))


def test_it_requires_login(client):
    demo_load()

    response = client.get("/")

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query) == {"next": ["/"]}
    assert b"UZINFOCOM" not in response.content


def test_a_viewer_sees_it_without_the_admin_link(user_client):
    demo_load()

    response = user_client.get("/")

    assert response.status_code == 200
    assert SEED_TITLE in response.content.decode()
    assert 'href="/admin/"' not in response.content.decode()


def test_it_counts_the_seed_organisations_by_type(admin_client):
    demo_load()

    response = admin_client.get("/")

    assert response.status_code == 200
    counts = type_counts(response)
    assert counts["Donor / development bank"][0] == 3
    assert counts["Ministry"][0] == 2
    assert counts["Integrator"][0] == 1
    assert counts["NGO"][0] == 0
    # Every type is listed, even one without organisations.
    assert set(counts) == set(OrganisationType.objects.values_list("name", flat=True))
    assert "12 active organisations" in response.content.decode()


def test_inactive_organisations_are_not_counted(admin_client):
    demo_load()
    OrganisationFactory(
        name="Closed donor",
        type=OrganisationType.objects.get(slug="donor"),
        is_active=False,
    )

    response = admin_client.get("/")

    assert type_counts(response)["Donor / development bank"][0] == 3
    assert "12 active organisations" in response.content.decode()


def test_a_type_count_links_to_the_list_of_those_organisations(admin_client):
    demo_load()

    count, href = type_counts(admin_client.get("/"))["Donor / development bank"]
    listing = admin_client.get(href)

    assert urlsplit(href).path == "/organisations/"
    assert parse_qs(urlsplit(href).query) == {"type": ["donor"], "active": ["true"]}
    assert listing.status_code == 200
    assert f"{count} results" in listing.content.decode()
    assert {o.acronym for o in listing.context["object_list"]} == {
        "KfW",
        "GIZ",
        "UNOPS",
    }


def test_recent_meetings_list_the_seed_meeting(admin_client):
    demo_load()

    response = admin_client.get("/")

    recent = section(response, "recent-heading")
    assert SEED_TITLE in recent
    assert "29 Jan 2025" in recent
    assert "WHO Representative Office in Uzbekistan" in recent
    assert SEED_TITLE not in section(response, "upcoming-heading")


def test_upcoming_meetings_leave_out_cancelled_ones(admin_client):
    soon = timezone.now() + datetime.timedelta(days=3)
    MeetingFactory(title="Roadmap review", starts_at=soon)
    MeetingFactory(title="Called off", starts_at=soon, status=Meeting.Status.CANCELLED)

    response = admin_client.get("/")

    upcoming = section(response, "upcoming-heading")
    assert "Roadmap review" in upcoming
    assert "Called off" not in upcoming
    assert "Roadmap review" not in section(response, "recent-heading")


def test_recent_meetings_show_the_five_latest_newest_first(admin_client):
    start = timezone.now() - datetime.timedelta(days=30)
    for n in range(7):
        MeetingFactory(
            title=f"Meeting {n}", starts_at=start + datetime.timedelta(days=n)
        )

    recent = section(admin_client.get("/"), "recent-heading")

    shown = re.findall(r"Meeting \d", recent)
    assert shown == ["Meeting 6", "Meeting 5", "Meeting 4", "Meeting 3", "Meeting 2"]


def test_with_no_data_it_says_so(admin_client):
    response = admin_client.get("/")

    assert response.status_code == 200
    assert "No meetings planned." in response.content.decode()
    assert "No meetings yet." in response.content.decode()


def test_its_queries_do_not_grow_with_meetings(admin_client, django_assert_num_queries):
    now = timezone.now()

    def make(n):
        for days in range(1, n + 1):
            MeetingFactory(starts_at=now - datetime.timedelta(days=days))
            MeetingFactory(starts_at=now + datetime.timedelta(days=days))

    make(1)
    # session, user, types with their stored counts, upcoming meetings with
    # hosts, recent meetings with hosts, the follow-ups overdue and due soon,
    # the hosts' names in the reader's language (attach_local_names) + the
    # dashboard's seven (named in tests/test_dashboard.py)
    with django_assert_num_queries(14):
        response = admin_client.get("/")
    assert len(response.context["recent"]) == 1

    make(5)
    cache.clear()  # the dashboard's figures counted afresh, as after a minute
    with django_assert_num_queries(14):
        response = admin_client.get("/")
    assert len(response.context["recent"]) == 5
    assert len(response.context["upcoming"]) == 5


def test_a_user_without_a_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="no-role"))

    response = client.get("/")

    assert response.status_code == 403
