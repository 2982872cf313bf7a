import datetime
from dataclasses import dataclass, field
from functools import cached_property

import icalendar
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import F, Prefetch
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, TemplateView

from core.exports import Column, JoinedColumn, choice_labels
from core.views import FilteredListView, SuggestView
from stakeholders.models import Organisation, OrganisationType

from .filters import MeetingFilter
from .models import AgendaItem, Attendance, FollowUp, Meeting, Topic


class HomeView(PermissionRequiredMixin, TemplateView):
    permission_required = "meetings.view_meeting"
    template_name = "meetings/home.html"
    recent = 5

    def get_context_data(self, **kwargs):
        now = timezone.now()
        meetings = Meeting.objects.select_related("host")
        # The counts are stored on the types: the page costs the same with
        # a hundred organisations or a hundred thousand.
        types = list(OrganisationType.objects.order_by("name"))
        return super().get_context_data(
            types=types,
            organisation_count=sum(t.active_organisations for t in types),
            upcoming=meetings.filter(starts_at__gte=now)
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("starts_at")[: self.recent],
            recent=meetings.filter(starts_at__lt=now).order_by("-starts_at")[
                : self.recent
            ],
            **kwargs,
        )


class MeetingListView(FilteredListView):
    permission_required = "meetings.view_meeting"
    model = Meeting
    filterset_class = MeetingFilter
    export_filename = "meetings"
    export_columns = [
        Column(_("Starts"), "starts_at", date_only="date_only"),
        Column(_("Title"), "title"),
        Column(_("Venue"), "venue"),
        Column(_("Format"), "format", display=choice_labels),
        Column(_("Status"), "status", display=choice_labels),
        Column(_("Host"), "host__name"),
        Column(_("Organisations"), "organisations_attended"),
        # The topics' names in agenda order, read in the export's own query.
        JoinedColumn(
            _("Agenda"), "agenda_items", ("topic__name",), order_by=("order", "pk")
        ),
    ]

    def get_queryset(self):
        return (
            Meeting.objects.select_related("host")
            .prefetch_related(
                Prefetch(
                    "agenda_items",
                    queryset=AgendaItem.objects.select_related("topic"),
                )
            )
            .order_by("-starts_at", "pk")
        )


class MeetingSuggestView(SuggestView):
    permission_required = "meetings.view_meeting"

    def get_queryset(self):
        return Meeting.objects.order_by("-starts_at")

    def search(self, queryset, term):
        return queryset.filter(title__icontains=term)


class TopicSuggestView(SuggestView):
    permission_required = "meetings.view_topic"

    def get_queryset(self):
        return Topic.objects.order_by("name")

    def search(self, queryset, term):
        return queryset.filter(name__icontains=term)


def agenda_prefetch():
    """The agenda in order, topics joined, into ``meeting.agenda``."""
    return Prefetch(
        "agenda_items",
        queryset=AgendaItem.objects.select_related("topic").order_by("order", "pk"),
        to_attr="agenda",
    )


def local_days(meeting):
    """The first and last local day of a meeting.

    An end at local midnight closes the day before (a one-day meeting entered as
    "29 January 00:00 to 30 January 00:00" lasts one day)."""
    first = timezone.localtime(meeting.starts_at).date()
    if meeting.ends_at is None:
        return first, first
    last = timezone.localtime(
        meeting.ends_at - datetime.timedelta(microseconds=1)
    ).date()
    return first, max(first, last)


@dataclass
class AttendingOrganisation:
    """One organisation's attendance rows at one meeting: the organisation-only
    row, if any, and the people who attended on its behalf."""

    organisation: Organisation
    rows: list = field(default_factory=list)

    @cached_property
    def roles(self):
        return distinct_choices(self.rows, "role", Attendance.Role)

    @cached_property
    def statuses(self):
        return distinct_choices(self.rows, "status", Attendance.Status)

    @cached_property
    def people(self):
        return [row for row in self.rows if row.person_id is not None]

    @cached_property
    def notes(self):
        return [row.notes for row in self.rows if row.notes]

    @cached_property
    def rank(self):
        order = {role: index for index, role in enumerate(Attendance.Role)}
        return min(order.get(row.role, len(order)) for row in self.rows)


def distinct_choices(rows, name, choices):
    """The labels of the values of ``name`` among ``rows``, in the choices'
    order, once each."""
    present = {getattr(row, name) for row in rows}
    return [choice.label for choice in choices if choice in present]


