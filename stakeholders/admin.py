from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy
from django_countries.filters import CountryFilter

from core.admin import (
    ConstraintCheckingFormSet,
    HamkorAdmin,
    HamkorTabularInline,
    count_of,
)
from core.history import Source
from duplicates.forms import (
    OrganisationAddForm,
    PersonAddForm,
    WarnOfDuplicatesAdmin,
)
from duplicates.merge_admin import MergeAdminMixin
from meetings import stats

from .models import (
    Assessment,
    Organisation,
    OrganisationIdentifier,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)
from .services import person_erase, person_export


@admin.register(OrganisationType)
class OrganisationTypeAdmin(HamkorAdmin):
    list_display = ["name", "slug", "iati_code", "organisation_count"]
    search_fields = ["name", "slug"]
    list_select_related = []
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "iati_code", "description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(organisation_count=count_of(Organisation.objects.all(), "type"))
        )

    @admin.display(description=_("organisations"), ordering="organisation_count")
    def organisation_count(self, obj):
        return obj.organisation_count


class OrganisationNameFormSet(ConstraintCheckingFormSet):
    duplicate_field = "name"
    duplicate_message = _("This organisation already has this name.")

    def row_key(self, instance):
        return instance.name.casefold()


class OrganisationNameInline(HamkorTabularInline):
    model = OrganisationName
    formset = OrganisationNameFormSet
    fields = ["name", "language", "is_former"]


class OrganisationIdentifierInline(HamkorTabularInline):
    model = OrganisationIdentifier
    fields = ["scheme", "value"]


class PositionInline(HamkorTabularInline):
    model = Position
    fields = ["person", "organisation", "title", "department", "since", "until"]
    autocomplete_fields = ["person", "organisation"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "organisation")


def holder(position):
    """A position as its organisation's history names it."""
    if position.title:
        return f"{position.person} — {position.title}"
    return str(position.person)


@admin.register(Organisation)
class OrganisationAdmin(MergeAdminMixin, WarnOfDuplicatesAdmin, HamkorAdmin):
    add_form = OrganisationAddForm
    history_related = [
        Source(OrganisationName, "organisation"),
        Source(OrganisationIdentifier, "organisation"),
        Source(Position, "organisation", holder),
    ]
    list_display = [
        "name",
        "acronym",
        "type_name",
        "country_name",
        "parent",
        "is_active",
        "meetings_attended",
        "last_met_day",
    ]
    # By name, then by key: the order of the (name, id) index, so that a page
    # is read off the index instead of sorting every organisation (Django
    # would add "-pk", which the index cannot serve).
    ordering = ["name", "pk"]
    list_select_related = ["type", "parent"]
    list_filter = ["type", ("country", CountryFilter), "is_active"]
    # The search itself is OrganisationQuerySet.search (other names too); these
    # fields only enable the search box and the autocomplete endpoint.
    search_fields = ["name", "acronym"]
    search_help_text = _("Name, acronym or any other name.")
    autocomplete_fields = ["type", "parent"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "acronym", "type", "parent", "country"]}),
        (_("Contact"), {"fields": ["website", "email", "phone", "address"]}),
        (None, {"fields": ["notes", "is_active", "created_at", "updated_at"]}),
    ]
    inlines = [OrganisationNameInline, OrganisationIdentifierInline, PositionInline]
    actions = ["mark_active", "mark_inactive"]
    object_select_related = ["type", "parent"]
    change_form_template = "admin/stakeholders/organisation/change_form.html"

    # An organisation with more positions than this lists them in the position
    # changelist (filtered to it), not as inline rows: the national core have
    # a thousand and more, a form that takes seconds to render and to post.
    position_inline_limit = 200

    def get_inlines(self, request, obj):
        if obj is not None and self._position_count(obj) > self.position_inline_limit:
            return [inline for inline in self.inlines if inline is not PositionInline]
        return self.inlines

    def _position_count(self, obj):
        # Asked by get_inlines and by render_change_form: one query per request.
        if not hasattr(obj, "_position_total"):
            obj._position_total = obj.positions.count()
        return obj._position_total

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            total = self._position_count(obj)
            if total > self.position_inline_limit:
                context.update(
                    position_total=total, position_limit=self.position_inline_limit
                )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            stats.reload_figures(obj)
        super().save_model(request, obj, form, change)
        # Its type's count of active organisations, and its former type's.
        if not change or {"type", "is_active"} & set(form.changed_data):
            refresh_type_counts({obj.type_id, form.initial.get("type")})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_type_counts({obj.type_id})

    def delete_queryset(self, request, queryset):
        types = set(queryset.values_list("type", flat=True))
        super().delete_queryset(request, queryset)
        refresh_type_counts(types)

    def save_related(self, request, form, formsets, change):
        # The stored types (meetings/stats.py) of the people its position
        # rows were and are of; with a new type, of everyone who worked for
        # or represented it and of the meetings it took part in. Deleting an
        # organisation changes no meeting figure: it cannot have attendance
        # rows or positions (PROTECT).
        touched = stats.Touched().formsets(formsets)
        super().save_related(request, form, formsets, change)
        touched.saved(formsets)
        if change and "type" in form.changed_data:
            touched.typed_by(form.instance)
        touched.refresh()

    @admin.display(
        description=pgettext_lazy("organisation", "type"), ordering="type__name"
    )
    def type_name(self, obj):
        return str(obj.type)

    @admin.display(description=_("last met"), ordering="last_met")
    def last_met_day(self, obj):
        # The day, as the lists show it: the time of that meeting says nothing
        # about the organisation (and is midnight for a meeting recorded
        # without one).
        if obj.last_met is None:
            return None
        return timezone.localtime(obj.last_met).date()

    @admin.display(description=_("country"), ordering="country")
    def country_name(self, obj):
        # Not the field itself: the admin would display it through its choices,
        # django-countries' translated and sorted list of 250 countries,
        # rebuilt for every row (~45 ms a page).
        return obj.country.name or None

    @admin.action(description=_("Mark selected organisations active"))
    def mark_active(self, request, queryset):
        self._update_with_history(
            request,
            queryset,
            ngettext_lazy(
                "%(count)d organisation marked active.",
                "%(count)d organisations marked active.",
                "count",
            ),
            is_active=True,
        )
        refresh_type_counts(set(queryset.values_list("type", flat=True)))

    @admin.action(description=_("Mark selected organisations inactive"))
    def mark_inactive(self, request, queryset):
        self._update_with_history(
            request,
            queryset,
            ngettext_lazy(
                "%(count)d organisation marked inactive.",
                "%(count)d organisations marked inactive.",
                "count",
            ),
            is_active=False,
        )
        refresh_type_counts(set(queryset.values_list("type", flat=True)))


