import functools
import operator
import secrets

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.forms import Textarea
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from core.admin import ConstraintCheckingFormSet, HamkorAdmin, HamkorInline, count_of
from core.models import at_least, in_list_order
from stakeholders.models import (
    Organisation,
    OrganisationType,
    Person,
    of_organisation_types,
)

from . import stats
from .forms import ImportChoicesForm, SheetUploadForm
from .imports import (
    MAX_FILE_SIZE,
    Decisions,
    ImportNotReady,
    PlanChanged,
    Sheet,
    plan_import,
)
from .models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from .services import attendance_import


@admin.register(Topic)
class TopicAdmin(HamkorAdmin):
    list_display = ["name", "meeting_count"]
    search_fields = ["name", "description"]
    fields = ["name", "description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(meeting_count=count_of(AgendaItem.objects.all(), "topic"))
        )

    @admin.display(description=_("meetings"), ordering="meeting_count")
    def meeting_count(self, obj):
        return obj.meeting_count


class AgendaItemInline(HamkorInline, admin.TabularInline):
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


class AttendanceInline(HamkorInline, admin.TabularInline):
    model = Attendance
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 1})}}
    formset = AttendanceFormSet
    fields = ["organisation", "person", "role", "status", "notes"]
    autocomplete_fields = ["organisation", "person"]

    def get_queryset(self, request):
        # The meeting too: a row's heading is its __str__, which names it.
        return (
            super()
            .get_queryset(request)
            .select_related("meeting", "organisation", "person")
        )


class FollowUpInline(HamkorInline, admin.StackedInline):
    model = FollowUp
    fields = [
        "action",
        ("owner_organisation", "owner_person"),
        ("due_on", "status"),
        "notes",
    ]
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
        return [(slug, kind.name) for slug, kind in self.types.items()]

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


class SheetSizeLimitHandler(FileUploadHandler):
    """Drops an uploaded file once it passes ``MAX_FILE_SIZE``, so that an
    oversized sheet is neither held in memory nor spooled to disk; the rest
    of the form is still read, and ``too_large`` tells the form why the file
    is missing."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > MAX_FILE_SIZE:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


# Sheets read but not yet imported wait in the session, keyed by a random
# token: app servers are stateless (DESIGN.md), so a file kept on one server's
# disk might not be on the one that receives the commit, while the session is
# in the database, private to the editor and out of the browser's reach. What
# is kept is the parsed rows, at most MAX_ROWS of them (Django compresses
# session data), and only for a few imports at a time.
IMPORT_SESSION_KEY = "meeting_imports"
IMPORT_SESSION_LIMIT = 3
IMPORT_ROWS_PER_PAGE = 100


def _page_number(value):
    return int(value) if value and value.isdigit() and len(value) < 6 else 1


def _with_query(request, **params):
    """This page's query string with ``params`` replaced."""
    query = request.GET.copy()
    for name, value in params.items():
        query[name] = value
    return f"?{query.urlencode()}"


def _pending_imports(request):
    return request.session.get(IMPORT_SESSION_KEY, {})


def _pending_import_store(request, meeting, sheet):
    pending = _pending_imports(request)
    while len(pending) >= IMPORT_SESSION_LIMIT:
        pending.pop(next(iter(pending)))
    token = secrets.token_urlsafe(16)
    pending[token] = {
        "meeting": meeting.pk,
        "sheet": sheet.to_data(),
        "decisions": Decisions().to_data(),
    }
    request.session[IMPORT_SESSION_KEY] = pending
    return token


def _pending_import_update(request, token, decisions):
    pending = _pending_imports(request)
    pending[token]["decisions"] = decisions.to_data()
    request.session[IMPORT_SESSION_KEY] = pending


def _pending_import_drop(request, token):
    pending = _pending_imports(request)
    pending.pop(token, None)
    request.session[IMPORT_SESSION_KEY] = pending


