"""The meetings admin: every page opens with data present, each changelist costs
a fixed number of queries, and filters, actions, history, access control and
form errors behave as a coordinator expects."""

import datetime
import re

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from stakeholders.models import OrganisationType
from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    PersonFactory,
    TopicFactory,
)
from tests.stakeholders.test_admin import (
    build_graph,
    form_data,
    form_errors,
    listed,
    post_change,
    registered_model_names,
    without_csrf_tokens,
)
from tests.stakeholders.test_concurrency import changelist_data

pytestmark = pytest.mark.django_db

# What the pages would be with Django's widget templates.
DJANGO_RENDERER = "django.forms.renderers.DjangoTemplates"


def changelist(model_name):
    return reverse(f"admin:meetings_{model_name}_changelist")


def run_action(client, model_name, action, objects):
    """Run ``action`` on ``objects`` from the changelist; return the messages
    shown after it."""
    response = client.post(
        changelist(model_name),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
    )
    assert response.status_code == 302
    return [str(m) for m in client.get(response.url).context["messages"]]


# Every page opens.

MEETINGS_MODELS = ["agendaitem", "attendance", "followup", "meeting", "topic"]


def test_every_registered_meetings_model_is_covered_below():
    # Calendar subscriptions have no add page and no history: their admin is
    # tested in test_calendar_feed.py.
    assert registered_model_names("meetings") == sorted(
        [*MEETINGS_MODELS, "calendarfeed"]
    )


@pytest.mark.parametrize("model_name", MEETINGS_MODELS)
@pytest.mark.parametrize("page", ["changelist", "add", "change", "history"])
def test_every_admin_page_opens_with_data_present(admin_client, model_name, page):
    record = build_graph()[model_name]
    args = [record.pk] if page in ("change", "history") else []

    response = admin_client.get(
        reverse(f"admin:meetings_{model_name}_{page}", args=args)
    )

    assert response.status_code == 200
    if page == "changelist":
        assert record.pk in listed(response)
    elif page == "change":
        assert response.context["original"] == record
    elif page == "history":
        assert [
            e.record.history_id for e in response.context["page_obj"] if e.own
        ] == list(record.history.values_list("history_id", flat=True))
        assert response.context["page_obj"]


def test_the_meeting_change_page_shows_its_agenda_attendance_and_follow_ups(
    admin_client,
):
    graph = build_graph()
    meeting = graph["meeting"]

    response = admin_client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    )

    inlines = {
        inline.formset.model: [form.instance for form in inline.formset.forms]
        for inline in response.context["inline_admin_formsets"]
    }
    assert inlines == {
        AgendaItem: [graph["agendaitem"]],
        Attendance: [graph["attendance"]],
        FollowUp: [graph["followup"]],
    }


def test_the_meeting_form_heads_no_inline_row_with_the_meeting(admin_client):
    """A row's caption was its str(), "GIZ at 29 Jan 2025 — <the title>" on
    every attendance row: the rows' own fields say what they are."""
    meeting = MeetingFactory(title="Digital health partners' meeting")
    AttendanceFactory.create_batch(2, meeting=meeting)
    AgendaItemFactory(meeting=meeting)

    response = admin_client.get(
        reverse("admin:meetings_meeting_change", args=[meeting.pk])
    )

    page = response.content.decode()
    assert page.count(meeting.title) == page.count(f"{meeting.title}</h2>")
    assert re.findall(r'<td class="original">\s*<p>', page) == []
    assert (
        "View on site"
        not in page.split('id="attendances-group"')[1].split('id="follow_ups-group"')[0]
    )


def test_the_attendance_list_names_a_meeting_by_its_date_and_short_title(
    admin_client,
):
    title = "WHO and UZINFOCOM meeting on advancing digital healthcare in Uzbekistan"
    AttendanceFactory(
        meeting=MeetingFactory(
            title=title,
            starts_at=datetime.datetime(2025, 1, 29, 10, tzinfo=datetime.UTC),
        )
    )

    response = admin_client.get(changelist("attendance"))

    (cell,) = re.findall(
        r'<th class="field-meeting_column">(.*?)</th>', response.content.decode()
    )
    assert f'<span title="{title}">29 Jan 2025 — WHO and UZINFOCOM meeting on' in cell
    assert "healthcare in Uzbekistan</span>" not in cell


