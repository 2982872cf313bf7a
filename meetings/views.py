import datetime
import json
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace

import icalendar
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import transaction
from django.db.models import F, Prefetch
from django.forms.utils import ErrorDict
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import DetailView, TemplateView

from core.exports import Column, JoinedColumn, choice_labels
from core.models import choice_label
from core.search import closest_first
from core.views import FilteredListView, SuggestView
from stakeholders.models import (
    Organisation,
    OrganisationType,
    Person,
    Position,
    attach_local_names,
)

from .filters import MeetingFilter
from .forms import MeetingRecordForm, record_formsets, rows_state
from .models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from .services import AgendaEntry, Attending, meeting_record


class MeetingListView(FilteredListView):
    permission_required = "meetings.view_meeting"
    model = Meeting
    filterset_class = MeetingFilter
    export_filename = "meetings"
    export_columns = [
        Column(_("Starts"), "starts_at", date_only="date_only"),
        Column(pgettext_lazy("meeting", "Title"), "title"),
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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attach_local_names(meeting.host for meeting in context["object_list"])
        return context


class MeetingSuggestView(SuggestView):
    permission_required = "meetings.view_meeting"

    def get_queryset(self):
        return Meeting.objects.order_by("-starts_at")

    def search(self, queryset, term):
        return queryset.search(term)


class TopicSuggestView(SuggestView):
    permission_required = "meetings.view_topic"

    def get_queryset(self):
        return Topic.objects.order_by("name")

    def search(self, queryset, term):
        return closest_first(queryset.search(term), term)


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
    return [choice_label(choices, choice) for choice in choices if choice in present]


def group_by_organisation(rows):
    """Attendance ``rows`` as one ``AttendingOrganisation`` per organisation:
    hosts first, then presenters, participants and observers, by the name the
    reader reads (``display_name``)."""
    groups = {}
    for row in rows:
        groups.setdefault(
            row.organisation_id, AttendingOrganisation(row.organisation)
        ).rows.append(row)
    return sorted(
        groups.values(),
        key=lambda g: (
            g.rank,
            g.organisation.display_name.casefold(),
            g.organisation.pk,
        ),
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
        attach_local_names(
            [
                meeting.host,
                *meeting.initiator_list,
                *(row.organisation for row in meeting.attendance_list),
                *(f.owner_organisation for f in meeting.follow_up_list),
            ]
        )
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


def meeting_event(meeting, *, url=""):
    """``meeting`` as an iCalendar event.

    Times are given in UTC, so no VTIMEZONE is needed. A meeting recorded by
    date alone becomes an all-day event; one with no end is left without DTEND,
    which calendars read as "ends when it starts" rather than an invented
    length. The UID is the meeting's, the same in every file and feed, so a
    calendar updates the event rather than adding another. Expects
    ``meeting.agenda`` (``agenda_prefetch()``)."""
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
    event.add("sequence", meeting.version)
    if url:
        event.add("url", url)
    return event


def calendar_of(events, **properties):
    """An iCalendar object holding ``events``, with ``properties`` (such as
    the calendar's name) besides the required ones."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Hamkor//EN")
    calendar.add("version", "2.0")
    for name, value in properties.items():
        calendar.add(name.replace("_", "-"), value)
    for event in events:
        calendar.add_component(event)
    return calendar


def meeting_calendar(meeting, *, url=""):
    """``meeting`` as an iCalendar object with one event."""
    return calendar_of([meeting_event(meeting, url=url)])


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


# What recording a meeting writes: the meeting, its attendance, agenda (and
# topics) and follow-ups. The editor role holds them all (accounts/roles.py).
RECORD_PERMISSIONS = (
    "meetings.add_meeting",
    "meetings.change_meeting",
    "meetings.add_attendance",
    "meetings.change_attendance",
    "meetings.delete_attendance",
    "meetings.add_agendaitem",
    "meetings.change_agendaitem",
    "meetings.delete_agendaitem",
    "meetings.add_topic",
    "meetings.add_followup",
    "meetings.change_followup",
    "meetings.delete_followup",
)


class MeetingRecordView(PermissionRequiredMixin, TemplateView):
    """ "Record a meeting" (and edit one): the meeting, the organisations
    attending with their people, the agenda and the follow-ups on one page,
    saved in one transaction by ``services.meeting_record``.

    Rows are added by type-ahead (static/js/record.js); without JavaScript the
    page offers spare rows for ids. "Add all of type" posts the page back with
    a row for every active organisation of the type. A person recorded on
    behalf of an organisation they hold no position at is a warning, and a
    second submit ("Save anyway") saves.

    Queries of the page (GET): the meeting with its host, its initiators,
    attendance rows, agenda and follow-ups, and the organisation types,
    whatever the number of rows."""

    permission_required = RECORD_PERMISSIONS
    template_name = "meetings/meeting_record.html"
    # Spare rows for browsers without JavaScript.
    spare = {"organisations": 3, "people": 3, "agenda": 3, "follow_ups": 1}
    # "Add all of type" adds at most this many organisations at once.
    add_limit = 100

    def get_meeting(self):
        if "pk" not in self.kwargs:
            return Meeting()
        return get_object_or_404(
            Meeting.objects.select_related("host"), pk=self.kwargs["pk"]
        )

    def get(self, request, *args, **kwargs):
        meeting = self.get_meeting()
        labels = Labels()
        initial = self.initial_rows(meeting, labels)
        form = MeetingRecordForm(
            instance=meeting, initial={"seen_rows": initial.pop("state", "")}
        )
        formsets = record_formsets(
            initial=initial,
            meeting=meeting,
            extra=self.spare,
        )
        return self.render(meeting, form, formsets, labels)

    def post(self, request, *args, **kwargs):
        meeting = self.get_meeting()
        if "add_all" in request.POST:
            return self.add_all_of_type(meeting)
        warnings = []
        with transaction.atomic():
            # The form locks the meeting's row (VersionedModelForm) until the
            # writes are done.
            form = MeetingRecordForm(request.POST, instance=meeting)
            formsets = record_formsets(request.POST, meeting=meeting)
            # Every formset checked, so that every error shows at once.
            checked = [formset.is_valid() for formset in formsets.values()]
            valid = form.is_valid() & all(checked)
            if valid:
                warnings = self.position_warnings(meeting, formsets["people"])
            if valid and (not warnings or "confirm" in request.POST):
                meeting = meeting_record(
                    meeting=form.instance,
                    initiators=form.cleaned_data["initiators"],
                    attendance=[
                        Attending(
                            organisation=row["organisation"],
                            role=row["role"],
                            status=row["status"],
                        )
                        for row in formsets["organisations"].picked()
                    ]
                    + [
                        Attending(
                            organisation=row["organisation"],
                            person=row["person"],
                            role=row["role"],
                            status=row["status"],
                        )
                        for row in formsets["people"].picked()
                    ],
                    agenda=[
                        AgendaEntry(
                            topic=row["topic"],
                            new_topic=row["new_topic"],
                            notes=row["notes"],
                        )
                        for row in formsets["agenda"].picked()
                    ],
                    follow_ups=formsets["follow_ups"].picked(),
                )
                messages.success(
                    request,
                    _("The meeting “%(title)s” was saved.") % {"title": meeting.title},
                )
                return redirect("meetings:detail", pk=meeting.pk)
        return self.render(
            meeting,
            form,
            formsets,
            Labels(),
            warnings=warnings,
            status=200 if valid else 400,
        )

    def add_all_of_type(self, meeting):
        """The page again, with a row for each active organisation of the
        chosen type not listed yet; nothing checked or saved."""
        data = self.request.POST.copy()
        form = MeetingRecordForm(data, instance=meeting)
        kind = form["add_type"].value()
        added = []
        chosen = OrganisationType.objects.filter(slug=kind).first() if kind else None
        prefix = "organisations"
        total = int(data.get(f"{prefix}-TOTAL_FORMS") or 0)
        total = max(0, min(total, 1000))
        if chosen is not None:
            listed = {
                data.get(f"{prefix}-{index}-organisation") for index in range(total)
            }
            organisations = (
                Organisation.objects.active()
                .of_type(chosen)
                .exclude(pk__in=[pk for pk in listed if pk and pk.isdigit()])
                .order_by("name", "pk")[: self.add_limit]
            )
            for organisation in organisations:
                data[f"{prefix}-{total}-organisation"] = str(organisation.pk)
                data[f"{prefix}-{total}-role"] = Attendance.Role.PARTICIPANT
                data[f"{prefix}-{total}-status"] = ""
                total += 1
                added.append(organisation)
            data[f"{prefix}-TOTAL_FORMS"] = str(total)
        form = MeetingRecordForm(data, instance=meeting)
        formsets = record_formsets(data, meeting=meeting)
        labels = Labels()
        labels.organisations.update({o.pk: str(o) for o in added})
        for shown in [form, *(f for fs in formsets.values() for f in fs.forms)]:
            # Not checked yet: shown as entered, without errors.
            shown._errors = ErrorDict()
        return self.render(
            meeting,
            form,
            formsets,
            labels,
            added=added,
            added_type=chosen,
            add_limit=self.add_limit,
        )

    def initial_rows(self, meeting, labels):
        """The rows of a recorded meeting, for its edit page: an organisation
        row for each organisation attending (its own row's role and status,
        or those its people's rows add up to), its people, the agenda and the
        follow-ups."""
        if meeting.pk is None:
            return {}
        # (kind, id, version) of every row shown, for the form's seen_rows.
        state = []
        rows = meeting.attendances.select_related("organisation", "person").order_by(
            F("person__full_name").asc(nulls_first=True), "pk"
        )
        organisations, people = [], []
        for group in group_by_organisation(rows):
            state += [("attendance", row.pk, row.version) for row in group.rows]
            organisation = group.organisation
            labels.organisations[organisation.pk] = str(organisation)
            own = next((row for row in group.rows if row.person_id is None), None)
            statuses = {row.status for row in group.rows}
            organisations.append(
                {
                    "organisation": organisation.pk,
                    "role": own.role if own else list(Attendance.Role)[group.rank],
                    "status": own.status
                    if own
                    else (
                        Attendance.Status.ATTENDED
                        if Attendance.Status.ATTENDED in statuses
                        else group.people[0].status
                    ),
                }
            )
            for row in group.people:
                labels.people[row.person_id] = row.person.full_name
                people.append(
                    {
                        "person": row.person_id,
                        "organisation": organisation.pk,
                        "role": row.role,
                        "status": row.status,
                    }
                )
        agenda = []
        for item in meeting.agenda_items.select_related("topic").order_by(
            "order", "pk"
        ):
            state.append(("agenda", item.pk, item.version))
            labels.topics[item.topic_id] = item.topic.name
            agenda.append({"topic": item.topic_id, "notes": item.notes})
        follow_ups = []
        for follow_up in meeting.follow_ups.select_related(
            "owner_organisation", "owner_person"
        ).order_by(F("due_on").asc(nulls_last=True), "pk"):
            state.append(("follow_up", follow_up.pk, follow_up.version))
            if follow_up.owner_organisation_id:
                labels.organisations[follow_up.owner_organisation_id] = str(
                    follow_up.owner_organisation
                )
            if follow_up.owner_person_id:
                labels.people[follow_up.owner_person_id] = (
                    follow_up.owner_person.full_name
                )
            follow_ups.append(
                {
                    "id": follow_up.pk,
                    "action": follow_up.action,
                    "owner_organisation": follow_up.owner_organisation_id,
                    "owner_person": follow_up.owner_person_id,
                    "due_on": follow_up.due_on,
                    "status": follow_up.status,
                }
            )
        return {
            "state": rows_state(state),
            "organisations": organisations,
            "people": people,
            "agenda": agenda,
            "follow_ups": follow_ups,
        }

    def position_warnings(self, meeting, people):
        """The people recorded on behalf of an organisation they held no
        position at on the meeting's day: ``[(person, organisation)]``. One
        query."""
        rows = [(row["person"], row["organisation"]) for row in people.picked()]
        if not rows:
            return []
        day = timezone.localtime(meeting.starts_at).date()
        held = set(
            Position.objects.current(on=day)
            .filter(
                person__in={person.pk for person, _o in rows},
                organisation__in={organisation.pk for _p, organisation in rows},
            )
            .values_list("person", "organisation")
        )
        return [
            (person, organisation)
            for person, organisation in rows
            if (person.pk, organisation.pk) not in held
        ]

    def render(self, meeting, form, formsets, labels, *, status=200, **extra):
        labels.fill(form, formsets)
        context = self.get_context_data(
            meeting=meeting,
            form=form,
            formsets=formsets,
            attending=attending_groups(formsets, labels),
            agenda=[
                (f, labels.topics.get(as_int(f["topic"].value())))
                for f in formsets["agenda"].forms
            ],
            errors=form_errors(form, formsets),
            templates=SimpleNamespace(
                # Rows added by static/js/record.js, which puts the chosen
                # name where each text says "__label__".
                organisation=SimpleNamespace(
                    form=formsets["organisations"].empty_form,
                    pk="",
                    label="__label__",
                    people=[],
                ),
                person=formsets["people"].empty_form,
                agenda=formsets["agenda"].empty_form,
                follow_up=formsets["follow_ups"].empty_form,
            ),
            **extra,
        )
        return self.render_to_response(context, status=status)


def as_int(value):
    """A posted or initial id as an int, or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Labels:
    """The names the recording page shows for the ids its fields hold: those
    it read with the rows already, and the rest in one query a model."""

    def __init__(self):
        self.organisations, self.people, self.topics = {}, {}, {}

    def fill(self, form, formsets):
        for organisation in form.initial.get("initiators") or ():
            if isinstance(organisation, Organisation):
                self.organisations[organisation.pk] = str(organisation)
        host = form.instance.host if form.instance.host_id else None
        if host is not None:
            self.organisations[host.pk] = str(host)
        wanted = {"organisations": set(), "people": set(), "topics": set()}
        wanted["organisations"].add(as_int(form["host"].value()))
        wanted["organisations"].update(map(as_int, form["initiators"].value() or ()))
        for name, kind in (
            ("organisations-organisation", "organisations"),
            ("people-person", "people"),
            ("people-organisation", "organisations"),
            ("agenda-topic", "topics"),
            ("follow_ups-owner_organisation", "organisations"),
            ("follow_ups-owner_person", "people"),
        ):
            prefix, field = name.split("-")
            for row in formsets[prefix].forms:
                wanted[kind].add(as_int(row[field].value()))
        for kind, model, label in (
            ("organisations", Organisation, str),
            ("people", Person, lambda person: person.full_name),
            ("topics", Topic, lambda topic: topic.name),
        ):
            known = getattr(self, kind)
            missing = wanted[kind] - known.keys() - {None}
            if missing:
                known.update(
                    (obj.pk, label(obj)) for obj in model.objects.filter(pk__in=missing)
                )
        # The pickers show these instead of asking the server.
        self.label_widget(form["host"], self.organisations)
        form.fields["initiators"].widget.attrs["data-labels"] = json.dumps(
            [
                {"id": pk, "label": self.organisations.get(pk, str(pk))}
                for pk in map(as_int, form["initiators"].value() or ())
                if pk is not None
            ]
        )
        for row in formsets["follow_ups"].forms:
            self.label_widget(row["owner_organisation"], self.organisations)
            self.label_widget(row["owner_person"], self.people)

    @staticmethod
    def label_widget(bound_field, labels):
        pk = as_int(bound_field.value())
        if pk in labels:
            bound_field.field.widget.attrs["data-label"] = labels[pk]


def attending_groups(formsets, labels):
    """The organisation rows with the people rows under them, as the page
    shows them; the rows still empty (spare rows, for browsers without
    JavaScript) apart."""
    groups, by_organisation, spare_organisations, spare_people = [], {}, [], []
    for row in formsets["organisations"].forms:
        pk = as_int(row["organisation"].value())
        if pk is None:
            spare_organisations.append(row)
            continue
        group = SimpleNamespace(
            form=row, pk=pk, label=labels.organisations.get(pk, pk), people=[]
        )
        by_organisation.setdefault(pk, group)
        groups.append(group)
    for row in formsets["people"].forms:
        person = as_int(row["person"].value())
        organisation = as_int(row["organisation"].value())
        if person is None and organisation is None and not row.errors:
            spare_people.append(row)
            continue
        group = by_organisation.get(organisation)
        if group is None:
            # Someone under an organisation not listed: a group of its own,
            # its rows' fields shown as they are.
            group = SimpleNamespace(
                form=None,
                pk=organisation,
                label=labels.organisations.get(organisation, organisation or ""),
                people=[],
            )
            by_organisation[organisation] = group
            groups.append(group)
        group.people.append(
            SimpleNamespace(form=row, label=labels.people.get(person, person))
        )
    return SimpleNamespace(
        groups=groups,
        spare_organisations=spare_organisations,
        spare_people=spare_people,
    )


ROW_SECTIONS = {
    "organisations": _("Organisations"),
    "people": _("People"),
    "agenda": _("Agenda"),
    "follow_ups": _("Follow-ups"),
}


def form_errors(form, formsets):
    """Every error of the page, each naming its field (and row), for the
    summary at its top."""
    found = [str(error) for error in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name != "__all__":
            label = form.fields[name].label if name in form.fields else name
            found += [f"{label}: {error}" for error in errors]
    for prefix, formset in formsets.items():
        found += [
            f"{ROW_SECTIONS[prefix]}: {error}" for error in formset.non_form_errors()
        ]
        for number, row in enumerate(formset.forms, start=1):
            for name, errors in row.errors.items():
                label = row.fields[name].label if name in row.fields else ""
                where = _("%(section)s, row %(number)s") % {
                    "section": ROW_SECTIONS[prefix],
                    "number": number,
                }
                found += [
                    f"{where} — {label}: {error}" if label else f"{where}: {error}"
                    for error in errors
                ]
    return found
