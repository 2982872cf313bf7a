"""The naive build: the same pages as a default Django project would build them.

This is the yardstick of the benchmark and lives here only, never in the app.
It is what the tutorial way gives, with none of the care Hamkor's own pages
take:

- admin: ``list_display`` with related fields (Django then calls a bare
  ``select_related()``, which skips nullable foreign keys: one query a row for
  a parent, a host or a person), ``list_filter`` on foreign keys (every
  organisation, meeting or person listed in the sidebar), a filter through a
  to-many relation (a join and ``DISTINCT``), counts from ``Count`` over a join,
  the full ``COUNT(*)``, and forms with a ``<select>`` of every row of a
  foreign key;
- lists: a FilterSet with default widgets (a ``<select>`` of every meeting or
  organisation), to-many filters as joins with ``distinct=True``, counts as
  ``Count``/``Max`` over joins, no ``select_related`` (the template follows
  ``type``, ``parent`` and ``host`` one query a row);
- exports: every row loaded into a list, the whole file built in memory
  (related rows are joined or prefetched, so the cost measured is the list and
  the body, not N+1 over a million rows);
- search-as-you-type: a join to other names and ``DISTINCT``.

Routed with ``override_settings(ROOT_URLCONF="bench.naive")``: the paths are the
app's, so one query string serves both builds. Paths the naive build does not
redo (detail pages, the home page, login) are the app's own.
"""

import csv

import django_filters
from django.contrib import admin
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Max, Prefetch, Q
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views import View
from django_countries import countries

from config import urls as app_urls
from core.exports import Column, JoinedColumn, choice_labels, csv_response, field_at
from meetings import views as meeting_views
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from stakeholders import views as stakeholder_views
from stakeholders.models import (
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)

ATTENDED = Q(attendances__status=Attendance.Status.ATTENDED)


# Admin


class NaiveAdmin(admin.ModelAdmin):
    # The same page size as Hamkor's admin, so that pages compare row for row.
    list_per_page = 50
    # Django's own templates, not the app's overrides (which link to views of
    # Hamkor's admin site).
    change_form_template = "admin/change_form.html"
    change_list_template = "admin/change_list.html"


site = admin.AdminSite(name="admin")


@admin.register(OrganisationType, site=site)
class OrganisationTypeAdmin(NaiveAdmin):
    list_display = ["name", "slug", "iati_code", "organisation_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("organisations"))

    @admin.display(ordering="n")
    def organisation_count(self, obj):
        return obj.n


@admin.register(Organisation, site=site)
class OrganisationAdmin(NaiveAdmin):
    list_display = [
        "name",
        "acronym",
        "type",
        "country",
        "parent",
        "is_active",
        "meetings_attended",
        "last_met",
    ]
    list_filter = ["type", "parent", "is_active", "country"]
    search_fields = ["name", "acronym", "other_names__name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n=Count("attendances__meeting", filter=ATTENDED, distinct=True),
                last=Max("attendances__meeting__starts_at", filter=ATTENDED),
            )
        )

    @admin.display(ordering="n")
    def meetings_attended(self, obj):
        return obj.n

    @admin.display(ordering="last")
    def last_met(self, obj):
        return obj.last


@admin.register(OrganisationName, site=site)
class OrganisationNameAdmin(NaiveAdmin):
    list_display = ["name", "organisation", "language", "is_former"]
    list_filter = ["language", "is_former", "organisation"]
    search_fields = ["name"]


@admin.register(OrganisationIdentifier, site=site)
class OrganisationIdentifierAdmin(NaiveAdmin):
    list_display = ["scheme", "value", "organisation"]
    list_filter = ["scheme", "organisation"]
    search_fields = ["value"]


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0


@admin.register(Person, site=site)
class PersonAdmin(NaiveAdmin):
    list_display = [
        "full_name",
        "email",
        "phone",
        "current_positions",
        "do_not_contact",
    ]
    list_filter = ["do_not_contact", "positions__organisation"]
    search_fields = ["full_name", "email"]
    inlines = [PositionInline]

    def current_positions(self, obj):
        return "; ".join(str(p) for p in obj.positions.filter(until__isnull=True))


@admin.register(Position, site=site)
class PositionAdmin(NaiveAdmin):
    list_display = ["person", "title", "organisation", "department", "since", "until"]
    list_filter = ["until", "since", "organisation"]
    search_fields = ["title", "department", "person__full_name"]