def group_by_organisation(rows):
    """Attendance ``rows`` as one ``AttendingOrganisation`` per organisation:
    hosts first, then presenters, participants and observers, by name."""
    groups = {}
    for row in rows:
        groups.setdefault(
            row.organisation_id, AttendingOrganisation(row.organisation)
        ).rows.append(row)
    return sorted(
        groups.values(),
        key=lambda g: (g.rank, g.organisation.name.casefold(), g.organisation.pk),
    )


class MeetingDetailView(PermissionRequiredMixin, DetailView):
    """A meeting: when and where, host and initiators, agenda, attendance grouped
    by organisation, follow-ups.

    Queries: the meeting with its host, initiators, agenda, attendance rows and
    follow-ups, whatever the number of each.
    """

    permission_required = "meetings.view_meeting"
    model = Meeting

    def get_queryset(self):
        return Meeting.objects.select_related("host").prefetch_related(
            Prefetch(
                "initiators",
                queryset=Organisation.objects.order_by("name", "pk"),
                to_attr="initiator_list",
            ),
            agenda_prefetch(),
            Prefetch(
                "attendances",
                queryset=Attendance.objects.select_related(
                    "organisation__type", "person"
                ).order_by(F("person__full_name").asc(nulls_first=True), "pk"),
                to_attr="attendance_list",
            ),
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.select_related(
                    "owner_organisation", "owner_person"
                ).order_by(F("due_on").asc(nulls_last=True), "pk"),
                to_attr="follow_up_list",
            ),
        )

    def get_context_data(self, **kwargs):
        meeting = self.object
        attending = group_by_organisation(meeting.attendance_list)
        first_day, last_day = local_days(meeting)
        return super().get_context_data(
            attending=attending,
            people_count=sum(len(group.people) for group in attending),
            initiator_ids={o.pk for o in meeting.initiator_list},
            first_day=first_day,
            last_day=last_day,
            **kwargs,
        )


ICALENDAR_STATUS = {
    Meeting.Status.HELD: "CONFIRMED",
    Meeting.Status.PLANNED: "TENTATIVE",
    Meeting.Status.CANCELLED: "CANCELLED",
}


def meeting_calendar(meeting, *, url=""):
    """``meeting`` as an iCalendar object with one event.

    Times are given in UTC, so no VTIMEZONE is needed. A meeting recorded by
    date alone becomes an all-day event; one with no end is left without DTEND,
    which calendars read as "ends when it starts" rather than an invented
    length. Expects ``meeting.agenda`` (``agenda_prefetch()``)."""
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.pk}@hamkor")
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("summary", meeting.title)
    if meeting.date_only:
        first_day, last_day = local_days(meeting)
        event.add("dtstart", first_day)
        event.add("dtend", last_day + datetime.timedelta(days=1))
    else:
        event.add("dtstart", meeting.starts_at.astimezone(datetime.UTC))
        if meeting.ends_at:
            event.add("dtend", meeting.ends_at.astimezone(datetime.UTC))
    if meeting.venue:
        event.add("location", meeting.venue)
    description = [meeting.summary] if meeting.summary else []
    if meeting.agenda:
        description.append(
            "\n".join(
                [str(_("Agenda:"))]
                + [
                    f"{number}. {item.topic.name}"
                    for number, item in enumerate(meeting.agenda, start=1)
                ]
            )
        )
    if description:
        event.add("description", "\n\n".join(description))
    event.add("status", ICALENDAR_STATUS[meeting.status])
    if url:
        event.add("url", url)

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Hamkor//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar


class MeetingCalendarView(PermissionRequiredMixin, DetailView):
    """The meeting as an .ics file, to add to a calendar.

    Queries: the meeting and its agenda."""

    permission_required = "meetings.view_meeting"
    model = Meeting

    def get_queryset(self):
        return Meeting.objects.prefetch_related(agenda_prefetch())

    def render_to_response(self, context, **response_kwargs):
        meeting = self.object
        calendar = meeting_calendar(
            meeting,
            url=self.request.build_absolute_uri(
                reverse("meetings:detail", args=[meeting.pk])
            ),
        )
        response = HttpResponse(
            calendar.to_ical(), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="meeting-{meeting.pk}.ics"'
        )
        return response