def refresh_type_counts(types):
    """The stored count of active organisations of these types (ids)."""
    OrganisationType.objects.filter(pk__in=types).refresh_active_organisations()


@admin.register(OrganisationName)
class OrganisationNameAdmin(HamkorAdmin):
    list_display = ["name", "organisation", "language", "is_former"]
    list_select_related = ["organisation"]
    list_filter = ["language", "is_former"]
    search_fields = ["name"]
    autocomplete_fields = ["organisation"]
    object_select_related = ["organisation"]
    fields = ["organisation", "name", "language", "is_former"]


@admin.register(OrganisationIdentifier)
class OrganisationIdentifierAdmin(HamkorAdmin):
    list_display = ["scheme", "value", "organisation"]
    list_select_related = ["organisation"]
    list_filter = ["scheme"]
    search_fields = ["value"]
    autocomplete_fields = ["organisation"]
    object_select_related = ["organisation"]
    fields = ["organisation", "scheme", "value"]


@admin.register(Person)
class PersonAdmin(MergeAdminMixin, WarnOfDuplicatesAdmin, HamkorAdmin):
    add_form = PersonAddForm
    history_related = [Source(Position, "person")]
    list_display = [
        "full_name",
        "email",
        "phone",
        "current_positions",
        "do_not_contact",
    ]
    list_filter = ["do_not_contact"]
    # By name, then by key: the order of the (full_name, id) index, so that
    # a page is read off the index instead of sorting everyone.
    ordering = ["full_name", "pk"]
    # The search itself is PersonQuerySet.search; these fields only enable the
    # search box and the autocomplete endpoint.
    search_fields = ["full_name", "email"]
    search_help_text = _("Name or email.")
    readonly_fields = ["created_at", "updated_at"]
    fields = [
        "full_name",
        "email",
        "phone",
        "notes",
        "do_not_contact",
        "created_at",
        "updated_at",
    ]
    inlines = [PositionInline]
    change_form_template = "admin/stakeholders/person/change_form.html"

    def get_urls(self):
        views = [
            path(
                "<path:object_id>/personal-data/",
                self.admin_site.admin_view(self.personal_data_view),
                name="stakeholders_person_personal_data",
            ),
            path(
                "<path:object_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="stakeholders_person_erase",
            ),
        ]
        return views + super().get_urls()

    def get_person_or_404(self, request, object_id):
        """The person of a URL's ``object_id``; a 404 for one that is not an id
        too (``<path:object_id>`` matches any text)."""
        person = self.get_object(request, unquote(object_id))
        if person is None:
            raise Http404(_("No such person."))
        return person

    def personal_data_view(self, request, object_id):
        """Everything held about the person, as a JSON download (subject access
        requests). Administrators only."""
        if not request.user.has_perm("stakeholders.export_personal_data"):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        person = self.get_person_or_404(request, object_id)
        response = JsonResponse(
            person_export(person=person), json_dumps_params={"ensure_ascii": False}
        )
        response["Content-Disposition"] = (
            f'attachment; filename="person-{person.pk}-personal-data.json"'
        )
        return response

    def erase_view(self, request, object_id):
        """Erase the person and their history after a confirmation page.
        Administrators only."""
        if not request.user.has_perm("stakeholders.erase_person"):
            raise PermissionDenied
        person = self.get_person_or_404(request, object_id)
        if request.method == "POST":
            label = str(person)
            person_erase(person=person, user=request.user)
            self.message_user(
                request,
                _("%(person)s and their history were erased.") % {"person": label},
                messages.SUCCESS,
            )
            return redirect("admin:stakeholders_person_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "person": person,
            "title": _("Erase %(person)s?") % {"person": person},
            "counts": {
                _("positions"): person.positions.count(),
                _("attendance rows"): person.attendances.count(),
                _("follow-ups owned"): person.follow_ups.count(),
            },
        }
        return TemplateResponse(
            request, "admin/stakeholders/person/erase_confirmation.html", context
        )

    def save_model(self, request, obj, form, change):
        if change:
            stats.reload_figures(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # The stored types (meetings/stats.py) of the people its position
        # rows were and are of. Deleting a person changes no one else's
        # figures: they cannot have attendance rows (PROTECT), and their
        # positions count for them alone.
        touched = stats.Touched().formsets(formsets)
        super().save_related(request, form, formsets, change)
        touched.saved(formsets).refresh()

    def get_queryset(self, request):
        return super().get_queryset(request).with_current_positions()

    @admin.display(description=_("current positions"))
    def current_positions(self, obj):
        return "; ".join(str(position) for position in obj.current_positions) or "—"


class CurrentPositionFilter(admin.SimpleListFilter):
    title = _("current")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", _("Current")), ("no", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.current()
        if self.value() == "no":
            # Not current: begins after today or ended before it. A NULL is
            # neither, as in PositionQuerySet.current.
            today = timezone.localdate()
            return queryset.filter(Q(since__gt=today) | Q(until__lt=today))
        return queryset


@admin.register(Position)
class PositionAdmin(stats.RowFiguresAdminMixin, HamkorAdmin):
    list_display = ["person", "title", "organisation", "department", "since", "until"]
    list_select_related = ["person", "organisation"]
    # The latest recorded first. The model's order (current first, then by
    # start) has no index: every page would sort all the positions.
    ordering = ["-pk"]
    # Not by person or organisation: that sorts every position by a joined
    # name (800,000 at national scale) for each page. The filters, the search
    # and the person's or organisation's own page narrow the list instead.
    sortable_by = ["title", "department", "since", "until"]
    list_filter = [CurrentPositionFilter, "since", "until"]
    search_fields = ["title", "department"]
    # The person's name by their search (core.names: any script).
    search_relations = ["person"]
    autocomplete_fields = ["person", "organisation"]
    object_select_related = ["person", "organisation"]
    fields = [
        "person",
        "organisation",
        "title",
        "department",
        "since",
        "until",
        "notes",
    ]


@admin.register(Assessment)
class AssessmentAdmin(HamkorAdmin):
    """Assessments as dated history. Editors add them and read the earlier
    ones (a change form opens read-only for them); administrators alone may
    correct or delete one, a mistyped score or the wrong organisation, and
    the change is in its history. A new judgement is a new assessment, so the
    map's comparison and the organisation's page keep the old one."""

    list_display = [
        "organisation",
        "assessed_on",
        "influence",
        "interest",
        "stance",
        "assessed_by",
    ]
    list_select_related = ["organisation", "assessed_by"]
    list_filter = ["stance", "influence", "interest", "assessed_on"]
    # Newest first, as the organisation's page lists them.
    ordering = ["-assessed_on", "-pk"]
    search_fields = ["note"]
    # The organisation's name by its search (core.names: any script).
    search_relations = ["organisation"]
    search_help_text = _("Organisation name, acronym or other name; or the note.")
    autocomplete_fields = ["organisation"]
    object_select_related = ["organisation", "assessed_by"]
    fields = [
        "organisation",
        "influence",
        "interest",
        "stance",
        "assessed_on",
        "note",
        "assessed_by",
        "created_at",
    ]
    readonly_fields = ["assessed_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.assessed_by = request.user
        super().save_model(request, obj, form, change)