@admin.register(Topic, site=site)
class TopicAdmin(NaiveAdmin):
    list_display = ["name", "meeting_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("meetings"))

    @admin.display(ordering="n")
    def meeting_count(self, obj):
        return obj.n


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0


@admin.register(Meeting, site=site)
class MeetingAdmin(NaiveAdmin):
    list_display = [
        "title",
        "starts_at",
        "host",
        "format",
        "status",
        "attendance_count",
    ]
    list_filter = [
        "status",
        "format",
        "starts_at",
        "host",
        "attendances__organisation__type",
    ]
    date_hierarchy = "starts_at"
    search_fields = ["title", "venue"]
    inlines = [AgendaItemInline, AttendanceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("attendances"))

    @admin.display(ordering="n")
    def attendance_count(self, obj):
        return obj.n


@admin.register(AgendaItem, site=site)
class AgendaItemAdmin(NaiveAdmin):
    list_display = ["topic", "meeting", "order"]
    list_filter = ["topic", "meeting"]


@admin.register(Attendance, site=site)
class AttendanceAdmin(NaiveAdmin):
    list_display = ["meeting", "organisation", "person", "role", "status"]
    list_filter = ["role", "status", "organisation__type", "meeting", "organisation"]
    search_fields = [
        "organisation__name",
        "organisation__acronym",
        "person__full_name",
        "meeting__title",
    ]


@admin.register(FollowUp, site=site)
class FollowUpAdmin(NaiveAdmin):
    list_display = [
        "__str__",
        "meeting",
        "owner_organisation",
        "owner_person",
        "due_on",
        "status",
    ]
    list_filter = ["status", "due_on", "owner_organisation"]
    search_fields = ["action"]


# Public lists: the app's list frame and templates, with naive querysets and
# filters.


def ordering(*pairs):
    return django_filters.OrderingFilter(fields=pairs, label="Sort by")


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q")
    type = django_filters.ModelMultipleChoiceFilter(
        field_name="type__slug",
        to_field_name="slug",
        queryset=OrganisationType.objects.all(),
    )
    country = django_filters.ChoiceFilter(choices=lambda: list(countries))
    parent = django_filters.ModelChoiceFilter(queryset=Organisation.objects.all())
    attended = django_filters.ModelChoiceFilter(
        field_name="attendances__meeting", queryset=Meeting.objects.all(), distinct=True
    )
    attended_after = django_filters.DateFilter(
        field_name="attendances__meeting__starts_at",
        lookup_expr="date__gte",
        distinct=True,
    )
    attended_before = django_filters.DateFilter(
        field_name="attendances__meeting__starts_at",
        lookup_expr="date__lte",
        distinct=True,
    )
    active = django_filters.BooleanFilter(field_name="is_active")
    sort = ordering(
        ("name", "name"),
        ("acronym", "acronym"),
        ("type__name", "type"),
        ("country", "country"),
        ("naive_meetings_attended", "meetings"),
        ("naive_last_met", "last_met"),
    )

    class Meta:
        model = Organisation
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(acronym__icontains=value)
            | Q(other_names__name__icontains=value)
        ).distinct()


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q")
    organisation = django_filters.ModelChoiceFilter(
        field_name="positions__organisation",
        queryset=Organisation.objects.all(),
        distinct=True,
    )
    type = django_filters.ModelMultipleChoiceFilter(
        field_name="positions__organisation__type__slug",
        to_field_name="slug",
        queryset=OrganisationType.objects.all(),
        distinct=True,
    )
    attended = django_filters.ModelChoiceFilter(
        field_name="attendances__meeting", queryset=Meeting.objects.all(), distinct=True
    )
    sort = ordering(
        ("full_name", "name"),
        ("email", "email"),
        ("naive_meetings_attended", "meetings"),
        ("naive_last_met", "last_met"),
    )

    class Meta:
        model = Person
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(full_name__icontains=value) | Q(email__icontains=value)
        )


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q")
    after = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__gte")
    before = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__lte")
    organisation = django_filters.ModelChoiceFilter(
        field_name="attendances__organisation",
        queryset=Organisation.objects.all(),
        distinct=True,
    )
    type = django_filters.ModelMultipleChoiceFilter(
        field_name="attendances__organisation__type__slug",
        to_field_name="slug",
        queryset=OrganisationType.objects.all(),
        distinct=True,
    )
    topic = django_filters.ModelChoiceFilter(
        field_name="agenda_items__topic", queryset=Topic.objects.all(), distinct=True
    )
    status = django_filters.ChoiceFilter(choices=Meeting.Status)
    sort = ordering(
        ("starts_at", "date"),
        ("title", "title"),
        ("host__name", "host"),
        ("status", "status"),
        ("naive_organisations_attended", "organisations"),
    )

    class Meta:
        model = Meeting
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(venue__icontains=value))


