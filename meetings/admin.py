from django.contrib import admin
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from stakeholders.admin import ConstraintCheckingFormSet, HamkorAdmin
from stakeholders.models import OrganisationType

from .models import AgendaItem, Attendance, FollowUp, Meeting, Topic


@admin.register(Topic)
class TopicAdmin(HamkorAdmin):
    list_display = ["name", "meeting_count"]
    search_fields = ["name", "description"]
    fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(meeting_count=Count("meetings"))

    @admin.display(description=_("meetings"), ordering="meeting_count")
    def meeting_count(self, obj):
        return obj.meeting_count


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["order", "topic", "notes", "outcome"]
    autocomplete_fields = ["topic"]
    extra = 0

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


class AttendanceInline(admin.TabularInline):
    model = Attendance
    formset = AttendanceFormSet
    fields = ["organisation", "person", "role", "status", "notes"]
    autocomplete_fields = ["organisation", "person"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "person")


class FollowUpInline(admin.StackedInline):
    model = FollowUp
    fields = [
        "action",
        ("owner_organisation", "owner_person"),
        ("due_on", "status"),
        "notes",
    ]
    autocomplete_fields = ["owner_organisation", "owner_person"]
    extra = 0


class ParticipantTypeFilter(admin.SimpleListFilter):
    """Meetings at which an organisation of the chosen type took part.

    Filters with ``Exists`` so a meeting with several such organisations is
    listed once. Organisation types are a short list, so listing them is cheap.
    """

    title = _("participant type")
    parameter_name = "participant_type"

    def lookups(self, request, model_admin):
        return OrganisationType.objects.values_list("slug", "name")

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(
                Attendance.objects.filter(
                    meeting=OuterRef("pk"), organisation__type__slug=self.value()
                )
            )
        )


@admin.register(Meeting)
class MeetingAdmin(HamkorAdmin):
    list_display = ["title", "starts", "host", "format", "status", "attendance_count"]
    list_select_related = ["host"]
    list_filter = ["status", "format", "starts_at", ParticipantTypeFilter]
    date_hierarchy = "starts_at"
    search_fields = ["title", "venue"]
    search_help_text = _("Title or venue.")
    autocomplete_fields = ["host", "initiators"]
    readonly_fields = ["created_at", "updated_at"]
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

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(attendance_count=Count("attendances"))
        )

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


@admin.register(AgendaItem)
class AgendaItemAdmin(HamkorAdmin):
    list_display = ["topic", "meeting", "order"]
    list_select_related = ["topic", "meeting"]
    search_fields = ["topic__name", "meeting__title", "notes", "outcome"]
    autocomplete_fields = ["meeting", "topic"]
    fields = ["meeting", "topic", "order", "notes", "outcome"]


@admin.register(Attendance)
class AttendanceAdmin(HamkorAdmin):
    list_display = ["meeting", "organisation", "person", "role", "status"]
    list_select_related = ["meeting", "organisation", "person"]
    list_filter = ["role", "status", "meeting__starts_at", "organisation__type"]
    search_fields = [
        "organisation__name",
        "organisation__acronym",
        "person__full_name",
        "meeting__title",
    ]
    search_help_text = _("Organisation, person or meeting title.")
    autocomplete_fields = ["meeting", "organisation", "person"]
    fields = ["meeting", "organisation", "person", "role", "status", "notes"]


@admin.register(FollowUp)
class FollowUpAdmin(HamkorAdmin):
    list_display = [
        "__str__",
        "meeting",
        "owner_organisation",
        "owner_person",
        "due_on",
        "status",
    ]
    list_select_related = ["meeting", "owner_organisation", "owner_person"]
    list_filter = ["status", "due_on"]
    search_fields = ["action", "notes"]
    autocomplete_fields = ["meeting", "owner_organisation", "owner_person"]
    fields = [
        "meeting",
        "action",
        "owner_organisation",
        "owner_person",
        "due_on",
        "status",
        "notes",
    ]
    actions = ["mark_done"]

    @admin.action(description=_("Mark selected follow-ups done"))
    def mark_done(self, request, queryset):
        self._update_with_history(
            request,
            queryset,
            ngettext_lazy(
                "%(count)d follow-up marked done.",
                "%(count)d follow-ups marked done.",
                "count",
            ),
            status=FollowUp.Status.DONE,
        )
