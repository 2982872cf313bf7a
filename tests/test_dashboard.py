"""The engagement dashboard on the start page (/): each figure pinned against a
plain query of the rows it counts, and the list its link opens counting the
same; meetings per month on the days of Asia/Tashkent; dormant partners for N
= 6 and 12 months with a row on each side of the boundary, and those never
met; the most overdue follow-ups; the last changes with who made them; access
for each role; a bad N; a fixed number of queries."""

import datetime
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends import locmem
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone

from accounts.roles import ADMINISTRATOR, EDITOR, VIEWER
from core.filters import day_start
from meetings import dashboard
from meetings.models import PENDING, Attendance, FollowUp, Meeting
from stakeholders.models import Organisation, OrganisationType
from tests.factories import (
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

ATTENDED = Attendance.Status.ATTENDED


def today():
    return timezone.localdate()


def local(day, hour=10, minute=0):
    """``day`` at ``hour``:``minute`` in Asia/Tashkent."""
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour, minute))
    )


def of_type(slug):
    return OrganisationType.objects.get(slug=slug)


def met_on(organisation, day, status=ATTENDED):
    """``organisation`` at a meeting on the local ``day``."""
    return AttendanceFactory(
        meeting=MeetingFactory(starts_at=local(day), host=None),
        organisation=organisation,
        person=None,
        status=status,
    )