# The figures a default build computes per row (the app stores them; the
# templates show the stored ones, the naive query still computes these).


def organisations():
    return Organisation.objects.annotate(
        naive_meetings_attended=Count(
            "attendances__meeting", filter=ATTENDED, distinct=True
        ),
        naive_last_met=Max("attendances__meeting__starts_at", filter=ATTENDED),
    ).order_by("name")


def people():
    return Person.objects.annotate(
        naive_meetings_attended=Count(
            "attendances__meeting", filter=ATTENDED, distinct=True
        ),
        naive_last_met=Max("attendances__meeting__starts_at", filter=ATTENDED),
    ).order_by("full_name")


def meetings():
    return Meeting.objects.annotate(
        naive_organisations_attended=Count("attendances__organisation", distinct=True)
    ).order_by("-starts_at")


class OrganisationList(stakeholder_views.OrganisationListView):
    filterset_class = OrganisationFilter

    def get_queryset(self):
        return organisations()


class PersonList(stakeholder_views.PersonListView):
    filterset_class = PersonFilter

    def get_queryset(self):
        return people()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # A model method would do the same: one query a person, and one an
        # organisation in the template.
        for person in context["object_list"]:
            person.current_positions = list(person.positions.filter(until__isnull=True))
        return context


class MeetingList(meeting_views.MeetingListView):
    filterset_class = MeetingFilter

    def get_queryset(self):
        return meetings()


