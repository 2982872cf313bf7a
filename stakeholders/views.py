from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import DetailView

from core.exports import (
    Column,
    JoinedColumn,
    country_names,
    local_dates,
)
from core.forms import SuggestForm
from core.paginators import count_limit_for
from core.search import closest_first
from core.views import FilteredListView, SuggestView, first, web_link
from duplicates.views import FollowMerges
from meetings.models import Attendance, FollowUp, Meeting

from .filters import OrganisationFilter, PersonFilter
from .forms import AssessmentForm
from .models import (
    Assessment,
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
    attach_local_names,
    name_language,
    organisation_label,
    type_label,
)
from .timeline import Events


def type_labels(field):
    """An export's type column in the reader's language (``type_label``)."""
    return type_label


class OrganisationListView(FilteredListView):
    permission_required = "stakeholders.view_organisation"
    model = Organisation
    filterset_class = OrganisationFilter
    export_filename = "organisations"
    export_columns = [
        Column(pgettext_lazy("organisation", "Name"), "name"),
        # The name recorded for the language of the request (of the
        # exporting user), empty where there is none: the official name
        # stays the first column, the one to match on. The header names the
        # language, so that a file passed on still says what the column is.
        Column(
            # Translators: the header of the column that holds each
            # organisation's name in the language you translate into: name
            # your own language here ("Наименование на русском языке").
            pgettext_lazy("export column", "Name in English"),
            "local_name",
        ),
        Column(_("Acronym"), "acronym"),
        Column(
            pgettext_lazy("organisation", "Type"), "type__name", display=type_labels
        ),
        Column(_("Country"), "country", display=country_names),
        Column(_("Part of"), "parent__name"),
        Column(pgettext_lazy("organisation", "Active"), "is_active"),
        Column(_("Meetings attended"), "meetings_attended"),
        Column(_("Last met"), "last_met", display=local_dates),
        Column(_("Website"), "website"),
        Column(_("Email"), "email"),
        Column(_("Phone"), "phone"),
    ]

    def get_queryset(self):
        # Sorted by the official name whatever the reader's language: the
        # order is the index's, and the same for everyone.
        return Organisation.objects.select_related("type", "parent").order_by(
            "name", "pk"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["object_list"]
        attach_local_names([*page, *(o.parent for o in page)])
        return context

    def export(self, queryset):
        return super().export(queryset.with_local_name())


def current_positions():
    """A person's positions held today (``Position.objects.current()``), as a
    relation an export joins in its own query."""
    today = timezone.localdate()
    return FilteredRelation(
        "positions",
        condition=(Q(positions__since__isnull=True) | Q(positions__since__lte=today))
        & (Q(positions__until__isnull=True) | Q(positions__until__gte=today)),
    )


def position_text():
    """``str(position)`` from a position's title and its organisation's name
    and acronym, without model instances, the words translated once (for the
    export of a list of people)."""
    template = str(_("%(role)s, %(organisation)s"))
    untitled = str(_("Position"))

    def render(title, name, acronym):
        return template % {
            "role": title or untitled,
            "organisation": organisation_label(name, acronym),
        }

    return render


class PersonListView(FilteredListView):
    permission_required = "stakeholders.view_person"
    model = Person
    filterset_class = PersonFilter
    export_filename = "people"
    export_columns = [
        Column(pgettext_lazy("person", "Name"), "full_name"),
        Column(_("Email"), "email"),
        Column(_("Phone"), "phone"),
        JoinedColumn(
            _("Current positions"),
            "current_positions",
            ("title", "organisation__name", "organisation__acronym"),
            render=position_text,
            relation=current_positions,
            order_by=(
                F("until").desc(nulls_first=True),
                F("since").desc(nulls_last=True),
                "pk",
            ),
        ),
        Column(_("Do not contact"), "do_not_contact"),
        Column(_("Meetings attended"), "meetings_attended"),
        Column(_("Last met"), "last_met", display=local_dates),
    ]

    def get_queryset(self):
        return Person.objects.with_current_positions().order_by("full_name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attach_local_names(
            position.organisation
            for person in context["object_list"]
            for position in person.current_positions
        )
        return context


class OrganisationSuggestView(SuggestView):
    permission_required = "stakeholders.view_organisation"

    def get_queryset(self):
        return Organisation.objects.order_by("-is_active", "name")

    def search(self, queryset, term):
        return closest_first(queryset.search(term), term)


class PersonSuggestForm(SuggestForm):
    organisation = forms.IntegerField(required=False)


class PersonSuggestView(SuggestView):
    """People, each labelled with the organisation they work for now; with
    ``?organisation=<id>``, that organisation's people first, and, before
    anything is typed, they alone (the recording page's "add a person").
    One query, however many people and positions."""

    permission_required = "stakeholders.view_person"
    form_class = PersonSuggestForm

    def get_queryset(self):
        current = Position.objects.current().filter(person=OuterRef("pk"))
        latest = current.order_by(F("since").desc(nulls_last=True), "-pk")
        people = Person.objects.annotate(
            organisation_name=Subquery(latest.values("organisation__name")[:1]),
            organisation_acronym=Subquery(latest.values("organisation__acronym")[:1]),
        )
        organisation = self.options.get("organisation")
        if organisation is None:
            return people.order_by("full_name", "pk")
        return people.annotate(
            works_there=Exists(current.filter(organisation=organisation))
        ).order_by("-works_there", "full_name", "pk")

    def search(self, queryset, term):
        # The organisation's people stay first.
        keep = 0 if self.options.get("organisation") is None else 1
        return closest_first(queryset.search(term), term, keep=keep)

    def browse(self, queryset):
        if self.options.get("organisation") is None:
            return None
        return queryset.filter(works_there=True)

    def label(self, obj):
        where = obj.organisation_acronym or obj.organisation_name
        return f"{obj.full_name} · {where}" if where else obj.full_name

    def result(self, obj):
        return {**super().result(obj), "name": obj.full_name}


def organisation_family(pk, *, max_depth=20):
    """The organisation ``pk`` with its parent chain (nearest first) and its
    sub-organisations (active first, by name), each with its type and its
    ``local_name``, in one query whatever the depth: ``(organisation,
    ancestors, children)``, or ``None`` when there is no such organisation.

    The ORM cannot express a recursive query, and following ``parent`` costs a
    query per level. ``max_depth`` stops a cycle written to the database behind
    the model's validation.
    """
    quote = connection.ops.quote_name
    table = quote(Organisation._meta.db_table)
    types = quote(OrganisationType._meta.db_table)
    parent = quote(Organisation._meta.get_field("parent").column)
    type_column = quote(Organisation._meta.get_field("type").column)
    type_fields = [f.attname for f in OrganisationType._meta.concrete_fields]
    type_select = ", ".join(
        f"t.{quote(f)} AS {quote('type__' + f)}" for f in type_fields
    )
    # The name in the reader's language, as attach_local_names reads it (the
    # first recorded that is not a former one), in this query rather than one
    # more: a detail page is held to eight.
    names = quote(OrganisationName._meta.db_table)
    name_of = quote(OrganisationName._meta.get_field("organisation").column)
    local_name = f"""(
        SELECT n.name FROM {names} n
        WHERE n.{name_of} = o.id AND n.language = %s AND n.is_former = %s
        ORDER BY n.id LIMIT 1
    ) AS local_name"""  # noqa: S608 - identifiers from the models' metadata
    language = name_language()
    # Only identifiers from the models' metadata are interpolated; values are
    # parameters.
    sql = f"""
        WITH RECURSIVE chain (organisation_id, depth) AS (
            SELECT id, 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT o.{parent}, chain.depth + 1
            FROM {table} o JOIN chain ON o.id = chain.organisation_id
            WHERE o.{parent} IS NOT NULL AND chain.depth < %s
        )
        SELECT o.*, {type_select}, {local_name}, chain.depth AS depth
        FROM {table} o
        JOIN chain ON o.id = chain.organisation_id
        JOIN {types} t ON t.id = o.{type_column}
        UNION ALL
        SELECT o.*, {type_select}, {local_name}, -1 AS depth
        FROM {table} o JOIN {types} t ON t.id = o.{type_column}
        WHERE o.{parent} = %s
        ORDER BY depth, is_active DESC, name, id
    """  # noqa: S608
    params = [pk, max_depth, language, False, language, False, pk]
    rows = list(Organisation.objects.raw(sql, params))
    for row in rows:
        row.type = OrganisationType.from_db(
            connection.alias,
            type_fields,
            [getattr(row, f"type__{field}") for field in type_fields],
        )
    chain = [row for row in rows if row.depth >= 0]
    if not chain:
        return None
    organisation, ancestors, seen = chain[0], [], {chain[0].pk}
    for ancestor in chain[1:]:
        if ancestor.pk in seen:
            break
        ancestors.append(ancestor)
        seen.add(ancestor.pk)
    children = [row for row in rows if row.depth < 0]
    return organisation, ancestors, children


def other_names_and_identifiers(organisation):
    """The organisation's other names (by language, then name) and external
    identifiers (by scheme, then value), in one query: two short lists."""
    names = (
        OrganisationName.objects.filter(organisation=organisation)
        .order_by()
        .values_list(Value("name"), "name", "language", "is_former")
    )
    identifiers = (
        OrganisationIdentifier.objects.filter(organisation=organisation)
        .order_by()
        .values_list(Value("identifier"), "scheme", "value", Value(False))
    )
    other_names, identifier_list = [], []
    for kind, text, detail, is_former in names.union(identifiers, all=True):
        if kind == "name":
            other_names.append(
                OrganisationName(
                    organisation=organisation,
                    name=text,
                    language=detail,
                    is_former=is_former,
                )
            )
        else:
            identifier_list.append(
                OrganisationIdentifier(
                    organisation=organisation, scheme=text, value=detail
                )
            )
    other_names.sort(key=lambda n: (n.language, n.name))
    identifier_list.sort(key=lambda i: (i.scheme, i.value))
    return other_names, identifier_list


class OrganisationDetailView(FollowMerges, PermissionRequiredMixin, DetailView):
    """An organisation with its place in the hierarchy, its people, the meetings
    it took part in, hosted or initiated, and the follow-ups it owns.

    The busiest organisations have taken part in tens of thousands of meetings
    and had thousands of people: each long section shows the newest rows and
    links to the filtered list for the rest.

    Queries: the organisation with its parent chain and sub-organisations,
    its other names with its identifiers, positions, meetings, its attendance
    rows at them, follow-ups and assessments, whatever the number of each.
    """

    permission_required = "stakeholders.view_organisation"
    model = Organisation
    positions_shown = 100
    meetings_shown = 50
    follow_ups_shown = 50
    # The latest assessment and the ones before it.
    assessments_shown = 6

    def get_object(self, queryset=None):
        family = organisation_family(self.kwargs["pk"])
        if family is None:
            raise Http404(_("No such organisation."))
        organisation, self.ancestors, organisation.child_list = family
        organisation.other_name_list, organisation.identifier_list = (
            other_names_and_identifiers(organisation)
        )
        return organisation

    def get_context_data(self, **kwargs):
        organisation = self.object
        today = timezone.localdate()
        # Current positions first (no end, or an end to come), then the most
        # recently ended.
        positions, more_positions = first(
            Position.objects.filter(organisation=organisation)
            .select_related("person")
            .order_by(
                F("until").desc(nulls_first=True),
                F("since").desc(nulls_last=True),
                "person__full_name",
                "pk",
            ),
            self.positions_shown,
        )
        meetings, more_meetings = self.get_meetings(organisation)
        follow_ups, more_follow_ups = first(
            FollowUp.objects.filter(owner_organisation=organisation)
            .select_related("meeting", "owner_person")
            .order_by(F("due_on").asc(nulls_last=True), "pk"),
            self.follow_ups_shown,
        )
        assessments, more_assessments = first(
            Assessment.objects.filter(organisation=organisation)
            .select_related("assessed_by")
            .order_by("-assessed_on", "-pk"),
            self.assessments_shown,
        )
        if "assessment_form" not in kwargs and self.request.user.has_perm(
            "stakeholders.add_assessment"
        ):
            kwargs["assessment_form"] = AssessmentForm()
        return super().get_context_data(
            assessments=assessments,
            more_assessments=more_assessments,
            ancestors=self.ancestors,
            website_link=web_link(organisation.website),
            current_positions=[
                p for p in positions if p.until is None or p.until >= today
            ],
            past_positions=[p for p in positions if p.until and p.until < today],
            more_positions=more_positions,
            today=today,
            meetings=meetings,
            more_meetings=more_meetings,
            follow_ups=follow_ups,
            more_follow_ups=more_follow_ups,
            **kwargs,
        )

    def get_meetings(self, organisation):
        """The newest meetings the organisation attended, hosted or initiated,
        each with ``rows``: this organisation's attendance rows at it, and
        whether there are more meetings (two queries)."""
        initiated = Meeting.initiators.through.objects.filter(
            meeting=OuterRef("pk"), organisation=organisation
        )
        meetings, more = first(
            Meeting.objects.taken_part_by(organisation)
            .annotate(initiated=Exists(initiated))
            .order_by("-starts_at", "-pk"),
            self.meetings_shown,
        )
        rows = {}
        for row in (
            Attendance.objects.filter(
                organisation=organisation, meeting__in=[m.pk for m in meetings]
            )
            .select_related("person")
            .order_by(F("person__full_name").asc(nulls_first=True), "pk")
        ):
            rows.setdefault(row.meeting_id, []).append(row)
        for meeting in meetings:
            meeting.rows = rows.get(meeting.pk, [])
        return meetings, more


class OrganisationAssessView(OrganisationDetailView):
    """POST: a new assessment of the organisation from its page, by the user
    who sends it; back to the page with a message. Invalid input shows the
    page again (400) with the form and the field at fault; nothing is
    written. A GET is 405: the form is on the organisation's page."""

    permission_required = "stakeholders.add_assessment"
    http_method_names = ["post"]

    def post(self, request, pk):
        self.object = self.get_object()
        form = AssessmentForm(
            request.POST,
            instance=Assessment(organisation=self.object, assessed_by=request.user),
        )
        if not form.is_valid():
            context = self.get_context_data(object=self.object, assessment_form=form)
            return self.render_to_response(context, status=400)
        assessment = form.save()
        messages.success(
            request,
            _(
                "Assessment recorded: influence %(influence)s, interest %(interest)s, "
                "%(stance)s."
            )
            % {
                "influence": assessment.influence,
                "interest": assessment.interest,
                "stance": assessment.get_stance_display(),
            },
        )
        return redirect(self.object.get_absolute_url() + "#assessment-heading")


class PersonDetailView(FollowMerges, PermissionRequiredMixin, DetailView):
    """A person's positions over time, the meetings they attended and on whose
    behalf, and the follow-ups they own.

    The newest ``attendance_shown`` meetings and the first
    ``follow_ups_shown`` follow-ups are shown.

    Queries: the person, positions, attendance rows and follow-ups, whatever
    the number of each.
    """

    permission_required = "stakeholders.view_person"
    model = Person
    attendance_shown = 100
    follow_ups_shown = 50

    def get_queryset(self):
        return Person.objects.prefetch_related(
            Prefetch(
                "positions",
                queryset=Position.objects.select_related("organisation").order_by(
                    F("until").desc(nulls_first=True),
                    F("since").desc(nulls_last=True),
                    "pk",
                ),
                to_attr="position_list",
            ),
        )

    def get_context_data(self, **kwargs):
        person = self.object
        attendance, more_attendance = first(
            Attendance.objects.filter(person=person)
            .select_related("meeting", "organisation")
            .order_by("-meeting__starts_at", "-meeting_id", "pk"),
            self.attendance_shown,
        )
        follow_ups, more_follow_ups = first(
            FollowUp.objects.filter(owner_person=person)
            .select_related("meeting", "owner_organisation")
            .order_by(F("due_on").asc(nulls_last=True), "pk"),
            self.follow_ups_shown,
        )
        attach_local_names(
            [
                *(position.organisation for position in person.position_list),
                *(row.organisation for row in attendance),
                *(follow_up.owner_organisation for follow_up in follow_ups),
            ]
        )
        return super().get_context_data(
            attendance_list=attendance,
            more_attendance=more_attendance,
            follow_up_list=follow_ups,
            more_follow_ups=more_follow_ups,
            **kwargs,
        )


class TimelineView(FollowMerges, PermissionRequiredMixin, DetailView):
    """One stream of everything that happened to an organisation or a person,
    newest first, ``paginate_by`` events a page (``stakeholders.timeline``).

    A page of its own rather than a section of the record's page: the record
    page keeps its query budget and its sections, and the timeline pages
    with ``?page=`` as the lists do (a page past the end shows the last one,
    a malformed number the first).

    Queries: the record (an organisation with its name in the reader's
    language), the count, the page's keys, the page's records of every kind
    (one query), and the page's recorded changes when it shows some, whatever
    the number of events."""

    paginate_by = 50
    template_name = "stakeholders/timeline.html"

    def get_object(self, queryset=None):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        number = self.request.GET.get("page")
        events = Events(
            self.object, count_limit=count_limit_for(number, self.paginate_by)
        )
        paginator = Paginator(events, self.paginate_by)
        page = paginator.get_page(number)
        return super().get_context_data(
            subject=self.object,
            is_organisation=isinstance(self.object, Organisation),
            events=page.object_list,
            paginator=paginator,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            page_range=paginator.get_elided_page_range(page.number),
            more_than=events.exceeds_limit,
            **kwargs,
        )


class OrganisationTimelineView(TimelineView):
    permission_required = "stakeholders.view_organisation"
    model = Organisation

    def get_queryset(self):
        # Its name in the reader's language with it: the page's events bring
        # theirs (stakeholders.timeline.Events.columns).
        return Organisation.objects.with_local_name()


class PersonTimelineView(TimelineView):
    permission_required = "stakeholders.view_person"
    model = Person
