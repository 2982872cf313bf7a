"""Calendar subscriptions (meetings/feeds.py): a user picks organisations and
types on /accounts/calendar/, gets a secret address once, and any calendar
program reads the meetings from it as valid RFC 5545 (checked by icalendar
and by vobject, an independent parser); a new address ends the old, "stop"
ends it, and it dies with its user's access."""

import datetime
import re

import icalendar
import pytest
import vobject
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from duplicates import merge
from meetings.models import CalendarFeed, Meeting
from stakeholders.models import Organisation, OrganisationType
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

SETTINGS = reverse("calendar_settings")


def soon(days):
    return timezone.now() + datetime.timedelta(days=days)


@pytest.fixture
def followed():
    return OrganisationFactory(name="Ministry of Health")


@pytest.fixture
def meetings(followed):
    """The followed ministry's meetings (attended, hosted, initiated, one
    cancelled), a donor's, one nobody follows and one over a year old."""
    attended = MeetingFactory(title="Steering committee", starts_at=soon(3))
    AttendanceFactory(meeting=attended, organisation=followed)
    hosted = MeetingFactory(title="Data workshop", host=followed, starts_at=soon(5))
    initiated = MeetingFactory(title="Roadmap review", starts_at=soon(7))
    initiated.initiators.add(followed)
    cancelled = MeetingFactory(
        title="Budget talk", starts_at=soon(9), status=Meeting.Status.CANCELLED
    )
    AttendanceFactory(meeting=cancelled, organisation=followed)
    donor = OrganisationFactory(
        name="World Bank", type=OrganisationType.objects.get(slug="donor")
    )
    funded = MeetingFactory(title="Donor round table", starts_at=soon(11))
    AttendanceFactory(meeting=funded, organisation=donor)
    MeetingFactory(title="Unrelated", starts_at=soon(2))
    old = MeetingFactory(title="Long ago", starts_at=soon(-400))
    AttendanceFactory(meeting=old, organisation=followed)
    return {
        "attended": attended,
        "hosted": hosted,
        "initiated": initiated,
        "cancelled": cancelled,
        "funded": funded,
    }


def address_of(response):
    match = re.search(
        r'value="(http://testserver/calendar/[^"]+\.ics)"', response.content.decode()
    )
    assert match, "the page shows the new address"
    return match[1].removeprefix("http://testserver")


def subscribe(client, **data):
    response = client.post(SETTINGS, {"action": "save", **data})
    assert response.status_code == 200
    return address_of(response)


def test_a_viewer_follows_an_organisation_and_a_type_and_reads_their_meetings(
    user_client, followed, meetings
):
    donors = OrganisationType.objects.get(slug="donor")
    address = subscribe(user_client, add_organisation=followed.pk, types=[donors.pk])

    response = Client().get(address)  # a calendar program: no session

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {
        "Steering committee",
        "Data workshop",
        "Roadmap review",
        "Budget talk",
        "Donor round table",
    }
    assert str(events["Budget talk"]["status"]) == "CANCELLED"
    assert str(events["Steering committee"]["uid"]) == (
        f"meeting-{meetings['attended'].pk}@hamkor"
    )
    # Times in UTC: no time zone needs defining.
    start = events["Steering committee"].decoded("dtstart")
    assert start.utcoffset() == datetime.timedelta(0)


def test_a_second_parser_reads_the_same_feed(user_client, followed, meetings):
    address = subscribe(user_client, add_organisation=followed.pk)
    body = Client().get(address).content.decode()

    parsed = vobject.readOne(body)

    assert parsed.version.value == "2.0"
    summaries = sorted(event.summary.value for event in parsed.vevent_list)
    assert summaries == [
        "Budget talk",
        "Data workshop",
        "Roadmap review",
        "Steering committee",
    ]
    uids = {event.uid.value for event in parsed.vevent_list}
    assert f"meeting-{meetings['hosted'].pk}@hamkor" in uids
    # The same UIDs on every reading: a calendar updates, never duplicates.
    again = vobject.readOne(Client().get(address).content.decode())
    assert {event.uid.value for event in again.vevent_list} == uids


def test_only_a_hash_of_the_address_is_kept(user_client, followed):
    address = subscribe(user_client, add_organisation=followed.pk)
    token = address.removeprefix("/calendar/").removesuffix(".ics")

    feed = CalendarFeed.objects.get()
    assert token not in feed.token_hash
    assert len(feed.token_hash) == 64
    # The page never shows it again.
    assert token not in user_client.get(SETTINGS).content.decode()