# Changelist query counts: the same with 2 rows as with 20, each row with two or
# more related rows.


def make_topics(n):
    """Topics each on the agenda of two meetings."""
    topics = TopicFactory.create_batch(n)
    for topic in topics:
        AgendaItemFactory.create_batch(2, topic=topic)
    return topics


def make_meetings(n):
    """Meetings each with a host, two initiators, two people attending for two
    organisations, two agenda items and two follow-ups."""
    meetings = MeetingFactory.create_batch(n)
    for meeting in meetings:
        meeting.initiators.set(OrganisationFactory.create_batch(2))
        AttendanceFactory.create_batch(2, meeting=meeting)
        AgendaItemFactory.create_batch(2, meeting=meeting)
        FollowUpFactory.create_batch(2, meeting=meeting)
    return meetings


def make_agenda_items(n):
    """``n`` agenda items, two per meeting."""
    items = []
    for meeting in MeetingFactory.create_batch(n // 2):
        items += AgendaItemFactory.create_batch(2, meeting=meeting)
    return items


def make_attendances(n):
    """``n`` attendance rows, two per meeting, each a person for an
    organisation."""
    rows = []
    for meeting in MeetingFactory.create_batch(n // 2):
        rows += AttendanceFactory.create_batch(2, meeting=meeting)
    return rows


def make_follow_ups(n):
    """``n`` follow-ups, two per meeting, each owned by an organisation and a
    person."""
    follow_ups = []
    for meeting in MeetingFactory.create_batch(n // 2):
        follow_ups += FollowUpFactory.create_batch(
            2, meeting=meeting, owner_person=PersonFactory()
        )
    return follow_ups


def test_topic_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_topics(2)
    with django_assert_num_queries(4):  # session, user, count, page with counts
        response = admin_client.get(changelist("topic"))
    assert len(listed(response)) == 2
    assert first[0].name in response.content.decode()

    more = make_topics(18)
    with django_assert_num_queries(4):  # session, user, count, page with counts
        response = admin_client.get(changelist("topic"))
    assert len(listed(response)) == 20
    assert more[-1].name in response.content.decode()


def test_meeting_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_meetings(2)
    # session, user, first and last start (year filter), participant type
    # filter choices, count, page
    with django_assert_num_queries(6):
        response = admin_client.get(changelist("meeting"))
    assert len(listed(response)) == 2
    assert first[0].title in response.content.decode()

    more = make_meetings(18)
    # session, user, first and last start (year filter), participant type
    # filter choices, count, page
    with django_assert_num_queries(6):
        response = admin_client.get(changelist("meeting"))
    assert len(listed(response)) == 20
    assert more[-1].title in response.content.decode()


def test_agenda_item_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_agenda_items(2)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("agendaitem"))
    assert len(listed(response)) == 2
    assert first[0].topic.name in response.content.decode()

    more = make_agenda_items(18)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("agendaitem"))
    assert len(listed(response)) == 20
    assert more[-1].topic.name in response.content.decode()


def test_attendance_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_attendances(2)
    # session, user, organisation type filter choices, count, page
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("attendance"))
    assert len(listed(response)) == 2
    assert first[0].person.full_name in response.content.decode()

    more = make_attendances(18)
    # session, user, organisation type filter choices, count, page
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("attendance"))
    assert len(listed(response)) == 20
    assert more[-1].person.full_name in response.content.decode()


def test_follow_up_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_follow_ups(2)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("followup"))
    assert len(listed(response)) == 2
    assert first[0].action in response.content.decode()

    more = make_follow_ups(18)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("followup"))
    assert len(listed(response)) == 20
    assert more[-1].action in response.content.decode()