@admin.register(Meeting)
class MeetingAdmin(HamkorAdmin):
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
    search_help_text = _("Title or venue.")
    autocomplete_fields = ["host", "initiators"]
    object_select_related = ["host"]
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
    change_form_template = "admin/meetings/meeting/change_form.html"
    # What an import writes besides attendance: people, their positions, and
    # blanks filled in on people.
    import_permissions = [
        "meetings.add_attendance",
        "meetings.change_attendance",
        "stakeholders.add_person",
        "stakeholders.change_person",
        "stakeholders.add_position",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(attendance_count=count_of(Attendance.objects.all(), "meeting"))
        )

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        # Before the default URLs: their catch-all "<object_id>/" would take
        # these paths.
        return [
            path(
                "<path:object_id>/import/",
                # CSRF is checked inside, once the upload size limit is in
                # place: checking it reads the request body.
                self.admin_site.admin_view(csrf_exempt(self.import_view)),
                name="{}_{}_import".format(*info),
            ),
            path(
                "<path:object_id>/import/<str:token>/",
                self.admin_site.admin_view(self.import_preview_view),
                name="{}_{}_import_preview".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and request.user.has_perms(
            self.import_permissions
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
            "can_import_attendance": self.has_import_permission(request),
            "attendance_limit": self.attendance_inline_limit,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            total = self._attendance_count(obj)
            if total > self.attendance_inline_limit:
                context["attendance_total"] = total
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _import_meeting(self, request, object_id):
        """The meeting to import into, or a response refusing the request."""
        meeting = self.get_object(request, unquote(object_id))
        if meeting is None:
            return None, self._get_obj_does_not_exist_redirect(
                request, self.opts, object_id
            )
        if not self.has_import_permission(request, meeting):
            raise PermissionDenied
        return meeting, None

    def _import_context(self, request, meeting, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": meeting,
            "title": _("Import a sign-in sheet"),
            "subtitle": str(meeting),
            "has_view_permission": self.has_view_permission(request, meeting),
            **context,
        }

    def import_view(self, request, object_id):
        """Upload a sign-in sheet: read it, keep it for the preview."""
        meeting, refusal = self._import_meeting(request, object_id)
        if refusal:
            return refusal
        limit = None
        if request.method == "POST":
            limit = SheetSizeLimitHandler(request)
            request.upload_handlers.insert(0, limit)
        return csrf_protect(self._import_upload)(request, meeting, limit)

    def _import_upload(self, request, meeting, limit):
        if request.method == "POST":
            form = SheetUploadForm(
                request.POST, request.FILES, too_large=limit.too_large
            )
            if form.is_valid():
                token = _pending_import_store(request, meeting, form.sheet)
                return redirect(
                    "admin:meetings_meeting_import_preview", meeting.pk, token
                )
        else:
            form = SheetUploadForm()
        return TemplateResponse(
            request,
            "admin/meetings/meeting/import_upload.html",
            self._import_context(request, meeting, form=form),
        )

    def import_preview_view(self, request, object_id, token):
        """Show what the import would do, take the editor's choices, and
        import on their word."""
        meeting, refusal = self._import_meeting(request, object_id)
        if refusal:
            return refusal
        upload_url = reverse("admin:meetings_meeting_import", args=[meeting.pk])
        pending = _pending_imports(request).get(token)
        if pending is None or pending["meeting"] != meeting.pk:
            self.message_user(
                request,
                _("That sheet is no longer waiting to be imported; upload it again."),
                messages.WARNING,
            )
            return redirect(upload_url)
        change_url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
        if request.method == "POST" and "_cancel" in request.POST:
            _pending_import_drop(request, token)
            self.message_user(request, _("Import cancelled; nothing was imported."))
            return redirect(change_url)

        sheet = Sheet.from_data(pending["sheet"])
        decisions = Decisions.from_data(pending["decisions"])
        allow_new = request.user.has_perm("stakeholders.add_organisation")
        # Planned without the write lock, and not inside a transaction:
        # other editors save while this page is read and while its import
        # plans; the import checks the plan inside its own short transaction.
        plan = plan_import(meeting, sheet, decisions, allow_new_organisations=allow_new)
        form = ImportChoicesForm(
            request.POST if request.method == "POST" else None,
            plan=plan,
            types=sorted(
                ((slug, name) for slug, (_pk, name) in plan.index.types.items()),
                key=lambda choice: choice[1],
            ),
            admin_site=self.admin_site,
            decisions=decisions,
            allow_new=allow_new,
            allow_remember=request.user.has_perm("stakeholders.add_organisationname"),
            page=_page_number(request.GET.get("questions")),
        )
        if request.method == "POST" and form.is_valid():
            chosen = form.decisions()
            _pending_import_update(request, token, chosen)
            if "_import" not in request.POST:
                goto = request.POST.get("_goto", "")
                if goto.isdigit():
                    return redirect(request.path + _with_query(request, questions=goto))
                return redirect(request.get_full_path())
            if chosen != decisions:
                self.message_user(
                    request,
                    _(
                        "Your choices change what will be imported: check the "
                        "preview below, then import."
                    ),
                    messages.WARNING,
                )
                return redirect(request.get_full_path())
            response = self._import_commit(request, meeting, plan, chosen, change_url)
            if response is not None:
                _pending_import_drop(request, token)
                return response
            return redirect(request.get_full_path())

        rows = plan.rows
        show = request.GET.get("show", "")
        if show == "attention":
            rows = [row for row in rows if row.needs_attention]
        page = Paginator(rows, IMPORT_ROWS_PER_PAGE).get_page(request.GET.get("p"))
        return TemplateResponse(
            request,
            "admin/meetings/meeting/import_preview.html",
            self._import_context(
                request,
                meeting,
                sheet=sheet,
                plan=plan,
                summary=plan.summary(),
                errors=plan.errors[:100],
                more_errors=max(len(plan.errors) - 100, 0),
                form=form,
                media=self.media + form.media,
                page=page,
                show=show,
                unresolved=len(plan.unresolved),
                upload_url=upload_url,
                columns=[
                    (label, sheet.columns.get(name))
                    for name, label in (
                        ("organisation", _("Organisation")),
                        ("name", _("Person name")),
                        ("email", _("Email")),
                        ("title", _("Position / title")),
                        ("role", _("Role")),
                        ("status", _("Status")),
                        ("phone", _("Phone")),
                    )
                ],
            ),
        )

    def _import_commit(self, request, meeting, plan, decisions, done_url):
        """Import ``plan``; the response on success, None (with a message) on
        refusal."""
        try:
            plan = attendance_import(
                meeting=meeting,
                sheet=plan.sheet,
                decisions=decisions,
                user=request.user,
                expected_digest=request.POST.get("digest", ""),
                allow_new_organisations=request.user.has_perm(
                    "stakeholders.add_organisation"
                ),
                plan=plan,
                # In the import's transaction: the log entry is written with
                # the rows, or neither is.
                log=lambda done: self.log_change(
                    request, meeting, done.result_message()
                ),
            )
        except (ImportNotReady, PlanChanged) as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None
        self.message_user(request, plan.result_message(), messages.SUCCESS)
        return redirect(done_url)

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

    def save_related(self, request, form, formsets, change):
        touched = stats.Touched().formsets(formsets)
        super().save_related(request, form, formsets, change)
        touched.saved(formsets)
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
    search_fields = ["topic__name", "meeting__title", "notes", "outcome"]
    autocomplete_fields = ["meeting", "topic"]
    object_select_related = ["meeting", "topic"]
    fields = ["meeting", "topic", "order", "notes", "outcome"]


# A search whose organisations, people and meetings number this many or more
# has the attendance rows tested as the list is read (see get_search_results).
BROAD_SEARCH = 1000


@admin.register(Attendance)
class AttendanceAdmin(HamkorAdmin):
    list_display = ["meeting", "organisation", "person", "role", "status"]
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

    def get_search_results(self, request, queryset, search_term):
        """Rows of the organisations, people and meetings whose search finds
        the term: those lists are searched first, and the rows read by them.

        A term they find few of (a name): their rows are read by their
        indexes (IN). A term they find many of ("health": 10,800
        organisations and 12,400 meetings at national scale, 880,000 rows)
        would have every row collected and sorted for one page (360 ms; 5 s
        for a term in every name): the rows are then tested one by one as the
        list is read in its order, which stops at the page."""
        term = search_term.strip()
        if not term:
            return queryset, False
        found = {
            "organisation_id": Organisation.objects.search(term).values("pk"),
            "person_id": Person.objects.search(term).values("pk"),
            "meeting_id": Meeting.objects.search(term).values("pk"),
        }
        if at_least(BROAD_SEARCH, *found.values()):
            conditions = [in_list_order(ids, field) for field, ids in found.items()]
        else:
            conditions = [Q(**{f"{field}__in": ids}) for field, ids in found.items()]
        return queryset.filter(functools.reduce(operator.or_, conditions)), False

    # The stored figures (meetings/stats.py) of the organisation, person and
    # meeting a row was and is of.

    def save_model(self, request, obj, form, change):
        touched = stats.Touched()
        if change:
            touched.form(form)
        super().save_model(request, obj, form, change)
        touched.row(obj).refresh()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        stats.Touched().row(obj).refresh()

    def delete_queryset(self, request, queryset):
        touched = stats.Touched().rows(queryset)
        super().delete_queryset(request, queryset)
        touched.refresh()


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