def test_a_new_address_ends_the_old_and_stop_ends_it(user_client, followed):
    old = subscribe(user_client, add_organisation=followed.pk)
    response = user_client.post(SETTINGS, {"action": "new_address"})
    new = address_of(response)

    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200

    user_client.post(SETTINGS, {"action": "stop"})
    assert Client().get(new).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_unticking_an_organisation_stops_following_it(user_client, followed, meetings):
    address = subscribe(user_client, add_organisation=followed.pk)
    response = user_client.post(SETTINGS, {"action": "save"})
    assert response.status_code == 302

    calendar = icalendar.Calendar.from_ical(Client().get(address).content)
    assert calendar.walk("VEVENT") == []


def test_the_feed_dies_with_its_users_access(user_client, viewer, followed):
    address = subscribe(user_client, add_organisation=followed.pk)

    viewer.is_active = False
    viewer.save()
    assert Client().get(address).status_code == 404

    viewer.is_active = True
    viewer.save()
    viewer.groups.clear()
    assert Client().get(address).status_code == 404


def test_an_unknown_address_is_not_found(client):
    assert client.get(reverse("calendar_feed", args=["guess"])).status_code == 404


@pytest.mark.parametrize("value", ["abc", "999999"])
def test_a_bad_organisation_is_refused_by_field_and_nothing_is_saved(
    user_client, value
):
    response = user_client.post(SETTINGS, {"action": "save", "add_organisation": value})

    assert response.status_code == 400
    assert "add_organisation" in response.context["form"].errors
    assert "Add an organisation:" in response.content.decode()
    assert not CalendarFeed.objects.exists()


def test_visitors_are_sent_to_log_in(client):
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_last_reading_is_recorded_at_most_hourly(user_client, followed):
    address = subscribe(user_client, add_organisation=followed.pk)
    Client().get(address)
    first = CalendarFeed.objects.get().last_used_at
    assert first is not None

    Client().get(address)
    assert CalendarFeed.objects.get().last_used_at == first
    assert (
        "A calendar program last read it" in user_client.get(SETTINGS).content.decode()
    )


@pytest.mark.parametrize("extra", [0, 12])
def test_the_feed_costs_the_same_queries_whatever_it_holds(
    user_client, followed, django_assert_num_queries, extra
):
    for n in range(extra):
        meeting = MeetingFactory(starts_at=soon(n + 1))
        AttendanceFactory(meeting=meeting, organisation=followed)
    address = subscribe(user_client, add_organisation=followed.pk)
    feed_client = Client()
    feed_client.get(address)

    # The feed with its user, the user's two permission sets, the
    # organisations, the types, the meetings, their agendas.
    with django_assert_num_queries(7 if extra else 6):
        feed_client.get(address)


def test_the_settings_page_costs_a_fixed_number_of_queries(
    user_client, followed, django_assert_num_queries
):
    subscribe(user_client, add_organisation=followed.pk)
    user_client.get(SETTINGS)

    # Session, user with its permissions, the feed, its organisations (as
    # chosen and as choices) and types, the type choices.
    with django_assert_num_queries(7):
        user_client.get(SETTINGS)


def test_a_merged_organisation_is_followed_as_the_survivor(
    user_client, followed, django_user_model
):
    subscribe(user_client, add_organisation=followed.pk)
    survivor = OrganisationFactory(name="Ministry of Health of Uzbekistan")

    merge.merge(
        reading=merge.read(Organisation, survivor.pk, followed.pk),
        keep="first",
        values={},
        user=django_user_model.objects.get(username="viewer"),
    )

    assert list(CalendarFeed.objects.get().organisations.all()) == [survivor]


def test_administrators_see_and_end_anyones_feed(user_client, superuser, followed):
    subscribe(user_client, add_organisation=followed.pk)
    feed = CalendarFeed.objects.get()
    admin_client = Client()
    admin_client.force_login(superuser)
    changelist = reverse("admin:meetings_calendarfeed_changelist")

    assert "viewer" in admin_client.get(changelist).content.decode()
    admin_client.post(
        reverse("admin:meetings_calendarfeed_delete", args=[feed.pk]), {"post": "yes"}
    )

    assert not CalendarFeed.objects.exists()