def test_the_follow_up_changelist_is_the_page_djangos_widget_templates_write(
    admin_client, settings
):
    make_follow_ups(4)
    ours = admin_client.get(changelist("followup"))
    settings.FORM_RENDERER = DJANGO_RENDERER
    django = admin_client.get(changelist("followup"))

    assert without_csrf_tokens(ours) == without_csrf_tokens(django)
    assert ours.content.count(b'class="action-select"') == 4
    assert ours.content.count(b'class="vDateField"') == 4


def test_a_refused_follow_up_list_shows_its_errors_as_djangos_templates_would(
    admin_client, settings
):
    make_follow_ups(2)
    data = changelist_data(admin_client.get(changelist("followup")))
    data["form-0-due_on"] = "<soon>"
    data["form-1-status"] = "finished"
    ours = admin_client.post(changelist("followup"), data)
    settings.FORM_RENDERER = DJANGO_RENDERER
    django = admin_client.post(changelist("followup"), data)

    assert ours.status_code == 200
    assert without_csrf_tokens(ours) == without_csrf_tokens(django)
    page = ours.content.decode()
    assert page.count('<ul class="errorlist"') == 2  # one for each refused field
    assert 'value="&lt;soon&gt;"' in page


def test_the_meeting_changelist_counts_attendance_rows(admin_client):
    meeting = MeetingFactory()
    AttendanceFactory.create_batch(3, meeting=meeting)
    nobody = MeetingFactory()

    rows = admin_client.get(changelist("meeting")).context["cl"].result_list

    assert {row.pk: row.attendance_count for row in rows} == {
        meeting.pk: 3,
        nobody.pk: 0,
    }


# History.


def test_changing_the_initiators_in_the_admin_is_recorded_with_the_user(
    admin_client, superuser
):
    meeting = build_graph()["meeting"]
    before = list(meeting.history.values_list("history_id", flat=True))
    old_initiators = set(meeting.initiators.values_list("pk", flat=True))
    newcomer = OrganisationFactory(acronym="UZINFOCOM")
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])

    post_change(admin_client, url, initiators=[str(newcomer.pk)])

    assert set(meeting.initiators.values_list("pk", flat=True)) == {newcomer.pk}
    written = meeting.history.exclude(history_id__in=before)
    assert written.exists()
    assert {record.history_user for record in written} == {superuser}
    latest = meeting.history.first()
    assert {row.organisation_id for row in latest.initiators.all()} == {newcomer.pk}
    previous = meeting.history.get(history_id=before[0])
    assert {row.organisation_id for row in previous.initiators.all()} == (
        old_initiators
    )


# Actions.