class ListCsv(LoginRequiredMixin, View):
    """Every row in a list, then the whole file in one response body."""

    filterset_class = None
    columns = ()

    def get_queryset(self):
        raise NotImplementedError

    def get(self, request):
        filterset = self.filterset_class(
            request.GET or None, queryset=self.get_queryset()
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="export.csv"'
        writer = csv.writer(response)
        writer.writerow([header for header, _value in self.columns])
        for obj in list(filterset.qs):
            writer.writerow([value(obj) for _header, value in self.columns])
        return response


def resolve(obj, path):
    """The value at ``path`` (``type__name``) from a model instance, None past
    an empty relation. A field's own value, not its descriptor's (a country's
    code, not its ``Country``)."""
    *relations, name = path.split(LOOKUP_SEP)
    for relation in relations:
        obj = getattr(obj, relation)
        if obj is None:
            return None
    return vars(obj)[name] if name in vars(obj) else getattr(obj, name)


def naive_columns(columns):
    """The app's export ``columns`` as ``(header, accessor)`` pairs that read
    the same values from model instances, one row at a time, as a default
    build's CSV view does. A joined column reads the related rows from
    ``getattr(obj, alias)`` (a prefetch ``to_attr`` or a manager)."""

    def plain(column):
        def value(obj):
            found = resolve(obj, column.path)
            if column.display is not None:
                found = column.display(field_at(type(obj), column.path))(found)
            return found

        return value

    def joined(column):
        def value(obj):
            related = getattr(obj, column.alias)
            if hasattr(related, "all"):
                related = related.all()
            render = column.renderer()
            return column.sep.join(
                render(*(resolve(item, path) for path in column.fields))
                for item in related
            )

        return value

    return [
        (c.header, joined(c) if isinstance(c, JoinedColumn) else plain(c))
        for c in columns
    ]


class OrganisationCsv(ListCsv):
    filterset_class = OrganisationFilter
    columns = naive_columns(stakeholder_views.OrganisationListView.export_columns)

    def get_queryset(self):
        # The name in the reader's language is the app's annotation: a default
        # build would annotate it the same way.
        return organisations().select_related("type", "parent").with_local_name()


class PersonCsv(ListCsv):
    filterset_class = PersonFilter
    columns = naive_columns(stakeholder_views.PersonListView.export_columns)

    def get_queryset(self):
        return people().prefetch_related(
            Prefetch(
                "positions",
                queryset=Position.objects.current().select_related("organisation"),
                to_attr="current_positions",
            )
        )


class MeetingCsv(ListCsv):
    filterset_class = MeetingFilter
    columns = naive_columns(meeting_views.MeetingListView.export_columns)

    def get_queryset(self):
        return meetings().select_related("host").prefetch_related("agenda_items__topic")


# Attendance: the app has no attendance export. The benchmark measures what one
# would cost two ways: with the app's own streaming helper (``csv_response``),
# and naively.


def attendance_columns():
    """The columns of an attendance export. Role and status labels are looked up
    once: ``get_role_display()`` costs tens of microseconds a call (it hashes
    the lazily translated choices), which over millions of rows would measure
    that rather than the export."""
    roles = {value: str(label) for value, label in Attendance.Role.choices}
    statuses = {value: str(label) for value, label in Attendance.Status.choices}
    return [
        ("Meeting", lambda a: a.meeting.title),
        ("Starts", lambda a: a.meeting.starts_at),
        ("Organisation", lambda a: a.organisation.name),
        ("Person", lambda a: a.person.full_name if a.person else ""),
        ("Role", lambda a: roles.get(a.role, a.role)),
        ("Status", lambda a: statuses.get(a.status, a.status)),
    ]


def attendance_rows():
    return Attendance.objects.select_related("meeting", "organisation", "person")


class AttendanceCsv(LoginRequiredMixin, View):
    def get(self, request):
        columns = attendance_columns()
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow([header for header, _value in columns])
        for obj in list(attendance_rows().order_by("meeting_id", "pk")):
            writer.writerow([value(obj) for _header, value in columns])
        return response


class AttendanceStreamedCsv(LoginRequiredMixin, View):
    """With the app's streaming helper (core.exports.csv_response),
    its columns declared as an app list declares them: the same cells as
    ``attendance_columns()``."""

    def get(self, request):
        return csv_response(
            Attendance.objects.order_by("meeting_id", "pk"),
            [
                Column("Meeting", "meeting__title"),
                Column("Starts", "meeting__starts_at"),
                Column("Organisation", "organisation__name"),
                Column("Person", "person__full_name"),
                Column("Role", "role", display=choice_labels),
                Column("Status", "status", display=choice_labels),
            ],
            "attendance",
        )


class Suggest(LoginRequiredMixin, View):
    def search(self, term):
        raise NotImplementedError

    def get(self, request):
        term = request.GET.get("q", "")
        return JsonResponse(
            {"results": [{"id": o.pk, "label": str(o)} for o in self.search(term)[:10]]}
        )


class OrganisationSuggest(Suggest):
    def search(self, term):
        return (
            Organisation.objects.filter(
                Q(name__icontains=term)
                | Q(acronym__icontains=term)
                | Q(other_names__name__icontains=term)
            )
            .distinct()
            .order_by("name")
        )


class PersonSuggest(Suggest):
    def search(self, term):
        return Person.objects.filter(
            Q(full_name__icontains=term) | Q(email__icontains=term)
        ).order_by("full_name")


class MeetingSuggest(Suggest):
    def search(self, term):
        return Meeting.objects.filter(title__icontains=term).order_by("-starts_at")


organisation_patterns = (
    [
        path("", OrganisationList.as_view(), name="list"),
        path("export.csv", OrganisationCsv.as_view(), name="export_csv"),
        path(
            "export.xlsx",
            stakeholder_views.OrganisationListView.as_view(export_format="xlsx"),
            name="export_xlsx",
        ),
        path("suggest/", OrganisationSuggest.as_view(), name="suggest"),
        path(
            "<int:pk>/",
            stakeholder_views.OrganisationDetailView.as_view(),
            name="detail",
        ),
    ],
    "organisations",
)
person_patterns = (
    [
        path("", PersonList.as_view(), name="list"),
        path("export.csv", PersonCsv.as_view(), name="export_csv"),
        path(
            "export.xlsx",
            stakeholder_views.PersonListView.as_view(export_format="xlsx"),
            name="export_xlsx",
        ),
        path("suggest/", PersonSuggest.as_view(), name="suggest"),
        path("<int:pk>/", stakeholder_views.PersonDetailView.as_view(), name="detail"),
    ],
    "people",
)
meeting_patterns = (
    [
        path("", MeetingList.as_view(), name="list"),
        path("export.csv", MeetingCsv.as_view(), name="export_csv"),
        path(
            "export.xlsx",
            meeting_views.MeetingListView.as_view(export_format="xlsx"),
            name="export_xlsx",
        ),
        path("suggest/", MeetingSuggest.as_view(), name="suggest"),
        path(
            "topics/suggest/",
            meeting_views.TopicSuggestView.as_view(),
            name="topic_suggest",
        ),
        path("<int:pk>/", meeting_views.MeetingDetailView.as_view(), name="detail"),
        path("<int:pk>.ics", meeting_views.MeetingCalendarView.as_view(), name="ics"),
    ],
    "meetings",
)

REDONE = ("organisations/", "people/", "meetings/", "admin/")

urlpatterns = [
    path("organisations/", include(organisation_patterns)),
    path("people/", include(person_patterns)),
    path("meetings/", include(meeting_patterns)),
    path("admin/", site.urls),
    path("bench/attendance/export.csv", AttendanceCsv.as_view()),
    # Everything else (home, login, …) is the app's.
    *[p for p in app_urls.urlpatterns if not str(p.pattern).startswith(REDONE)],
]
