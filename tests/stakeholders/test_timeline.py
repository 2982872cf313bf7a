"""The timeline of an organisation and of a person (issue 13, item 4): login
required, one stream of meetings, positions, follow-ups and recorded changes
newest first, each linking to its record, the seed meeting with each
organisation's role, paged as the lists are, and a fixed number of queries
whatever the number of events."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance, FollowUp
from meetings.services import demo_load, follow_up_status_change
from stakeholders.models import Organisation, OrganisationName
from stakeholders.timeline import (
    ATTENDED,
    CHANGE,
    FOLLOW_UP,
    FOLLOW_UP_DONE,
    MEETING,
    POSITION_ENDED,
    POSITION_STARTED,
)
from stakeholders.views import TimelineView
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db


def organisation_timeline(organisation):
    return reverse("organisations:timeline", args=[organisation.pk])


def person_timeline(person):
    return reverse("people:timeline", args=[person.pk])


def at(day, hour=10):
    """``day`` (2025-mm-dd) at ``hour`` in Tashkent."""
    return timezone.make_aware(
        datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour))
    )


def mark_done(follow_up, day):
    """``follow_up`` marked done on ``day``, as the worklist marks it."""
    follow_up.status = FollowUp.Status.DONE
    follow_up.record_completion(FollowUp.Status.OPEN, today=day)
    follow_up.save()


def dated_history(record, *days):
    """Date the versions of ``record``'s history, oldest first, to ``days``."""
    versions = type(record).history.filter(id=record.pk).order_by("history_id")
    assert versions.count() == len(days)
    for version, day in zip(versions, days, strict=True):
        type(version).objects.filter(pk=version.pk).update(history_date=at(day, 12))


def kinds(response):
    return [(event.kind, event.at) for event in response.context["events"]]


PAGES = [
    (OrganisationFactory, organisation_timeline),
    (PersonFactory, person_timeline),
]


# Access.


@pytest.mark.parametrize(("factory", "url"), PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, factory, url):
    record = factory()

    response = client.get(url(record))

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url(record)}"


@pytest.mark.parametrize(("factory", "url"), PAGES)
def test_a_viewer_reads_it(user_client, factory, url):
    record = factory()

    response = user_client.get(url(record))

    assert response.status_code == 200
    assert "Timeline" in response.content.decode()


@pytest.mark.parametrize(("factory", "url"), PAGES)
def test_an_unknown_id_is_not_found(user_client, factory, url):
    record = factory()
    missing = type(record)(pk=record.pk + 1000)

    assert user_client.get(url(missing)).status_code == 404


@pytest.mark.parametrize(
    ("factory", "detail", "timeline"),
    [
        (OrganisationFactory, "organisations:detail", organisation_timeline),
        (PersonFactory, "people:detail", person_timeline),
    ],
)
def test_the_record_page_links_to_it(user_client, factory, detail, timeline):
    record = factory()

    response = user_client.get(reverse(detail, args=[record.pk]))

    assert f'href="{timeline(record)}"' in response.content.decode()


# What it shows, in which order.


@pytest.fixture
def busy_organisation():
    """An organisation with one event of each kind, on interleaved days:
    created 15 Feb, a position from 1 Feb to 1 Apr, a meeting attended on
    10 Mar, one hosted on 25 Mar, a follow-up due on 20 Mar and done on
    22 Mar, renamed 1 May."""
    organisation = OrganisationFactory(name="Interleaved Agency")
    person = PersonFactory(full_name="Dilnoza Karimova")
    position = PositionFactory(
        person=person,
        organisation=organisation,
        title="Head of unit",
        since=datetime.date(2025, 2, 1),
        until=datetime.date(2025, 4, 1),
    )
    attended = AttendanceFactory(
        organisation=organisation,
        person=person,
        meeting=MeetingFactory(title="Attended meeting", starts_at=at("2025-03-10")),
        role=Attendance.Role.PRESENTER,
    )
    hosted = MeetingFactory(
        title="Hosted meeting", starts_at=at("2025-03-25"), host=organisation
    )
    follow_up = FollowUpFactory(
        owner_organisation=organisation,
        action="Share the interoperability plan",
        due_on=datetime.date(2025, 3, 20),
    )
    mark_done(follow_up, datetime.date(2025, 3, 22))
    organisation.name = "Interleaved Agency (renamed)"
    organisation.save()
    dated_history(organisation, "2025-02-15", "2025-05-01")
    return organisation, position, attended.meeting, hosted, follow_up