def test_mark_held_changes_only_the_selected_and_records_each_change(
    admin_client, superuser
):
    planned = MeetingFactory(status=Meeting.Status.PLANNED)
    left_alone = MeetingFactory(status=Meeting.Status.PLANNED)
    already_held = MeetingFactory(status=Meeting.Status.HELD)
    meetings = (planned, left_alone, already_held)
    versions = {m.pk: m.history.count() for m in meetings}

    messages = run_action(admin_client, "meeting", "mark_held", [planned, already_held])

    statuses = dict(
        Meeting.objects.filter(pk__in=[m.pk for m in meetings]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {
        planned.pk: Meeting.Status.HELD,
        left_alone.pk: Meeting.Status.PLANNED,
        already_held.pk: Meeting.Status.HELD,
    }
    assert {m.pk: m.history.count() for m in meetings} == {
        planned.pk: versions[planned.pk] + 1,
        left_alone.pk: versions[left_alone.pk],
        already_held.pk: versions[already_held.pk],
    }
    latest = planned.history.first()
    assert (latest.status, latest.history_user) == (Meeting.Status.HELD, superuser)
    assert messages == ["1 meeting marked held."]


def test_mark_cancelled_cancels_the_selected(admin_client, superuser):
    meeting, other = MeetingFactory.create_batch(2)

    run_action(admin_client, "meeting", "mark_cancelled", [meeting])

    meeting.refresh_from_db()
    other.refresh_from_db()
    assert (meeting.status, other.status) == (
        Meeting.Status.CANCELLED,
        Meeting.Status.PLANNED,
    )
    assert meeting.history.first().history_user == superuser


def test_mark_done_changes_only_the_selected_and_records_each_change(
    admin_client, superuser
):
    open_one = FollowUpFactory()
    left_alone = FollowUpFactory()
    already_done = FollowUpFactory(status=FollowUp.Status.DONE)
    follow_ups = (open_one, left_alone, already_done)
    versions = {f.pk: f.history.count() for f in follow_ups}

    messages = run_action(
        admin_client, "followup", "mark_done", [open_one, already_done]
    )

    statuses = dict(
        FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {
        open_one.pk: FollowUp.Status.DONE,
        left_alone.pk: FollowUp.Status.OPEN,
        already_done.pk: FollowUp.Status.DONE,
    }
    assert {f.pk: f.history.count() for f in follow_ups} == {
        open_one.pk: versions[open_one.pk] + 1,
        left_alone.pk: versions[left_alone.pk],
        already_done.pk: versions[already_done.pk],
    }
    assert open_one.history.first().history_user == superuser
    assert messages == ["1 follow-up marked done."]


# List filters.


def test_meeting_changelist_filters_by_status(admin_client):
    held = MeetingFactory(status=Meeting.Status.HELD)
    MeetingFactory(status=Meeting.Status.PLANNED)

    response = admin_client.get(changelist("meeting"), {"status__exact": "held"})

    assert listed(response) == [held.pk]


def test_meeting_changelist_filters_by_participant_type_listing_each_meeting_once(
    admin_client,
):
    donor = OrganisationType.objects.get(slug="donor")
    with_donors = MeetingFactory()
    for acronym in ("KfW", "GIZ"):
        AttendanceFactory(
            meeting=with_donors,
            organisation=OrganisationFactory(acronym=acronym, type=donor),
        )
    AttendanceFactory(meeting=with_donors)  # a ministry
    # A donor hosting a meeting it did not attend does not count.
    without_donors = MeetingFactory(host=OrganisationFactory(type=donor))
    AttendanceFactory(meeting=without_donors)

    response = admin_client.get(changelist("meeting"), {"participant_type": "donor"})

    assert listed(response) == [with_donors.pk]
    # A join on attendance would be folded into one row by the count's GROUP BY
    # but would multiply the count.
    assert response.context["cl"].result_list[0].attendance_count == 3


def test_a_donor_that_declined_did_not_take_part_as_in_the_meetings_list(
    admin_client,
):
    donor = OrganisationType.objects.get(slug="donor")
    declined = MeetingFactory()
    AttendanceFactory(
        meeting=declined,
        organisation=OrganisationFactory(type=donor),
        status=Attendance.Status.DECLINED,
    )
    invited = MeetingFactory()
    AttendanceFactory(
        meeting=invited,
        organisation=OrganisationFactory(type=donor),
        status=Attendance.Status.INVITED,
    )

    response = admin_client.get(changelist("meeting"), {"participant_type": "donor"})
    public = admin_client.get("/meetings/", {"type": "donor"})

    assert listed(response) == [invited.pk]
    assert [m.pk for m in public.context["object_list"]] == [invited.pk]


def test_attendance_changelist_filters_by_role(admin_client):
    presenter = AttendanceFactory(role=Attendance.Role.PRESENTER)
    AttendanceFactory(role=Attendance.Role.PARTICIPANT)

    response = admin_client.get(changelist("attendance"), {"role__exact": "presenter"})

    assert listed(response) == [presenter.pk]


# Access.


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    url = changelist("meeting")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_a_user_who_is_not_staff_is_sent_to_the_login_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="viewer"))
    url = changelist("attendance")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


# Bad input.


def test_a_meeting_without_title_or_start_is_refused_and_not_saved(admin_client):
    url = reverse("admin:meetings_meeting_add")
    data = form_data(admin_client.get(url))
    data.update(title="", venue="Tashkent")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"title", "starts_at"}
    assert not Meeting.objects.exists()


