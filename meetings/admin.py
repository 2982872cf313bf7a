import functools
import operator

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import connection, models
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.forms import Textarea
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin import (
    ConstraintCheckingFormSet,
    HamkorAdmin,
    HamkorChangeList,
    HamkorInline,
    HamkorTabularInline,
    count_of,
)
from core.forms import OptionalTimeField
from core.history import Source
from core.models import at_least, in_list_order
from stakeholders.models import (
    Organisation,
    OrganisationType,
    Person,
    of_organisation_types,
)

from . import stats
from .folding import attendance_fold
from .forms import MeetingAdminForm
from .imports.views import AttendanceImportMixin
from .models import AgendaItem, Attendance, CalendarFeed, FollowUp, Meeting, Topic


@admin.register(Topic)
class TopicAdmin(HamkorAdmin):
    list_display = ["name", "meeting_count"]
    search_fields = ["name", "description"]
    fields = ["name", "description"]

    def get_search_results(self, request, queryset, search_term):
        """The name by the topics' own search (any script and spelling), the
        description as typed."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            found |= queryset.filter(description__icontains=term)
        return found, duplicates

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(meeting_count=count_of(AgendaItem.objects.all(), "topic"))
        )

    @admin.display(description=_("meetings"), ordering="meeting_count")
    def meeting_count(self, obj):
        return obj.meeting_count


class AgendaItemInline(HamkorTabularInline):
    model = AgendaItem
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 2})}}
    fields = ["order", "topic", "notes", "outcome"]
    autocomplete_fields = ["topic"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("topic")


class AttendanceFormSet(ConstraintCheckingFormSet):
    # Rows with a person are checked against each other by Django already.
    duplicate_field = "organisation"
    duplicate_message = _(
        "This organisation is already recorded at this meeting without a person."
    )

    def row_key(self, instance):
        return instance.organisation_id if instance.person_id is None else None


class AttendanceInline(HamkorTabularInline):
    model = Attendance
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 1})}}
    formset = AttendanceFormSet
    fields = ["organisation", "person", "role", "status", "notes"]
    autocomplete_fields = ["organisation", "person"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "person")


class FollowUpInline(HamkorInline, admin.StackedInline):
    model = FollowUp
    fields = [
        "action",
        ("owner_organisation", "owner_person"),
        ("due_on", "status", "completed_on"),
        "notes",
    ]
    readonly_fields = ["completed_on"]
    autocomplete_fields = ["owner_organisation", "owner_person"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("owner_organisation", "owner_person")
        )


class ParticipantTypeFilter(admin.SimpleListFilter):
    """Meetings at which an organisation of the chosen type took part (invited,
    confirmed or attended), as the meetings list's ``type`` filter: a test of
    the types each meeting stores (``meetings.stats``), in the list's order,
    so the page stops at its fiftieth meeting. Organisation types are a short
    list, so listing them is cheap."""

    title = _("participant type")
    parameter_name = "participant_type"

    def lookups(self, request, model_admin):
        self.types = {t.slug: t for t in OrganisationType.objects.only("slug", "name")}
        return [(slug, str(kind)) for slug, kind in self.types.items()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if self.value() not in self.types:
            return queryset.none()
        return queryset.filter(of_organisation_types(self.types[self.value()]))


class YearFilter(admin.SimpleListFilter):
    """Meetings of one year, any from the first meeting's to the last's.

    In place of Django's date hierarchy, which finds the years that have
    meetings with a SELECT DISTINCT over every meeting (on SQLite a Python
    call per meeting to truncate its date); the first and last start are read
    together from the index. Same parameter, so the hierarchy's links still
    work.
    """

    title = _("year")
    parameter_name = "starts_at__year"

    def lookups(self, request, model_admin):
        span = Meeting.objects.aggregate(first=Min("starts_at"), last=Max("starts_at"))
        if span["first"] is None:
            return []
        first, last = (timezone.localtime(span[end]).year for end in span)
        return [(str(year), str(year)) for year in range(last, first - 1, -1)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        # Years the database and Python can both bound (a date of year 1 in
        # local time is in year 0 in UTC).
        if not self.value().isdigit() or not 1000 <= int(self.value()) <= 9998:
            raise IncorrectLookupParameters(f"Not a year: {self.value()!r}")
        return queryset.filter(starts_at__year=int(self.value()))


class OrganisationTypeFilter(admin.RelatedFieldListFilter):
    """Attendance rows of organisations of the chosen types, tested row by row
    (``Exists``) in the list's order, so that the page stops at its fiftieth
    row and the count at the paginator's limit. As a join, or as
    ``organisation IN`` the type's organisations, SQLite would start from the
    organisations and read and sort all their rows (hundreds of thousands for
    the national core's types) before the first page."""

    def queryset(self, request, queryset):
        if not self.lookup_val:
            return queryset
        try:
            types = [int(pk) for pk in self.lookup_val]
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error
        of_type = Organisation.objects.of_type(types)
        return queryset.filter(Exists(of_type.filter(pk=OuterRef("organisation"))))


@admin.display(description=_("meeting"))
def meeting_column(row):
    """A row's meeting in a changelist: its date and the start of its title,
    the whole title in a tooltip. The meeting's name in full (its date and
    title, 90 characters for the seed meeting) took a third of the attendance
    list at 1,366 px and pushed its other columns off screen."""
    meeting = row.meeting
    return format_html(
        '<span title="{}">{} — {}</span>',
        meeting.title,
        date_format(meeting.local_start.date()),
        Truncator(meeting.title).chars(40),
    )


def attendee(row):
    """An attendance row as the meeting's history names it."""
    if row.person_id:
        return f"{row.person}, {row.organisation}"
    return str(row.organisation)


@admin.register(Meeting)
class MeetingAdmin(AttendanceImportMixin, HamkorAdmin):
    history_related = [
        Source(Attendance, "meeting", attendee),
        Source(AgendaItem, "meeting"),
        Source(FollowUp, "meeting"),
    ]
    list_display = ["title", "starts", "host", "format", "status", "attendance_count"]
    list_select_related = ["host"]
    list_filter = [
        "status",
        "format",
        "starts_at",
        YearFilter,
        ParticipantTypeFilter,
    ]
    # The search itself is MeetingQuerySet.search; these fields only enable
    # the search box and the autocomplete endpoint.
    search_fields = ["title", "venue"]
    search_help_text = _("Title, venue or an organisation that took part.")
    autocomplete_fields = ["host", "initiators"]
    object_select_related = ["host"]
    readonly_fields = ["created_at", "updated_at"]
    form = MeetingAdminForm
    # The start's and end's times may be left empty (MeetingAdminForm).
    formfield_overrides = {models.DateTimeField: {"form_class": OptionalTimeField}}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    ("starts_at", "ends_at"),
                    "date_only",
                    ("venue", "format"),
                    "status",
                    "host",
                    "initiators",
                ]
            },
        ),
        (None, {"fields": ["summary", "outcomes", "created_at", "updated_at"]}),
    ]
    inlines = [AgendaItemInline, AttendanceInline, FollowUpInline]
    actions = ["mark_held", "mark_cancelled"]
    change_form_template = "admin/meetings/meeting/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(attendance_count=count_of(Attendance.objects.all(), "meeting"))
        )

    # A meeting with more attendance rows than this lists them in the
    # attendance changelist (filtered to it), not as inline rows: a form of
    # a thousand rows takes seconds to render and to post.
    attendance_inline_limit = 200

    def get_inlines(self, request, obj):
        if (
            obj is not None
            and self._attendance_count(obj) > self.attendance_inline_limit
        ):
            return [inline for inline in self.inlines if inline is not AttendanceInline]
        return self.inlines

    def _attendance_count(self, obj):
        # Asked by get_inlines and by change_view: one query per request.
        if not hasattr(obj, "_attendance_total"):
            obj._attendance_total = obj.attendances.count()
        return obj._attendance_total

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "attendance_limit": self.attendance_inline_limit,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            total = self._attendance_count(obj)
            if total > self.attendance_inline_limit:
                context["attendance_total"] = total
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.display(description=_("starts"), ordering="starts_at")
    def starts(self, obj):
        local = timezone.localtime(obj.starts_at)
        if obj.date_only:
            return date_format(local.date())
        return date_format(local, "DATETIME_FORMAT")

    @admin.display(description=_("attendance"), ordering="attendance_count")
    def attendance_count(self, obj):
        return obj.attendance_count

    @admin.action(description=_("Mark selected meetings held"))
    def mark_held(self, request, queryset):
        self._update_with_history(
            request,
            queryset,
            ngettext_lazy(
                "%(count)d meeting marked held.",
                "%(count)d meetings marked held.",
                "count",
            ),
            status=Meeting.Status.HELD,
        )

    @admin.action(description=_("Mark selected meetings cancelled"))
    def mark_cancelled(self, request, queryset):
        self._update_with_history(
            request,
            queryset,
            ngettext_lazy(
                "%(count)d meeting marked cancelled.",
                "%(count)d meetings marked cancelled.",
                "count",
            ),
            status=Meeting.Status.CANCELLED,
        )

    # The stored figures (meetings/stats.py) of whoever its attendance rows
    # were and are of, and of the meeting, once everything is written.

    def save_model(self, request, obj, form, change):
        if change:
            stats.reload_figures(obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is FollowUp:
            for row in formset.forms:
                if row.has_changed() and "status" in row.changed_data:
                    row.instance.record_completion(row.initial.get("status"))
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        touched = stats.Touched().formsets(formsets)
        super().save_related(request, form, formsets, change)
        touched.saved(formsets)
        # One row per organisation: people added under an organisation
        # recorded alone take its row's place (meetings/folding.py; the
        # figures do not change).
        attendance_fold([form.instance.pk])
        if change and "starts_at" in form.changed_data:
            # Everyone who attended it may have a new last met.
            touched.attended([form.instance])
        touched.refresh()

    def delete_model(self, request, obj):
        # Its rows go with it: whoever attended it has a meeting less.
        touched = stats.Touched().attended([obj])
        super().delete_model(request, obj)
        touched.refresh()

    def delete_queryset(self, request, queryset):
        touched = stats.Touched().attended(queryset.values("pk"))
        super().delete_queryset(request, queryset)
        touched.refresh()


@admin.register(AgendaItem)
class AgendaItemAdmin(HamkorAdmin):
    list_display = ["topic", "meeting", "order"]
    list_select_related = ["topic", "meeting"]
    # Listed by meeting already (the model's order). Sorting by the topic's
    # name or the meeting's date would join and sort every agenda item (over
    # 100,000 at national scale) for each page.
    sortable_by = ["order"]
    search_fields = ["notes", "outcome"]
    # The topic's name and the meeting's search (core.names: any script).
    search_relations = ["topic", "meeting"]
    autocomplete_fields = ["meeting", "topic"]
    object_select_related = ["meeting", "topic"]
    fields = ["meeting", "topic", "order", "notes", "outcome"]


# On SQLite, a search whose organisations, people and meetings number this
# many or more has the attendance rows tested as the list is read (see
# get_search_results). Measured on SQLite (issue 11; median ms, with /
# without the walk): "sample" (in every name) 134 / 600 at L and 308 /
# 5,967 at XL, past the targets without it; "health" (a tenth of the names)
# 244 / 310 at XL. A family name that 1,000 people share is slower walked
# ("karimov" at XL 267 / 152), but within the targets. PostgreSQL plans
# both forms the same way, so it skips the capped count: 43 ms instead of
# 47 for "health" at L, one query fewer.
BROAD_SEARCH = 1000


@admin.register(Attendance)
class AttendanceAdmin(stats.RowFiguresAdminMixin, HamkorAdmin):
    list_display = ["meeting_column", "organisation", "person", "role", "status"]
    list_select_related = ["meeting", "organisation", "person"]
    # Listed by meeting already (the model's order). Sorting by a meeting's
    # date, an organisation's or a person's name would join and sort every
    # row (millions at national scale) for each page; the filters and the
    # search narrow the list instead.
    sortable_by = ["role", "status"]
    list_filter = [
        "role",
        "status",
        "meeting__starts_at",
        ("organisation__type", OrganisationTypeFilter),
    ]
    # The search is get_search_results'; these fields only enable the box.
    search_fields = [
        "organisation__name",
        "organisation__acronym",
        "person__full_name",
        "meeting__title",
    ]
    search_help_text = _("Organisation, person or meeting title.")
    autocomplete_fields = ["meeting", "organisation", "person"]
    object_select_related = ["meeting", "organisation", "person"]
    fields = ["meeting", "organisation", "person", "role", "status", "notes"]

    meeting_column = staticmethod(meeting_column)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # One row per organisation and meeting (meetings/folding.py): a row of
        # a person takes the place of their organisation's row alone, and an
        # organisation's row alone beside its people's is folded into them.
        if attendance_fold([obj.meeting_id]) and not (
            Attendance.objects.filter(pk=obj.pk).exists()
        ):
            obj.folded = True

    def _folded_response(self, request, obj):
        messages.info(
            request,
            _(
                "%(organisation)s already has people recorded at this meeting: "
                "the row was folded into theirs (its role and notes with it)."
            )
            % {"organisation": obj.organisation},
        )
        return redirect("admin:meetings_meeting_change", obj.meeting_id)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "folded", False):
            return self._folded_response(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(obj, "folded", False):
            return self._folded_response(request, obj)
        return super().response_change(request, obj)

    def get_search_results(self, request, queryset, search_term):
        """Rows of the organisations, people and meetings whose search finds
        the term: those lists are searched first, and the rows read by them.

        A term they find few of (a name): their rows are read by their
        indexes (IN). A term they find many of ("health": 10,800
        organisations and 12,400 meetings at national scale, 880,000 rows)
        would have every row collected and sorted for one page (360 ms; 5 s
        for a term in every name): the rows are then tested one by one as the
        list is read in its order, which stops at the page (SQLite only:
        one query more, to count them, capped)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        found = {
            "organisation_id": Organisation.objects.search(term).values("pk"),
            "person_id": Person.objects.search(term).values("pk"),
            "meeting_id": Meeting.objects.search(term, organisations=False).values(
                "pk"
            ),
        }
        if connection.vendor == "sqlite" and at_least(BROAD_SEARCH, *found.values()):
            conditions = [in_list_order(ids, field) for field, ids in found.items()]
        else:
            conditions = [Q(**{f"{field}__in": ids}) for field, ids in found.items()]
        return queryset.filter(functools.reduce(operator.or_, conditions)), False


@admin.register(FollowUp)
class FollowUpAdmin(HamkorAdmin):
    list_display = [
        "__str__",
        "meeting",
        "owner_organisation",
        "owner_person",
        "due_on",
        "status",
        "completed_on",
    ]
    # Coordinators update follow-ups from the list after each meeting.
    list_editable = ["due_on", "status"]
    list_select_related = ["meeting", "owner_organisation", "owner_person"]
    list_filter = ["status", "due_on"]
    search_fields = ["action", "notes"]
    autocomplete_fields = ["meeting", "owner_organisation", "owner_person"]
    object_select_related = ["meeting", "owner_organisation", "owner_person"]
    fields = [
        "meeting",
        "action",
        "owner_organisation",
        "owner_person",
        "due_on",
        "status",
        "completed_on",
        "notes",
    ]
    readonly_fields = ["completed_on"]
    actions = ["mark_done"]

    def save_model(self, request, obj, form, change):
        # The form and the editable changelist rows alike.
        if "status" in form.changed_data or not change:
            obj.record_completion(form.initial.get("status") if change else None)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Mark selected follow-ups done"))
    def mark_done(self, request, queryset):
        # Those done already keep the day they were completed.
        self._update_with_history(
            request,
            queryset.exclude(status=FollowUp.Status.DONE),
            ngettext_lazy(
                "%(count)d follow-up marked done.",
                "%(count)d follow-ups marked done.",
                "count",
            ),
            status=FollowUp.Status.DONE,
            completed_on=timezone.localdate(),
        )


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Users' calendar subscriptions, for administrators: whose, since when,
    when last read, and deleting one ends its address (a leaked address, a
    user who left). Their addresses cannot be read: only a hash is kept."""

    list_display = ["user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    ordering = ["user__username"]
    fields = readonly_fields = ["user", "created_at", "last_used_at"]

    def get_changelist(self, request, **kwargs):
        return HamkorChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