def test_the_events_of_an_organisation_are_newest_first(user_client, busy_organisation):
    organisation, position, attended, hosted, follow_up = busy_organisation

    response = user_client.get(organisation_timeline(organisation))

    assert response.status_code == 200
    assert [kind for kind, _at in kinds(response)] == [
        CHANGE,  # renamed, 1 May
        POSITION_ENDED,  # 1 Apr
        MEETING,  # hosted, 25 Mar
        FOLLOW_UP_DONE,  # 22 Mar
        FOLLOW_UP,  # due 20 Mar
        MEETING,  # attended, 10 Mar
        CHANGE,  # created, 15 Feb
        POSITION_STARTED,  # 1 Feb
    ]
    events = response.context["events"]
    assert [events[2].record, events[5].record] == [hosted, attended]
    content = response.content.decode()
    # In the page too, in that order, each linking to its record.
    links = [
        reverse("people:detail", args=[position.person_id]),
        reverse("meetings:detail", args=[hosted.pk]),
        reverse("meetings:detail", args=[follow_up.meeting_id]),
        reverse("meetings:detail", args=[attended.pk]),
    ]
    places = [content.index(f'href="{link}"') for link in links]
    assert places == sorted(places)
    for words in [
        "Record created",
        "Record changed",
        "Position ended",
        "Position started",
        "Follow-up due",
        "Follow-up done",
        "Share the interoperability plan",
        "Interleaved Agency (renamed)",  # what the change changed
        "Presenter",
        "hosted",
    ]:
        assert words in content, words


def test_the_events_of_a_person_are_newest_first(user_client):
    person = PersonFactory(full_name="Aziz Rahimov")
    organisation = OrganisationFactory(name="Behalf Fund")
    PositionFactory(
        person=person, organisation=organisation, since=datetime.date(2025, 1, 5)
    )
    row = AttendanceFactory(
        person=person,
        organisation=organisation,
        meeting=MeetingFactory(starts_at=at("2025-02-10")),
    )
    FollowUpFactory(
        owner_person=person, owner_organisation=None, due_on=datetime.date(2025, 3, 1)
    )
    dated_history(person, "2025-01-20")

    response = user_client.get(person_timeline(person))

    assert [kind for kind, _at in kinds(response)] == [
        FOLLOW_UP,
        ATTENDED,
        CHANGE,
        POSITION_STARTED,
    ]
    content = response.content.decode()
    assert "On behalf of" in content
    assert f'href="{reverse("organisations:detail", args=[organisation.pk])}"' in (
        content
    )
    assert f'href="{reverse("meetings:detail", args=[row.meeting_id])}"' in content


def done_days(client, person):
    events = client.get(person_timeline(person)).context["events"]
    return [(e.record.pk, e.at) for e in events if e.kind == FOLLOW_UP_DONE]


def test_a_follow_up_is_done_on_the_day_it_was_marked_done(user_client):
    person = PersonFactory()
    follow_up = FollowUpFactory(owner_person=person, owner_organisation=None)
    FollowUpFactory(owner_person=person, owner_organisation=None)  # still open

    def change(status):
        follow_up.refresh_from_db()
        follow_up_status_change(
            follow_up_id=follow_up.pk, status=status, seen_version=follow_up.version
        )

    change(FollowUp.Status.DONE)
    # The day the worklist marked it done, whatever its history says.
    assert done_days(user_client, person) == [(follow_up.pk, timezone.localdate())]

    change(FollowUp.Status.OPEN)
    assert done_days(user_client, person) == []  # reopened: not done

    FollowUp.objects.filter(pk=follow_up.pk).update(
        status=FollowUp.Status.DONE, completed_on=datetime.date(2025, 4, 5)
    )
    assert done_days(user_client, person) == [(follow_up.pk, datetime.date(2025, 4, 5))]


def test_a_meeting_shows_in_the_local_time_zone(user_client):
    organisation = OrganisationFactory()
    # 23:30 in Tashkent is 18:30 UTC: the day is Tashkent's.
    MeetingFactory(host=organisation, starts_at=at("2025-06-01", 23))

    content = user_client.get(organisation_timeline(organisation)).content.decode()

    assert 'datetime="2025-06-01T23:00:00+05:00"' in content