def test_a_meeting_ending_before_it_starts_is_refused_and_not_saved(admin_client):
    url = reverse("admin:meetings_meeting_add")
    data = form_data(admin_client.get(url))
    data.update(
        title="Digital health partners",
        starts_at_0="2025-01-29",
        starts_at_1="10:00",
        ends_at_0="2025-01-29",
        ends_at_1="09:00",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"ends_at"}
    assert not Meeting.objects.exists()


def test_an_organisation_recorded_twice_without_a_person_is_refused(admin_client):
    first = AttendanceFactory(person=None)
    url = reverse("admin:meetings_attendance_add")
    data = form_data(admin_client.get(url))
    data.update(meeting=first.meeting_id, organisation=first.organisation_id)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"organisation"}
    assert Attendance.objects.count() == 1


def test_a_follow_up_without_an_action_is_refused_and_not_saved(admin_client):
    meeting = MeetingFactory()
    url = reverse("admin:meetings_followup_add")
    data = form_data(admin_client.get(url))
    data.update(meeting=meeting.pk, action="", due_on="2025-03-01")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"action"}
    assert not FollowUp.objects.exists()


def test_a_topic_named_like_another_in_another_case_is_refused(admin_client):
    TopicFactory(name="National health information system")
    url = reverse("admin:meetings_topic_add")
    data = form_data(admin_client.get(url))
    data.update(name="NATIONAL HEALTH INFORMATION SYSTEM")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"name"}
    assert Topic.objects.count() == 1


def test_an_agenda_item_repeating_a_topic_is_refused(admin_client):
    item = AgendaItemFactory()
    url = reverse("admin:meetings_agendaitem_add")
    data = form_data(admin_client.get(url))
    data.update(meeting=item.meeting_id, topic=item.topic_id, order="2")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == {"topic": ["This topic is already on the agenda."]}
    assert AgendaItem.objects.count() == 1


def test_a_date_only_meeting_is_listed_with_its_date_alone(admin_client):
    # Midnight in Tashkent is 19:00 UTC the day before.
    MeetingFactory(
        starts_at=datetime.datetime(2025, 1, 28, 19, tzinfo=datetime.UTC),
        date_only=True,
    )
    MeetingFactory(
        starts_at=datetime.datetime(2025, 1, 29, 9, 30, tzinfo=datetime.UTC),
        date_only=False,
    )

    response = admin_client.get(changelist("meeting"))

    cells = re.findall(
        r'<td class="field-starts[^"]*">([^<]*)</td>', response.content.decode()
    )
    # British English with 24-hour times (config/formats/en_GB).
    assert cells == ["29 Jan 2025, 14:30", "29 Jan 2025"]


# Meetings recorded by date alone (issue 16).


def test_a_date_only_meeting_may_be_saved_without_a_time(admin_client):
    url = reverse("admin:meetings_meeting_add")
    data = form_data(admin_client.get(url))
    data.update(
        title="Digital health partners",
        starts_at_0="2025-01-29",
        starts_at_1="",
        ends_at_0="2025-01-29",
        ends_at_1="",
        date_only="on",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, form_errors(response)
    meeting = Meeting.objects.get()
    # The local midnight that starts the day, and the one that ends it.
    assert meeting.starts_at == datetime.datetime(2025, 1, 28, 19, tzinfo=datetime.UTC)
    assert meeting.ends_at == datetime.datetime(2025, 1, 29, 19, tzinfo=datetime.UTC)


def test_a_timed_meeting_without_a_time_is_refused_and_not_saved(admin_client):
    url = reverse("admin:meetings_meeting_add")
    data = form_data(admin_client.get(url))
    data.update(
        title="Digital health partners", starts_at_0="2025-01-29", starts_at_1=""
    )
    data.pop("date_only", None)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == {
        "starts_at": ["Enter a time, or tick “Date only”."]
    }
    assert not Meeting.objects.exists()