def listed_count(client, url):
    """The number of results the list at ``url`` counts."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["paginator"].count


# Access


@pytest.mark.parametrize("name", [VIEWER, EDITOR, ADMINISTRATOR])
def test_every_role_sees_the_dashboard(client, django_user_model, role, name):
    user = django_user_model.objects.create_user(username=name)
    user.groups.add(role(name))
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 200
    content = response.content.decode()
    for heading in ("months", "met", "dormant", "changes", "follow-ups"):
        assert f'id="{heading}-heading"' in content


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/?dormant_months=12")

    assert response.status_code == 302
    assert urlsplit(response.url).path == "/accounts/login/"


# Meetings per month


def test_meetings_per_month_count_local_months_without_the_cancelled(admin_client):
    this_month = today().replace(day=1)
    last_month = dashboard.months_before(this_month, 1)
    # 00:30 on the 1st in Tashkent is the evening before in UTC: this month.
    MeetingFactory(title="Just after midnight", starts_at=local(this_month, 0, 30))
    # 23:30 on the last day of last month (18:30 UTC): last month.
    MeetingFactory(
        starts_at=local(this_month - datetime.timedelta(days=1), 23, 30),
        status=Meeting.Status.HELD,
    )
    MeetingFactory(starts_at=local(last_month, 9), status=Meeting.Status.CANCELLED)
    # Outside the 24 months.
    MeetingFactory(starts_at=local(dashboard.months_before(this_month, 24), 12))

    months = admin_client.get("/").context["months"]

    assert len(months) == 24
    assert months[-1].first == this_month
    assert months[0].first == dashboard.months_before(this_month, 23)
    for month in months:
        start, end = day_start(month.first), day_start(month.last)
        in_month = Meeting.objects.filter(
            starts_at__gte=start,
            starts_at__lt=end + datetime.timedelta(days=1),
        )
        assert month.meetings == in_month.exclude(status="cancelled").count()
        assert month.cancelled == in_month.filter(status="cancelled").count()
    assert (months[-1].meetings, months[-2].meetings, months[-2].cancelled) == (
        1,
        1,
        1,
    )


def test_each_month_links_to_the_meetings_it_counts(admin_client):
    this_month = today().replace(day=1)
    MeetingFactory(starts_at=local(this_month, 0, 30))
    MeetingFactory(starts_at=local(this_month, 12), status=Meeting.Status.PLANNED)
    MeetingFactory(starts_at=local(this_month, 13), status=Meeting.Status.CANCELLED)
    MeetingFactory(starts_at=local(this_month - datetime.timedelta(days=1), 23, 59))

    month = admin_client.get("/").context["months"][-1]

    assert parse_qs(urlsplit(month.url).query) == {
        "after": [this_month.isoformat()],
        "before": [month.last.isoformat()],
        "status": ["held", "planned"],
    }
    assert listed_count(admin_client, month.url) == month.meetings == 2
    assert listed_count(admin_client, month.cancelled_url) == month.cancelled == 1


def test_the_chart_and_its_table_show_each_month(admin_client):
    MeetingFactory(starts_at=local(today().replace(day=1), 11))

    content = admin_client.get("/").content.decode()

    assert content.count('class="chart-bar"') >= 24
    assert 'aria-hidden="true"' in content
    # Each bar's link is in the table too, for keyboards and screen readers.
    table = content[content.index('id="months-table"') :]
    assert len(re.findall(r"data-month=", table)) == 24
    assert 'style="' not in content


def test_the_chart_keeps_its_coordinates_in_russian(admin_client):
    MeetingFactory(starts_at=local(today().replace(day=1), 11))
    admin_client.post("/accounts/language/", {"language": "ru"})

    content = admin_client.get("/").content.decode()

    bars = re.findall(r'<rect class="chart-bar" x="([^"]*)%"', content)
    assert bars
    assert all("," not in x for x in bars)


# Organisations met in the last 90 days


def test_met_in_90_days_by_type_agrees_with_the_attendance_and_the_list(
    admin_client,
):
    since = today() - datetime.timedelta(days=90)
    donor, ministry = of_type("donor"), of_type("ministry")
    recent = OrganisationFactory(name="KfW", type=donor)
    met_on(recent, since)
    met_on(recent, since - datetime.timedelta(days=200))
    old = OrganisationFactory(name="GIZ", type=donor)
    met_on(old, since - datetime.timedelta(days=1))
    met_on(OrganisationFactory(type=ministry), today())
    declined = OrganisationFactory(name="UNOPS", type=donor)
    met_on(declined, today(), status=Attendance.Status.DECLINED)
    OrganisationFactory(type=donor)  # never met

    met = admin_client.get("/").context["met"]

    assert met["since"] == since
    attended = Attendance.objects.filter(
        status=ATTENDED, meeting__starts_at__gte=day_start(since)
    )
    for row in met["rows"]:
        expected = (
            Organisation.objects.filter(
                type=row["type"], pk__in=attended.values("organisation")
            )
            .distinct()
            .count()
        )
        assert row["count"] == expected
        assert listed_count(admin_client, row["url"]) == expected
    by_slug = {row["type"].slug: row for row in met["rows"]}
    assert by_slug["donor"]["count"] == 1
    assert by_slug["ministry"]["count"] == 1
    assert met["total"] == 2 == listed_count(admin_client, met["url"])
    assert parse_qs(urlsplit(by_slug["donor"]["url"]).query) == {
        "type": ["donor"],
        "attended_after": [since.isoformat()],
    }


# Dormant partners


@pytest.fixture
def quiet_partners():
    """Active organisations last met 5, 7 and 13 months ago, one never met,
    and an inactive one met 13 months ago."""
    day = today()

    def met_months_ago(name, months, meetings=1, **extra):
        organisation = OrganisationFactory(name=name, **extra)
        for n in range(meetings):
            met_on(
                organisation,
                dashboard.months_before(day, months) - datetime.timedelta(days=n),
            )
        return organisation

    return {
        "five": met_months_ago("Five months", 5),
        "seven": met_months_ago("Seven months", 7),
        "thirteen": met_months_ago("Thirteen months", 13, meetings=3),
        "on the day": met_months_ago("Six months to the day", 6),
        "never": OrganisationFactory(name="Never met"),
        "closed": met_months_ago("Closed", 13, is_active=False),
    }


def dormant_by_query(months):
    """Active organisations whose latest attended meeting began before the
    local day ``months`` months ago, from the attendance rows."""
    cutoff = day_start(dashboard.months_before(today(), months))
    attended = Attendance.objects.filter(status=ATTENDED)
    return set(
        Organisation.objects.filter(
            is_active=True, pk__in=attended.values("organisation")
        )
        .exclude(
            pk__in=attended.filter(meeting__starts_at__gte=cutoff).values(
                "organisation"
            )
        )
        .values_list("name", flat=True)
    )


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (6, {"Seven months", "Thirteen months"}),
        (12, {"Thirteen months"}),
    ],
)
def test_dormant_partners_are_the_active_ones_not_met_for_n_months(
    admin_client, quiet_partners, months, expected
):
    response = admin_client.get("/", {"dormant_months": months})

    dormant = response.context["dormant"]
    assert dormant_by_query(months) == expected
    assert {o.name for o in dormant["first"]} == expected
    assert dormant["count"] == len(expected)
    assert dormant["cutoff"] == dashboard.months_before(today(), months)
    listing = admin_client.get(dormant["url"])
    assert [o.name for o in listing.context["object_list"]] == [
        o.name for o in dormant["first"]
    ]
    assert listing.context["paginator"].count == dormant["count"]
    assert "Last met" in response.content.decode()


def test_the_most_met_dormant_partner_comes_first_with_the_day_last_met(
    admin_client, quiet_partners
):
    response = admin_client.get("/")

    first = response.context["dormant"]["first"]
    assert [o.name for o in first] == ["Thirteen months", "Seven months"]
    table = response.content.decode().split('id="dormant-table"')[1]
    last_met = timezone.localtime(quiet_partners["thirteen"].last_met).date()
    assert last_met.strftime("%-d %b %Y") in table


def test_never_met_is_counted_apart_with_its_own_link(admin_client, quiet_partners):
    dormant = admin_client.get("/").context["dormant"]

    never = Organisation.objects.filter(is_active=True).exclude(
        pk__in=Attendance.objects.filter(status=ATTENDED).values("organisation")
    )
    assert dormant["never"] == never.count() == 1
    assert listed_count(admin_client, dormant["never_url"]) == 1
    assert "Never met" not in {o.name for o in dormant["first"]}


def test_the_default_is_six_months(admin_client, quiet_partners):
    response = admin_client.get("/")

    assert response.context["dormant"]["months"] == 6
    assert 'name="dormant_months" value="6"' in response.content.decode()


@pytest.mark.parametrize("value", ["0", "37", "six", "1.5"])
def test_a_bad_number_of_months_is_a_400_naming_the_field(admin_client, value):
    MeetingFactory(title="Still listed", starts_at=timezone.now())

    response = admin_client.get("/", {"dormant_months": value})

    assert response.status_code == 400
    content = response.content.decode()
    error = re.search(r'id="id_dormant_months_error">([^<]*)</div>', content)
    assert error
    assert error.group(1).startswith("Months without a meeting: ")
    assert response.context["dormant"] is None
    # The rest of the page stands.
    assert "Still listed" in content


# Follow-ups


def test_the_five_most_overdue_follow_ups_are_shown_longest_first(admin_client):
    for days in (3, 40, 10, 1, 25, 7):
        FollowUpFactory(
            action=f"{days} days late", due_on=today() - datetime.timedelta(days=days)
        )
    FollowUpFactory(
        action="Done long ago",
        due_on=today() - datetime.timedelta(days=90),
        status=FollowUp.Status.DONE,
    )
    FollowUpFactory(action="Due today", due_on=today())

    response = admin_client.get("/")

    shown = [f.action for f in response.context["overdue"]]
    assert shown == [
        "40 days late",
        "25 days late",
        "10 days late",
        "7 days late",
        "3 days late",
    ]
    overdue = FollowUp.objects.filter(status__in=PENDING, due_on__lt=today())
    assert response.context["follow_ups"]["overdue"] == overdue.count() == 6
    assert "Overdue by 40 days" in response.content.decode()


# Last changes


def test_the_last_changes_say_who_changed_what_and_when(admin_client, superuser):
    superuser.first_name, superuser.last_name = "Dilnoza", "Karimova"
    superuser.save()
    organisation = OrganisationFactory(name="KfW Bank")
    organisation.name = "KfW Development Bank"
    organisation._history_user = superuser
    organisation.save()
    gone = MeetingFactory(title="Called off and removed")
    gone.delete()

    changes = admin_client.get("/").context["changes"]

    latest = changes[0]
    assert (latest.kind, latest.action, latest.label) == (
        "Meeting",
        "Deleted",
        "Called off and removed",
    )
    assert latest.url == ""  # the meeting is gone: no link to a 404
    changed = next(c for c in changes if c.action == "Changed")
    assert (changed.kind, changed.label, changed.user) == (
        "Organisation",
        "KfW Development Bank",
        "Dilnoza Karimova",
    )
    assert changed.url == f"/organisations/{organisation.pk}/"
    assert changed.when == organisation.history.latest().history_date
    assert {c.user for c in changes if c is not changed} == {"system"}


def test_the_last_changes_are_the_ten_newest_across_the_tables(admin_client):
    person = PersonFactory(full_name="Nodira Xasanova")
    FollowUpFactory.create_batch(4)
    OrganisationFactory.create_batch(3)
    person.full_name = "Nodira Hasanova"
    person.save()

    changes = admin_client.get("/").context["changes"]

    history = sorted(
        [
            *(
                (h.history_date, h.history_id, "Organisation")
                for h in Organisation.history.all()
            ),
            *((h.history_date, h.history_id, "Meeting") for h in Meeting.history.all()),
            *(
                (h.history_date, h.history_id, "Follow-up")
                for h in FollowUp.history.all()
            ),
            *((h.history_date, h.history_id, "Person") for h in person.history.all()),
        ],
        reverse=True,
    )[:10]
    assert [(c.when, c.kind) for c in changes] == [(w, k) for w, _i, k in history]
    assert changes[0].label == "Nodira Hasanova"
    assert changes[0].url == f"/people/{person.pk}/"
    follow_up = next(c for c in changes if c.kind == "Follow-up")
    assert follow_up.url.startswith("/meetings/")


# Queries


def test_its_queries_do_not_grow_with_the_data(admin_client, django_assert_num_queries):
    def make(n):
        for day in range(n):
            organisation = OrganisationFactory(type=of_type("donor"))
            met_on(organisation, today() - datetime.timedelta(days=200 + day))
            FollowUpFactory(due_on=today() - datetime.timedelta(days=day + 1))
            MeetingFactory(starts_at=timezone.now() + datetime.timedelta(days=day + 1))

    make(1)
    # session, user, types with their stored counts, upcoming meetings with
    # hosts, recent meetings with hosts, meetings per month, met in 90 days
    # by type, the dormant and the never met (two counts, each from the
    # index of the active organisations' last_met), the first dormant, the
    # five most overdue follow-ups, the organisations' names in the reader's
    # language (hosts, dormant, owners), the follow-ups overdue and due soon,
    # the last changes (one UNION)
    with django_assert_num_queries(14):
        response = admin_client.get("/?dormant_months=3")
    assert len(response.context["dormant"]["first"]) == 1

    make(29)
    # Within DASHBOARD_CACHE_SECONDS the seven counting queries are not
    # run again: session, user, types, upcoming, recent, names, last changes.
    with django_assert_num_queries(7):
        response = admin_client.get("/?dormant_months=3")
    assert len(response.context["dormant"]["first"]) == 1
    assert len(response.context["changes"]) == 10

    cache.clear()  # as when the figures expire
    with django_assert_num_queries(14):
        response = admin_client.get("/?dormant_months=3")
    assert len(response.context["dormant"]["first"]) == 10
    assert len(response.context["overdue"]) == 5
    assert len(response.context["changes"]) == 10


# Figures kept between requests


def overdue_badge(response):
    return re.search(
        r'id="follow-ups-overdue">(\d+)<', response.content.decode()
    ).group(1)


def test_the_figures_are_kept_for_a_minute_and_say_when_they_were_counted(
    admin_client, monkeypatch
):
    assert settings.DASHBOARD_CACHE_SECONDS == 60
    first = admin_client.get("/")
    FollowUpFactory(due_on=today() - datetime.timedelta(days=3))

    kept = admin_client.get("/")

    assert overdue_badge(first) == overdue_badge(kept) == "0"
    counted = first.context["counted_at"]
    assert kept.context["counted_at"] == counted
    shown = f"Figures as of {timezone.localtime(counted):%H:%M}"
    assert shown in kept.content.decode()
    # The follow-up's change is listed at once: the last changes are not kept.
    assert any(c.kind == "Follow-up" for c in kept.context["changes"])

    later = time.time() + 61
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    counted_again = admin_client.get("/")

    assert overdue_badge(counted_again) == "1"


@override_settings(DASHBOARD_CACHE_SECONDS=0)
def test_with_no_time_to_keep_them_every_request_counts(admin_client):
    admin_client.get("/")
    FollowUpFactory(due_on=today() - datetime.timedelta(days=3))

    assert overdue_badge(admin_client.get("/")) == "1"


def test_each_n_of_dormant_months_is_counted_apart(admin_client, quiet_partners):
    six = admin_client.get("/", {"dormant_months": 6}).context["dormant"]
    twelve = admin_client.get("/", {"dormant_months": 12}).context["dormant"]
    six_again = admin_client.get("/", {"dormant_months": 6}).context["dormant"]

    assert six["count"] == six_again["count"] == 2
    assert twelve["count"] == 1


def test_kept_figures_name_organisations_in_each_readers_language(
    admin_client, quiet_partners
):
    OrganisationNameFactory(
        organisation=quiet_partners["thirteen"],
        name="Тринадцать месяцев",
        language="ru",
    )
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = admin_client.get("/")
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"

    english = admin_client.get("/")

    table = 'id="dormant-table"'
    assert "Тринадцать месяцев" not in english.content.decode().split(table)[1]
    assert "Тринадцать месяцев" in russian.content.decode().split(table)[1]


def test_no_scan_of_the_attendance_rows(admin_client, capture_queries):
    met_on(OrganisationFactory(), today())

    with capture_queries() as queries:
        admin_client.get("/")

    table = Attendance._meta.db_table
    assert not [sql for sql in queries.sql if f'"{table}"' in sql]


def test_a_change_by_a_user_without_a_full_name_shows_the_username(
    admin_client, superuser
):
    for n in range(3):
        person = PersonFactory()
        person._history_user = superuser
        person.full_name = f"Renamed {n}"
        person.save()

    changes = admin_client.get("/").context["changes"]

    assert {c.user for c in changes if c.kind == "Person" and "Renamed" in c.label} == {
        "coordinator"
    }


def test_a_dormant_filter_combines_with_the_type(admin_client, quiet_partners):
    dormant = admin_client.get("/").context["dormant"]
    url = dormant["url"] + "&type=ministry"

    names = {o.name for o in admin_client.get(url).context["object_list"]}

    assert names == {
        o.name
        for o in Organisation.objects.filter(
            Q(name__in=["Seven months", "Thirteen months"]), type__slug="ministry"
        )
    }


def test_the_pending_follow_ups_index_holds_the_pending_statuses():
    # Its condition is written in strings (Meta cannot name FollowUp.Status):
    # the dashboard's most overdue read it only while it says PENDING.
    (index,) = [
        i for i in FollowUp._meta.indexes if i.name == "followup_pending_due_idx"
    ]
    assert index.condition == Q(status__in=[status.value for status in PENDING])


def test_a_month_of_meetings_is_listed_without_distinct(admin_client, capture_queries):
    month = dashboard.meetings_per_month(today())[-1]
    MeetingFactory(starts_at=local(month.first, 11))

    with capture_queries() as queries:
        assert listed_count(admin_client, month.url) == 1

    assert not [sql for sql in queries.sql if "DISTINCT" in sql]