def test_organisations_are_named_in_the_readers_language(user_client):
    person = PersonFactory()
    organisation = OrganisationFactory(name="Ministry of Health")
    OrganisationNameFactory(
        organisation=organisation,
        name="Министерство здравоохранения",
        language=OrganisationName.Language.RUSSIAN,
    )
    AttendanceFactory(person=person, organisation=organisation)
    user_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    content = user_client.get(person_timeline(person)).content.decode()

    assert "Министерство здравоохранения</a>" in content


def test_the_seed_meetings_organisations_show_it_with_their_role(user_client):
    meeting = demo_load()
    link = f'href="{reverse("meetings:detail", args=[meeting.pk])}"'
    expected = {
        "WHO Representative Office in Uzbekistan": ["hosted", "Host"],
        "World Health Organization": ["initiated"],
        "Unified Integrator for the Development and Support of State "
        "Information Systems": ["initiated", "Presenter"],
        "KfW Bank": ["Participant"],
    }
    for name, words in expected.items():
        organisation = Organisation.objects.get(name=name)

        response = user_client.get(organisation_timeline(organisation))

        events = [e for e in response.context["events"] if e.kind == MEETING]
        assert [e.record for e in events] == [meeting], name
        item = re.search(
            r'<li class="timeline-event timeline-meeting.*?</li>\s*</ul>|'
            r'<li class="timeline-event timeline-meeting.*?</div>\s*</div>\s*</li>',
            response.content.decode(),
            re.DOTALL,
        ).group(0)
        assert link in item, name
        assert "29 January 2025" in item or "29 Jan" in item, name
        for word in words:
            assert word in item, (name, word)


# Paging.


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(TimelineView, "paginate_by", 3)


def test_the_pages_together_are_the_whole_stream(user_client, small_pages):
    organisation = OrganisationFactory()
    for day in range(1, 5):
        MeetingFactory(host=organisation, starts_at=at(f"2025-03-0{day}"))
        PositionFactory(organisation=organisation, since=datetime.date(2025, 3, day))
    # 4 meetings, 4 positions, 1 change (created): 9 events, 3 pages.
    url = organisation_timeline(organisation)

    pages = [user_client.get(f"{url}?page={n}").context["events"] for n in (1, 2, 3)]

    every = [(e.kind, e.pk) for page in pages for e in page]
    assert len(every) == len(set(every)) == 9
    events = [event for page in pages for event in page]
    days = [e.at.starts_at if e.kind == MEETING else e.at for e in events]
    dates = [d.date() if isinstance(d, datetime.datetime) else d for d in days]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("99", 3), ("9" * 20, 3), ("0", 3), ("-1", 3), ("x", 1), ("", 1)],
)
def test_a_page_past_the_end_shows_the_last_and_a_malformed_one_the_first(
    user_client, small_pages, asked, shown
):
    organisation = OrganisationFactory()
    MeetingFactory.create_batch(7, host=organisation)  # with the creation: 8 events

    response = user_client.get(f"{organisation_timeline(organisation)}?page={asked}")

    assert response.status_code == 200
    # Django's paginator: 0 is below the first page, read as the last.
    assert response.context["page_obj"].number == shown
    assert response.context["paginator"].num_pages == 3


# Queries.


def make_organisation(n):
    """``n`` of each kind of event, with people at the meetings and as
    follow-up owners, named in Russian too, the follow-ups done, and ``n``
    changes to the record."""
    organisation = OrganisationFactory()
    PositionFactory.create_batch(
        n, organisation=organisation, until=datetime.date(2025, 6, 30)
    )
    AttendanceFactory.create_batch(n, organisation=organisation)
    MeetingFactory.create_batch(n, host=organisation)
    for meeting in MeetingFactory.create_batch(n):
        meeting.initiators.add(organisation)
    for follow_up in FollowUpFactory.create_batch(
        n, owner_organisation=organisation, owner_person=PersonFactory()
    ):
        mark_done(follow_up, datetime.date(2025, 5, 1))
    for number in range(n):
        organisation.phone = f"+998 71 000 00 {number:02}"
        organisation.save()
    return organisation


def make_person(n):
    """``n`` of each kind of event a person has, on behalf of organisations
    named in Russian too, the follow-ups done, and ``n`` changes."""
    person = PersonFactory()
    organisation = OrganisationFactory()
    PositionFactory.create_batch(
        n, person=person, organisation=organisation, until=datetime.date(2025, 6, 30)
    )
    AttendanceFactory.create_batch(n, person=person, organisation=organisation)
    for follow_up in FollowUpFactory.create_batch(
        n, owner_person=person, owner_organisation=organisation
    ):
        mark_done(follow_up, datetime.date(2025, 5, 1))
    for number in range(n):
        person.phone = f"+998 90 000 00 {number:02}"
        person.save()
    return person


@pytest.fixture
def one_page(monkeypatch):
    """Every event on the first page."""
    monkeypatch.setattr(TimelineView, "paginate_by", 500)


@pytest.fixture
def in_russian(user_client):
    """The reader reads Russian, and the organisations have Russian names:
    the names are read with the page, not after it."""
    user_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    return user_client


def named_in_russian():
    for organisation in Organisation.objects.all():
        OrganisationNameFactory(
            organisation=organisation,
            name=f"Р {organisation.name}",
            language=OrganisationName.Language.RUSSIAN,
        )


# session, user with its permissions — 2 for a viewer and for a superuser,
# as `make bench` measures — then the record (an organisation
# with its name in the reader's language), the count, the page's keys, every
# kind's records of the page with the organisations' names (one query), and,
# the page showing changes, their versions with their users and, for an
# organisation, the organisation type they name (core.history.Labels). At
# most 8 as `make bench` counts (issue 13); the timelines ran 10 and 11.
ORGANISATION_QUERIES = 2 + 6
PERSON_QUERIES = 2 + 5


@pytest.mark.parametrize("n", [1, 20])
def test_a_page_of_every_kind_costs_the_same_whatever_the_number(
    in_russian, django_assert_num_queries, one_page, n
):
    organisation = make_organisation(n)
    named_in_russian()

    with django_assert_num_queries(ORGANISATION_QUERIES):
        response = in_russian.get(organisation_timeline(organisation))

    assert response.status_code == 200
    events = response.context["events"]
    assert len(events) == 8 * n + 1
    assert {e.kind for e in events} == {
        MEETING,
        POSITION_STARTED,
        POSITION_ENDED,
        FOLLOW_UP,
        FOLLOW_UP_DONE,
        CHANGE,
    }
    # What the page shows was read with it: the people at the meetings and
    # owning the follow-ups, in Russian the organisation's name.
    content = response.content.decode()
    for person in Attendance.objects.filter(organisation=organisation):
        assert person.person.full_name in content
    for follow_up in FollowUp.objects.filter(owner_organisation=organisation):
        assert follow_up.owner_person.full_name in content
    assert f"Р {organisation.name}" in content


@pytest.mark.parametrize("n", [1, 20])
def test_a_persons_page_of_every_kind_costs_the_same_whatever_the_number(
    in_russian, django_assert_num_queries, one_page, n
):
    person = make_person(n)
    named_in_russian()

    with django_assert_num_queries(PERSON_QUERIES):
        response = in_russian.get(person_timeline(person))

    assert response.status_code == 200
    events = response.context["events"]
    assert len(events) == 6 * n + 1
    assert {e.kind for e in events} == {
        ATTENDED,
        POSITION_STARTED,
        POSITION_ENDED,
        FOLLOW_UP,
        FOLLOW_UP_DONE,
        CHANGE,
    }
    organisation = Organisation.objects.filter(positions__person=person).first()
    content = response.content.decode()
    # On behalf of, at each position's start and end, owning each follow-up
    # (due and done): in Russian.
    assert content.count(f"Р {organisation.name}</a>") == 5 * n


@pytest.mark.parametrize(
    ("factory", "url", "fill", "queries"),
    [
        (
            OrganisationFactory,
            organisation_timeline,
            lambda o: MeetingFactory.create_batch(49, host=o),
            ORGANISATION_QUERIES,
        ),
        (
            PersonFactory,
            person_timeline,
            lambda p: AttendanceFactory.create_batch(49, person=p),
            PERSON_QUERIES,
        ),
    ],
)
def test_one_event_costs_what_a_full_page_does(
    user_client, django_assert_num_queries, factory, url, fill, queries
):
    alone, busy = factory(), factory()
    fill(busy)
    counted = []
    for record, events in [(alone, 1), (busy, 50)]:
        with django_assert_num_queries(queries) as captured:
            response = user_client.get(url(record))
        # The record's creation, alone; then a full page of 50 (the default).
        assert len(response.context["events"]) == events
        counted.append(len(captured))

    assert counted == [queries, queries]
